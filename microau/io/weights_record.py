"""The weights record `results/weights/<encoder>.json`: which CLIP weights made the features, read
into every table's provenance."""

from __future__ import annotations

import json
from pathlib import Path

from microau.io.atomic import atomic_open


def write_weights_record(path: str | Path, record: dict[str, str]) -> None:
    """The weights record `results/weights/<encoder>.json`: `model`, `pretrained` and `weights`
    (the provenance string of `weights_id`), one JSON object indented by 2."""
    with atomic_open(path) as handle:
        handle.write(json.dumps(record, indent=2) + "\n")


def read_weights_record(path: str | Path) -> dict[str, str]:
    """The weights record written by `microau weights`, for the provenance of the tables."""
    return json.loads(Path(path).read_text())
