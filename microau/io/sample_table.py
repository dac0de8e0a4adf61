"""The sample tables: the only way stages after the index learn about samples.

Owns four TSV files (tab-separated, one header line, `\\n` line ends):

- `results/index/<dataset>/samples.tsv`: one row per sample; columns BASE_COLUMNS, one `AUnn`
  column (0/1) per AU of the dataset's AU set, then TAIL_COLUMNS. Frame paths are absolute and
  `;`-joined in frame order, so a stage can read a sample's frames without knowing which release
  layout they came from.
- `results/index/<dataset>/validation.tsv`: VALIDATION_COLUMNS, one row per quirk of the release
  (`source` of samples.tsv, the last tail column, names the coding row or clip folder of a sample).
- `results/faces/<dataset>/samples.tsv`: the rows of the index table whose onset frame shows a
  face, with FACE_COLUMNS (the face box in source pixels and its score) appended.
- `results/faces/<dataset>/report.tsv`: REPORT_COLUMNS, one row per sample left out for want of a
  usable face.
- `results/faces/<dataset>/validation.tsv`: VALIDATION_COLUMNS, the one report of every sample
  left out or repaired: the index's rows, then one per sample without a usable face.

The index stage writes and reads them with pandas; the per-sample stages and the workflow read
rows with the stdlib csv module instead, so that their start-up stays fast.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from microau.aus import au_name
from microau.errors import MicroauError
from microau.io.atomic import atomic_open, atomic_path

if TYPE_CHECKING:
    import pandas as pd

BASE_COLUMNS = ["dataset", "subject", "sample", "onset", "apex", "offset", "onset_path", "apex_path", "frames"]
TAIL_COLUMNS = ["au_raw", "au_side", "au_intensity", "emotion", "class3", "source"]
VALIDATION_COLUMNS = ["sample", "problem", "action"]
FACE_COLUMNS = ("face_x", "face_y", "face_width", "face_height", "face_score")
REPORT_COLUMNS = ("sample", "subject", "onset_path", "problem", "reason")
CLASS3 = ("positive", "negative", "surprise")
FRAME_SEPARATOR = ";"

_INT_COLUMNS = ["onset", "apex", "offset"]
_AU_COLUMN = re.compile(r"AU\d+")


class SampleTableError(MicroauError):
    """A table between stages lacks a column or a sample; the message names the file."""


def table_columns(aus: Iterable[int]) -> list[str]:
    """Column order of a sample table for an AU set."""
    return BASE_COLUMNS + [au_name(au) for au in aus] + TAIL_COLUMNS


def make_table(records: list[Mapping[str, object]], aus: Iterable[int]) -> pd.DataFrame:
    """Sample table from row dicts, in contract column order with integer frame and AU columns."""
    import pandas as pd

    columns = table_columns(aus)
    df = pd.DataFrame.from_records(list(records), columns=columns)
    for column in _INT_COLUMNS + au_columns(df):
        df[column] = df[column].astype(int)
    return df


def au_columns(df: pd.DataFrame) -> list[str]:
    """The `AUnn` columns of a sample table, in table order."""
    return [column for column in df.columns if _AU_COLUMN.fullmatch(str(column))]


def frame_paths(row: Mapping[str, object]) -> list[str]:
    """Absolute frame paths of one sample row, onset..offset in frame order."""
    frames = str(row["frames"])
    return frames.split(FRAME_SEPARATOR) if frames else []


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table of the index stage (samples.tsv or validation.tsv)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, lineterminator="\n")


def read_samples(path: str | Path) -> pd.DataFrame:
    """Read samples.tsv: text columns as str (subject `006` stays `006`), ints where the contract says."""
    import pandas as pd

    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [column for column in BASE_COLUMNS + TAIL_COLUMNS if column not in df.columns]
    if missing:
        raise SampleTableError(f"{path} is not a sample table: missing columns {', '.join(missing)}")
    for column in _INT_COLUMNS + au_columns(df):
        df[column] = df[column].astype(int)
    return df


def read_rows(path: str | Path, required: Iterable[str] = ()) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows (all text) of any of the four tables; a missing `required` column is an error."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        columns = list(reader.fieldnames or ())
        missing = set(required) - set(columns)
        if missing:
            raise SampleTableError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
        return columns, list(reader)


def write_rows(path: str | Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """Write rows under `columns` (the faces stage's samples.tsv and report.tsv)."""
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def sample_row(path: str | Path, sample: str, required: Iterable[str] = ()) -> dict[str, str]:
    """The row of one sample, as `read_rows` reads it."""
    for row in read_rows(path, required)[1]:
        if row["sample"] == sample:
            return row
    raise SampleTableError(f"sample {sample} is not in {path}")
