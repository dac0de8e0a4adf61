"""What every long-video release reader shares: a reader module of `microau.releases.READERS`
with stage `spot-index` has `read_release(root, coding_file) -> LongRelease`.

Both annotated releases (CAS(ME)^2, `microau.datasets.casme_sq`; SAMM Long Videos,
`microau.datasets.samm_lv`) code an offset of 0 where the offset was not coded: the apex ends the
interval then, as the MEGC loaders do. Frame numbers are the frames' own (img1 = 1); intervals are
stored as 0-based positions in the video's frames. An expression whose video folder is missing, or
whose frames are not numbers, is listed in skipped.tsv with the reason.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from microau.datasets.release import DatasetError
from microau.io.intervals import Interval
from microau.io.video_table import LongVideoRow
from microau.preprocess.video import frame_files, trailing_number
from microau.releases import READERS, SPOT_READERS


@dataclass
class LongRelease:
    videos: list[LongVideoRow]
    truth: list[Interval]
    skipped: list[dict[str, str]]


def coding_sheet(root: Path, pattern: str, coding_file: str | None, reader: str) -> Path:
    if coding_file:
        path = Path(coding_file) if Path(coding_file).is_absolute() else root / coding_file
        if not path.is_file():
            raise DatasetError(f"coding_file {path} of the {reader} dataset does not exist")
        return path
    found = sorted(root.rglob(pattern))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} ({', '.join(p.name for p in found)})"
        raise DatasetError(
            f"{root} holds {what} annotation sheet {pattern}: set spotting_datasets.<name>.coding_file (or root)"
        )
    return found[0]


def sheet_rows(path: Path, index: int) -> list[list[object]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    if index >= len(workbook.worksheets):
        raise DatasetError(f"{path} has {len(workbook.worksheets)} sheets; the reader needs sheet {index + 1}")
    return [list(row) for row in workbook.worksheets[index].iter_rows(values_only=True)]


def text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return "" if cell is None else str(cell).strip()


def number(cell: object) -> int | None:
    value = text(cell)
    return int(float(value)) if re.fullmatch(r"-?\d+(\.0+)?", value) else None


def kind_of(cell: object) -> str | None:
    value = text(cell).lower()
    return "micro" if value.startswith("micro") else "macro" if value.startswith("macro") else None


def first_frame(folder: Path) -> tuple[int, int]:
    """The number of a frame folder's first frame and how many frames it holds."""
    files = frame_files(folder)
    return trailing_number(files[0]), len(files)


def interval(
    video: LongVideoRow, first: int, kind: str, onset: int, apex: int | None, offset: int, emotion: str = ""
) -> Interval:
    """0-based positions; offset 0 (not coded) takes the apex; the emotion as annotated, lower case."""
    if offset == 0 and apex:
        offset = apex
    apex_pos = apex - first if apex and apex > 0 else -1
    return Interval(video.video, video.subject, kind, onset - first, apex_pos, offset - first, emotion.strip().lower())


def read_long_release(reader: str, root: Path, coding_file: str | None = None) -> LongRelease:
    if not root.is_dir():
        raise DatasetError(f"the {reader} release folder {root} does not exist: set spotting_datasets.<name>.root")
    if reader not in SPOT_READERS:
        raise DatasetError(f"unknown spotting reader {reader!r} (choose from {', '.join(SPOT_READERS)})")
    return importlib.import_module(READERS[reader].module).read_release(root, coding_file)
