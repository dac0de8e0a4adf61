"""The workflow config, loaded once: coerced, checked against the schema, defaults filled in.

Snakemake parses nested `--config` values with YAML's base loader, so `flow={clip_px: 2.0}`
arrives as the string "2.0"; `coerce_scalars` turns such strings into the type the schema asks for.
Every check names the offending key, before any job runs.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from microau.errors import MicroauError
from microau.plan import results as paths
from microau.plan.correspondence import CorrespondenceError, filter_combinations
from microau.releases import GENERATED_LAYOUTS, SAME_PEOPLE

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"
"""The one config schema: package data, so an installed package and the workflow (which validates
against this same file) read the same defaults and allowed values."""


class ConfigError(MicroauError):
    """A config value the schema rejects; the message names the key and what is allowed."""


def load_schema(path: str | Path) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


def resolve_ref(schema: dict, root: dict) -> dict:
    """`schema` itself, or the definition in `root` that its `$ref` points to."""
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
    """Strings where the schema wants numbers, booleans or null become those types; under an anyOf
    of a string enum and a number (`train.temperature`), a string that reads as a number becomes one."""
    root = root or schema
    schema = resolve_ref(schema, root)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    either = [branch.get("type") for branch in schema.get("anyOf", [])]
    if isinstance(value, str) and "string" not in types and "number" in either:
        return _coerce(value, ["number"])
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
            allowed = sorted(resolve_ref(error.schema, schema).get("properties", {}))
            hint = f"allowed keys: {', '.join(allowed)}" if allowed else hint
        elif error.validator == "enum":
            hint = f"allowed values: {', '.join(map(str, error.validator_value))}"
        problems.append(f"config key '{key}': {error.message}" + (f" ({hint})" if hint else ""))
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def fill_defaults(value: Any, schema: dict, root: dict | None = None) -> Any:
    """`value` with every absent key that the schema gives a default set to it, at every depth
    (dataset and variant entries included), as Snakemake's `validate` fills them."""
    root = root or schema
    schema = resolve_ref(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = dict(value)
        for key, spec in properties.items():
            if key not in out and "default" in spec:
                out[key] = copy.deepcopy(spec["default"])
        for key, item in out.items():
            child = properties.get(key, extra if isinstance(extra, dict) else None)
            if child:
                out[key] = fill_defaults(item, child, root)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [fill_defaults(item, schema["items"], root) for item in value]
    return value


def generated_release(dataset: str) -> str:
    """Where the pipeline writes the release of a generated dataset (`microau synthesize`)."""
    return paths.RELEASE.format(dataset=dataset)


def dataset_clip(config: dict, dataset: str) -> dict:
    """The CLIP encoder of one dataset: `datasets.<name>.clip` merged over the top-level `clip`,
    so the synthetic demo can run on a random encoder while real datasets keep OpenAI weights."""
    return {**config["clip"], **config["datasets"][dataset]["clip"]}


def shared_aus(config: dict, datasets: list[str]) -> list[int]:
    """The AUs every one of `datasets` is annotated with, in the first dataset's order."""
    others = [set(config["datasets"][name]["aus"]) for name in datasets[1:]]
    return [au for au in config["datasets"][datasets[0]]["aus"] if all(au in aus for aus in others)]


def protocol_datasets(config: dict) -> dict[str, list[str]]:
    """Each composite and cross-dataset protocol, by the config key naming it, -> its datasets."""
    found = {f"composites.{name}": entry["datasets"] for name, entry in config["composites"].items()}
    found.update({f"cross[{n}]": [entry["train"], entry["test"]] for n, entry in enumerate(config["cross"])})
    return found


def check_protocol(config: dict, key: str, datasets: list[str]) -> None:
    """A composite or cross-dataset protocol: known datasets on one encoder, AUs in common, and an
    AU-emotion correspondence that keeps every class once cut to them (zero-shot MER)."""
    for name in datasets:
        if name not in config["datasets"]:
            raise ConfigError(f"config key '{key}' names '{name}', which has no entry under datasets in config.yaml")
    if len(set(datasets)) < len(datasets):
        raise ConfigError(f"config key '{key}' names one dataset twice: {', '.join(datasets)}")
    first = datasets[0]
    for name in datasets[1:]:
        if dataset_clip(config, name) != dataset_clip(config, first):
            raise ConfigError(
                f"config key '{key}': datasets.{first}.clip {dataset_clip(config, first)} vs datasets.{name}.clip "
                f"{dataset_clip(config, name)}: every dataset of a protocol must use the same CLIP encoder"
            )
    aus = shared_aus(config, datasets)
    if not aus:
        raise ConfigError(f"config key '{key}': datasets {', '.join(datasets)} share no AU")
    for name in datasets:
        try:
            filter_combinations(config["datasets"][name]["mer_combinations"], aus)
        except CorrespondenceError as error:
            raise ConfigError(f"config key 'datasets.{name}.mer_combinations' (in {key}): {error}") from None


def check_references(config: dict) -> None:
    """Checks across keys: targets and variant name entries that exist, each target's MER
    correspondence keeps every class, a generated dataset's root is where its release is written,
    and each composite and cross-dataset protocol passes `check_protocol`."""
    for name in config["targets"]:
        if name not in config["datasets"]:
            raise ConfigError(f"targets names '{name}', which has no entry under datasets in config.yaml")
    if config["variant"] not in config["variants"]:
        raise ConfigError(f"variant '{config['variant']}' is not defined under variants")
    for name in config["targets"]:
        settings = config["datasets"][name]
        try:
            filter_combinations(settings["mer_combinations"], settings["aus"])
        except CorrespondenceError as error:
            raise ConfigError(f"config key 'datasets.{name}.mer_combinations': {error}") from None
    for name in config["spotting_targets"]:
        if name not in config["spotting_datasets"]:
            raise ConfigError(
                f"spotting_targets names '{name}', which has no entry under spotting_datasets in config.yaml"
            )
    model = config["spotting_model"]
    for name in config["spotting_targets"] if model else []:
        settings = config["spotting_datasets"][name]
        if settings["class3"] is None:
            raise ConfigError(
                f"config key 'spotting_datasets.{name}.class3': spotting_model recognises the spotted "
                "micro-expressions, so each spotting target needs its emotions' three classes"
            )
        if settings["subjects_of"] is not None and settings["subjects_of"] not in config["datasets"]:
            raise ConfigError(
                f"config key 'spotting_datasets.{name}.subjects_of' names '{settings['subjects_of']}', which has "
                "no entry under datasets in config.yaml"
            )
        same_people = (
            model in config["datasets"] and SAME_PEOPLE.get(settings["reader"]) == (config["datasets"][model]["reader"])
        )
        if same_people and settings["subjects_of"] != model:
            raise ConfigError(
                f"config key 'spotting_datasets.{name}.subjects_of': spotting_model '{model}' was trained on "
                f"this release's people; set subjects_of: {model} so that each video is recognised by the "
                "model that held its subject out"
            )
    for name, settings in config["spotting_datasets"].items():
        if settings["reader"] == "synthetic_long" and settings["root"] is not None:
            raise ConfigError(
                f"config key 'spotting_datasets.{name}.root': a synthetic_long release is written by the "
                "pipeline; leave root unset"
            )
    for name, settings in config["datasets"].items():
        layouts = GENERATED_LAYOUTS.get(settings["reader"], ())
        if settings["generated"] and settings["frames_layout"] not in layouts:
            raise ConfigError(
                f"config key 'datasets.{name}': a generated dataset is written in CASME II's layout "
                "(reader: casme2, frames_layout: selected), SAMM's (reader: samm) or as a table of videos "
                f"(reader: table); got reader: {settings['reader']}, frames_layout: {settings['frames_layout']}"
            )
        if settings["generated"] and settings["root"] not in (None, generated_release(name)):
            raise ConfigError(
                f"config key 'datasets.{name}.root': a generated dataset's release is written to "
                f"{generated_release(name)}; leave root unset"
            )
    for name, entry in config["composites"].items():
        if entry["schedule"] is not None and entry["schedule"] not in entry["datasets"]:
            raise ConfigError(
                f"config key 'composites.{name}.schedule': '{entry['schedule']}' is not one of its datasets"
            )
    for key, datasets in protocol_datasets(config).items():
        check_protocol(config, key, datasets)


def load_config(raw: dict, schema: dict) -> dict:
    """The config every workflow decision reads: coerced, valid, defaults filled, cross-checked."""
    config = fill_defaults(check_config(raw, schema), schema)
    check_references(config)
    return config


def config_around(dataset: str, entry: dict) -> dict:
    """The schema's defaults around one dataset entry, loaded as the workflow loads config.yaml:
    the settings `microau bench` times and the tests run with, so neither repeats a default."""
    return load_config({"targets": [], "datasets": {dataset: entry}}, load_schema(SCHEMA_PATH))
