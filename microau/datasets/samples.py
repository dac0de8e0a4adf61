"""The normalised sample table (samples.tsv): the only way later stages learn about samples.

One row per sample; columns are BASE_COLUMNS, one `AUnn` column (0/1) per AU of the dataset's AU
set, then TAIL_COLUMNS. Frame paths are absolute and `;`-joined in frame order, so a stage can
read a sample's frames without knowing which release layout they came from.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from microau.aus import au_name

BASE_COLUMNS = ["dataset", "subject", "sample", "onset", "apex", "offset", "onset_path", "apex_path", "frames"]
TAIL_COLUMNS = ["au_raw", "au_side", "au_intensity", "emotion", "class3"]
VALIDATION_COLUMNS = ["sample", "problem", "action"]
CLASS3 = ("positive", "negative", "surprise")
FRAME_SEPARATOR = ";"

_INT_COLUMNS = ["onset", "apex", "offset"]
_AU_COLUMN = re.compile(r"AU\d+")


def table_columns(aus: Iterable[int]) -> list[str]:
    """Column order of a sample table for an AU set."""
    return BASE_COLUMNS + [au_name(au) for au in aus] + TAIL_COLUMNS


def make_table(records: list[Mapping[str, object]], aus: Iterable[int]) -> pd.DataFrame:
    """Sample table from row dicts, in contract column order with integer frame and AU columns."""
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
    """Write a TSV atomically: a crash or a parallel reader never sees a half-written table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        df.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_samples(path: str | Path) -> pd.DataFrame:
    """Read samples.tsv: text columns as str (subject `006` stays `006`), ints where the contract says."""
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [column for column in BASE_COLUMNS + TAIL_COLUMNS if column not in df.columns]
    if missing:
        raise ValueError(f"{path} is not a sample table: missing columns {', '.join(missing)}")
    for column in _INT_COLUMNS + au_columns(df):
        df[column] = df[column].astype(int)
    return df
