"""The result tables and the provenance record written beside them.

- Result tables: `results/<dataset>_table.csv`, `_mer_table.csv`, `_folds.csv`,
  `results/ablation/<dataset>/table_<group>.csv` and `_folds.csv`, and
  `results/<dataset>_ablation_table.csv`. First one `# key: value` line per metadata item (what
  produced the table and how it was scored), then a CSV header and one row per line; floats are
  written with four decimals, other values as they are.
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

from microau.atomic import atomic_open
from microau.errors import MicroauError


class ResultTableError(MicroauError):
    """A table lacks a column or metadata line that its reader needs."""

METADATA_PREFIX = "# "
METADATA_SEPARATOR = ": "


def write_result_table(path: str | Path, rows: Sequence[Mapping[str, object]], metadata: Mapping[str, object]) -> None:
    """Metadata lines, then the rows under the columns of the first row."""
    with atomic_open(path, newline="") as handle:
        for key, value in metadata.items():
            handle.write(f"{METADATA_PREFIX}{key}{METADATA_SEPARATOR}{value}\n")
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()})


def read_result_table(
    path: str | Path, columns: Sequence[str] = (), keys: Sequence[str] = ()
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A result table's metadata, and its rows as text; the `columns` and metadata `keys` its
    reader needs must be there, so a wrong file is named instead of failing halfway."""
    metadata, lines = {}, []
    for line in Path(path).read_text().splitlines():
        if line.startswith("#"):
            key, _, value = line[len(METADATA_PREFIX):].partition(METADATA_SEPARATOR)
            metadata[key] = value
        else:
            lines.append(line)
    reader = csv.DictReader(lines)
    missing = [column for column in columns if column not in (reader.fieldnames or [])]
    missing += [f"# {key}" for key in keys if key not in metadata]
    if missing:
        raise ResultTableError(f"{path} lacks {', '.join(missing)}: not the result table this command reads")
    return metadata, list(reader)


def write_provenance(path: str | Path, record: Mapping[str, object]) -> None:
    """The provenance JSON of a table."""
    with atomic_open(path) as handle:
        handle.write(json.dumps(record, indent=2, sort_keys=True) + "\n")


def read_provenance(path: str | Path) -> dict:
    """The provenance record of a table."""
    return json.loads(Path(path).read_text())
