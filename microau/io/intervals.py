"""Expression intervals of a long video and the CSV that holds them (owner of that format).

An interval is inclusive frame numbers onset..offset (0-based, the video's own frames) of one kind
(`micro` or `macro`), with its apex when known (-1 otherwise) and the emotion its annotation gives
('' when none: spotted intervals, releases without emotions). The CSV has one row per interval:
  video,subject,kind,onset,apex,offset,emotion
(a CSV without the emotion column, as written before it existed, reads with emotion '').
Ground truth (`truth.csv`, written by the index of a long-video dataset) and spotted intervals
(`{video}.csv`, written by the spot stage) share it, so scoring reads both with one function.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from microau.errors import MicroauError
from microau.io.atomic import atomic_open

KINDS = ("micro", "macro")


class IntervalsError(MicroauError):
    """An intervals CSV lacks a column or holds a value that is not an interval; the message names the file."""


@dataclass(frozen=True)
class Interval:
    """Inclusive frames onset..offset of one expression of `kind` in `video` of `subject`."""

    video: str
    subject: str
    kind: str
    onset: int
    apex: int
    offset: int
    emotion: str = ""

    @property
    def length(self) -> int:
        return self.offset - self.onset + 1


COLUMNS = tuple(f.name for f in fields(Interval))


def write_intervals(path: str | Path, intervals: Iterable[Interval]) -> None:
    """One row per interval under COLUMNS (a header alone when there is none)."""
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for interval in intervals:
            writer.writerow(asdict(interval))


def read_intervals(path: str | Path) -> list[Interval]:
    """The intervals of a CSV written by `write_intervals`."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or []) and c != "emotion"]
        if missing:
            raise IntervalsError(f"{path} lacks {', '.join(missing)}: not an intervals CSV")
        out = []
        for line, row in enumerate(reader, start=2):
            try:
                interval = Interval(
                    row["video"],
                    row["subject"],
                    row["kind"],
                    int(row["onset"]),
                    int(row["apex"]),
                    int(row["offset"]),
                    row.get("emotion") or "",
                )
            except ValueError as error:
                raise IntervalsError(f"{path} line {line}: {error}") from None
            if interval.kind not in KINDS or interval.offset < interval.onset:
                raise IntervalsError(f"{path} line {line}: not an interval of kind {'/'.join(KINDS)}: {row}")
            out.append(interval)
    return out
