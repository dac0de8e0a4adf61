"""SAMM Long Videos (Yap et al. 2020, 200 fps), reader `samm_lv`, as public MEGC spotting loaders read it.

Frames `SAMM_longvideos/006_1/006_1_0001.jpg`; annotation `SAMM_LongVideos_*.xlsx`, a title block
above the header row (first cell `Subject`), columns Subject, Filename (`006_1_2`: video `006_1`,
expression 2), Inducement Code, Onset, Apex, Offset, Duration, Type (`Micro - 1/2` or `Macro`),
Action Units, Notes. The shared rules: `microau.datasets.long_release`.
"""

from __future__ import annotations

import re
from pathlib import Path

from microau.datasets.long_release import (
    LongRelease,
    coding_sheet,
    first_frame,
    interval,
    kind_of,
    number,
    sheet_rows,
    text,
)
from microau.datasets.release import DatasetError
from microau.io.video_table import LongVideoRow
from microau.releases import READERS

_NUMBER = re.compile(r"\d+")


def read_release(root: Path, coding_file: str | None) -> LongRelease:
    sheet = coding_sheet(root, "SAMM_LongVideos_*.xlsx", coding_file, "samm_lv")
    rows = sheet_rows(sheet, 0)
    header_at = next((i for i, row in enumerate(rows) if row and text(row[0]) == "Subject"), None)
    if header_at is None:
        raise DatasetError(f"{sheet} has no header row starting with 'Subject'")
    header = [text(c) for c in rows[header_at]]
    needed = ("Subject", "Filename", "Onset", "Apex", "Offset", "Type")
    missing = [h for h in needed if h not in header]
    if missing:
        raise DatasetError(f"{sheet} lacks the column(s) {', '.join(missing)}")
    col = {h: header.index(h) for h in needed}
    # the public sheet has no emotion column; a release whose sheet carries one ("Emotion",
    # "Estimated Emotion") keeps it
    emotion_col = next((i for i, h in enumerate(header) if "emotion" in h.lower()), None)
    frames_root = next(iter(sorted(root.rglob("SAMM_longvideos"))), None)
    if frames_root is None:
        raise DatasetError(f"{root} holds no SAMM_longvideos/ folder: check spotting_datasets.<name>.root")
    videos: dict[str, tuple[LongVideoRow, int]] = {}
    truth, skipped = [], []
    for line, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        filename = text(row[col["Filename"]])
        onset, offset, kind = number(row[col["Onset"]]), number(row[col["Offset"]]), kind_of(row[col["Type"]])
        if not filename or onset is None or offset is None or kind is None:
            if any(text(c) for c in row):
                skipped.append({"video": filename, "row": line, "reason": "not an expression row"})
            continue
        key = "_".join(filename.split("_")[:2])
        folder = frames_root / key
        if not folder.is_dir():
            skipped.append({"video": key, "row": line, "reason": f"no frame folder {folder}"})
            continue
        if key not in videos:
            first, count = first_frame(folder)
            subject = f"{int(_NUMBER.search(key).group()):03d}"
            videos[key] = (LongVideoRow(key, subject, str(folder), READERS["samm_lv"].fps, count), first)
        video, first = videos[key]
        emotion = text(row[emotion_col]) if emotion_col is not None and emotion_col < len(row) else ""
        truth.append(interval(video, first, kind, onset, number(row[col["Apex"]]), offset, emotion))
    return LongRelease([v for v, _ in videos.values()], truth, skipped)
