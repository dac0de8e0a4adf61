"""Workflow config checks that name the offending key, before any job runs.

Snakemake parses nested `--config` values with YAML's base loader, so `flow={clip_px: 2.0}`
arrives as the string "2.0"; `coerce_scalars` turns such strings into the type the schema asks for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A config value the schema rejects; the message names the key and what is allowed."""


def load_schema(path: str | Path) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        node: Any = root
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node
    return schema


def _coerce(value: str, types: list[str]) -> Any:
    for kind, convert in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return convert(value)
            except ValueError:
                continue
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if "null" in types and value.lower() in ("null", "none", "~"):
        return None
    return value


def coerce_scalars(value: Any, schema: dict, root: dict | None = None) -> Any:
    """Strings where the schema wants numbers, booleans or null become those types."""
    root = root or schema
    schema = _resolve(schema, root)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(value, str) and "string" not in types:
        return _coerce(value, types)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = {}
        for key, item in value.items():
            child = properties.get(key, extra if isinstance(extra, dict) else None)
            out[key] = coerce_scalars(item, child, root) if child else item
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [coerce_scalars(item, schema["items"], root) for item in value]
    return value


def check_config(config: dict, schema: dict) -> dict:
    """Coerced config, or ConfigError naming every offending key with its description."""
    config = coerce_scalars(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path)):
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        hint = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
        if error.validator == "additionalProperties":
            allowed = sorted(_resolve(error.schema, schema).get("properties", {}))
            hint = f"allowed keys: {', '.join(allowed)}" if allowed else hint
        elif error.validator == "enum":
            hint = f"allowed values: {', '.join(map(str, error.validator_value))}"
        problems.append(f"config key '{key}': {error.message}" + (f" ({hint})" if hint else ""))
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def dataset_clip(config: dict, dataset: str) -> dict:
    """The CLIP encoder of one dataset: `datasets.<name>.clip` merged over the top-level `clip`,
    so the synthetic demo can run on a random encoder while real datasets keep OpenAI weights."""
    return {**config["clip"], **config["datasets"][dataset].get("clip", {})}


def encoder_id(clip: dict) -> str:
    """Names feature caches and weights records after model and weights: a file counts by its name."""
    pretrained = clip["pretrained"]
    if "/" in pretrained or Path(pretrained).suffix:
        pretrained = f"file-{Path(pretrained).stem}"
    return f"{clip['model']}__{pretrained}"
