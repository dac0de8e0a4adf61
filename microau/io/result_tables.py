"""The result tables, their metadata sidecars, and the provenance record written beside them.

- Result tables: `results/<dataset>_table.csv`, `_mer_table.csv`, `_folds.csv`,
  `results/ablation/<dataset>/table_<group>.csv` and `_folds.csv`, and
  `results/<dataset>_ablation_table.csv`. A plain CSV (a header, then one row per line; floats with
  four decimals, other values as they are), so `pandas.read_csv`, R's `read.csv` and a spreadsheet
  open it without options.
- Metadata sidecar: `<table>.meta.json` beside each table (`metadata_path`): one JSON object of what
  produced the table and how it was scored (dataset, weights, encoder, config hash, intervals,
  readings, landmarks...), values as text, keys in the writer's order, indented by 2.
- Provenance: `results/<dataset>_provenance.json` and `results/<dataset>_ablation_provenance.json`,
  one JSON object (weights, config and its hash, package versions), keys sorted, indented by 2.

Aggregation and the ablation commands write them; the stacked ablation table and the figures read
them back through this module.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from microau.errors import MicroauError
from microau.io.atomic import atomic_open


class ResultTableError(MicroauError):
    """A table lacks a column or metadata entry that its reader needs."""


METADATA_SUFFIX = ".meta.json"


def metadata_path(table: str | Path) -> Path:
    """The sidecar of a table: `results/x_table.csv` -> `results/x_table.meta.json`."""
    table = Path(table)
    return table.with_name(table.stem + METADATA_SUFFIX)


def write_result_table(path: str | Path, rows: Sequence[Mapping[str, object]], metadata: Mapping[str, object]) -> None:
    """The rows under the columns of the first row, and the metadata in the table's sidecar."""
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()})
    with atomic_open(metadata_path(path)) as handle:
        handle.write(json.dumps({key: str(value) for key, value in metadata.items()}, indent=2) + "\n")


def read_result_table(
    path: str | Path, columns: Sequence[str] = (), keys: Sequence[str] = ()
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A result table's metadata (from its sidecar), and its rows as text; the `columns` and
    metadata `keys` its reader needs must be there, so a wrong file is named instead of failing
    halfway."""
    sidecar = metadata_path(path)
    if not sidecar.is_file():
        raise ResultTableError(f"{path} has no metadata file {sidecar}: not a result table written by microau")
    metadata = json.loads(sidecar.read_text())
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    missing = [column for column in columns if column not in (reader.fieldnames or [])]
    missing += [f"{key} (in {sidecar.name})" for key in keys if key not in metadata]
    if missing:
        raise ResultTableError(f"{path} lacks {', '.join(missing)}: not the result table this command reads")
    return metadata, rows


def write_provenance(path: str | Path, record: Mapping[str, object]) -> None:
    """The provenance JSON of a table."""
    with atomic_open(path) as handle:
        handle.write(json.dumps(record, indent=2, sort_keys=True) + "\n")


def read_provenance(path: str | Path) -> dict:
    """The provenance record of a table."""
    return json.loads(Path(path).read_text())
