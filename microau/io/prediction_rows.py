"""Predictions as rows: the one prediction record, and the CSV files made of it (written and read
back here only).

A `Prediction` holds each AU's P(on), the AUs on (decided by `microau.model.decision`; this module
carries the decision, it takes none), per reading of Eq. 13 the emotion and each class's score, and,
for the review page, the AU tokens with their PTA weights. A `PredictionRow` is one prediction with
the columns saying what it was made of (`context`: a clip's, or a spotted interval's) and its status.

Every file of rows has one schema: its context columns, then the prediction's (`prediction_columns`:
per AU `<AU>_prob` (P(on)) and `<AU>_on` (0/1), then per reading `mer_<reading>_<class>` (each
class's score) and `mer_<reading>_pred`), then `status`; numbers with six decimals, a row whose
prediction failed with its scores empty. The context columns are CLIP_COLUMNS in the clips CSV of
`microau analyse` (`write_clip_rows`) and INTERVAL_COLUMNS (frames and seconds) in the analysis CSV
of `microau spot --model` (`write_interval_rows`).

`read_clip_rows` and `read_interval_rows` give the rows back (context values as text), so a file
read and written again is the same file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_open

CLIP_COLUMNS = ("clip", "path", "kind", "onset", "onset_file", "onset_from", "apex", "apex_file", "apex_from")
INTERVAL_COLUMNS = ("video", "kind", "onset", "apex", "offset", "onset_s", "apex_s", "offset_s")
STATUS_OK = "ok"
RowSchema = tuple[Sequence[str], Mapping[str, Sequence[str]]]
"""A model's AUs and each reading's classes: what a file's prediction columns are made of."""


class PredictionRowsError(MicroauError):
    """A CSV is not a file of prediction rows; the message names it and what it lacks."""


@dataclass
class Prediction:
    """P(on) per AU, the AUs on, per reading of Eq. 13 (see microau.model.mer) the emotion and each
    class's score; from the model, also the AU tokens, their PTA weights and the seconds it took."""

    aus: dict[str, float]
    active: list[str]
    emotions: dict[str, str]
    emotion_scores: dict[str, dict[str, float]]
    au_tokens: np.ndarray | None = None
    token_weights: np.ndarray | None = None
    seconds: float = 0.0


@dataclass
class PredictionRow:
    """One row: its context columns, its prediction (None when the clip could not be analysed) and status."""

    context: dict[str, object]
    prediction: Prediction | None
    status: str = STATUS_OK


def prediction_columns(aus: Sequence[str], emotion_classes: Mapping[str, Sequence[str]]) -> list[str]:
    """A prediction's columns for a model's AUs and each reading's classes, in the module's order."""
    au_columns = [f"{au}_{kind}" for au in aus for kind in ("prob", "on")]
    mer_columns = [
        column
        for reading, names in emotion_classes.items()
        for column in [*(f"mer_{reading}_{name}" for name in names), f"mer_{reading}_pred"]
    ]
    return [*au_columns, *mer_columns]


def clip_columns(aus: Sequence[str], emotion_classes: Mapping[str, Sequence[str]]) -> list[str]:
    """The clips CSV's columns."""
    return [*CLIP_COLUMNS, *prediction_columns(aus, emotion_classes), "status"]


def interval_columns(aus: Sequence[str], emotion_classes: Mapping[str, Sequence[str]]) -> list[str]:
    """The analysis CSV's columns."""
    return [*INTERVAL_COLUMNS, *prediction_columns(aus, emotion_classes), "status"]


def row_record(row: PredictionRow) -> dict[str, object]:
    """A row as its file's columns hold it (numbers as numbers; a failed row without scores)."""
    record = dict(row.context)
    prediction = row.prediction
    if prediction is not None:
        for au, p in prediction.aus.items():
            record[f"{au}_prob"], record[f"{au}_on"] = p, int(au in prediction.active)
        for reading, scores in prediction.emotion_scores.items():
            record |= {f"mer_{reading}_{name}": score for name, score in scores.items()}
        for reading, emotion in prediction.emotions.items():
            record[f"mer_{reading}_pred"] = emotion
    return record | {"status": row.status}


def _cell(value: object) -> str:
    """A cell: floats with six decimals, nothing for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def _write(path: Path, rows: Iterable[PredictionRow], columns: Sequence[str]) -> None:
    with atomic_open(path, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            record = row_record(row)
            writer.writerow([_cell(record.get(column)) for column in columns])


def write_clip_rows(
    path: Path, rows: Iterable[PredictionRow], aus: Sequence[str], emotion_classes: Mapping[str, Sequence[str]]
) -> None:
    """The clips CSV, written whole or not at all."""
    _write(path, rows, clip_columns(aus, emotion_classes))


def write_interval_rows(
    path: Path, rows: Iterable[PredictionRow], aus: Sequence[str], emotion_classes: Mapping[str, Sequence[str]]
) -> None:
    """The analysis CSV of spotted intervals, written whole or not at all (a header alone when empty)."""
    _write(path, rows, interval_columns(aus, emotion_classes))


def _read(path: Path, required: Sequence[str], what: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    missing = [column for column in required if column not in columns]
    if missing:
        raise PredictionRowsError(f"{path} lacks {', '.join(missing)}: not {what}")
    return columns, rows


def _read_rows(path: Path, context_columns: Sequence[str], what: str) -> list[PredictionRow]:
    """The rows of a file `_write` wrote with `context_columns`; a failed row's prediction is None."""
    columns, rows = _read(path, [*context_columns, "status"], what)
    aus = [column[: -len("_prob")] for column in columns if column.endswith("_prob")]
    readings: dict[str, list[str]] = {}
    pending: list[str] = []
    for column in columns[len(context_columns) + 2 * len(aus) : -1]:
        if column.endswith("_pred"):
            reading = column[len("mer_") : -len("_pred")]
            readings[reading] = [name[len(f"mer_{reading}_") :] for name in pending]
            pending = []
        else:
            pending.append(column)
    found = []
    for row in rows:
        context = {column: row[column] for column in context_columns}
        prediction = None
        if row["status"] == STATUS_OK:
            prediction = Prediction(
                aus={au: float(row[f"{au}_prob"]) for au in aus},
                active=[au for au in aus if row[f"{au}_on"] == "1"],
                emotions={reading: row[f"mer_{reading}_pred"] for reading in readings},
                emotion_scores={
                    reading: {name: float(row[f"mer_{reading}_{name}"]) for name in names}
                    for reading, names in readings.items()
                },
            )
        found.append(PredictionRow(context, prediction, row["status"]))
    return found


def read_clip_rows(path: str | Path) -> list[PredictionRow]:
    """The rows of a clips CSV `write_clip_rows` wrote; a failed clip's prediction is None."""
    return _read_rows(Path(path), CLIP_COLUMNS, "a clips CSV of microau analyse")


def read_interval_rows(path: str | Path) -> list[PredictionRow]:
    """The rows of an analysis CSV `write_interval_rows` wrote; a failed interval's prediction is None."""
    return _read_rows(Path(path), INTERVAL_COLUMNS, "an analysis CSV of microau spot --model")
