"""The long-video index of a spotting dataset: `videos.tsv` (video, subject, source, fps, frames;
one row per long video, its frames counted) and `skipped.tsv` (video, row, reason: each
annotation row that could not be placed), both through `sample_table`'s TSV functions.
Written by `microau spot-index`; read by the spot jobs, the spotting table and the workflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from microau.io.sample_table import read_rows, write_rows

VIDEO_COLUMNS = ("video", "subject", "source", "fps", "frames")
SKIPPED_COLUMNS = ("video", "row", "reason")


@dataclass
class LongVideoRow:
    video: str
    subject: str
    source: str
    fps: float
    frames: int


def write_videos(path: str | Path, videos: list[LongVideoRow]) -> None:
    write_rows(path, VIDEO_COLUMNS, [v.__dict__ for v in videos])


def read_videos(path: str | Path) -> list[LongVideoRow]:
    return [
        LongVideoRow(r["video"], r["subject"], r["source"], float(r["fps"]), int(r["frames"]))
        for r in read_rows(path, VIDEO_COLUMNS)[1]
    ]


def write_skipped(path: str | Path, skipped: list[dict[str, str]]) -> None:
    write_rows(path, SKIPPED_COLUMNS, skipped)
