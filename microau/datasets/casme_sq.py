"""CAS(ME)^2 (Qu et al. 2018, 30 fps), reader `casme_sq`, as public MEGC spotting loaders read it.

Frames `rawpic/s15/15_0101disgustingteeth/img1.jpg`; annotation `CAS(ME)^2code_final*.xlsx`:
sheet 1 has no header, one expression a row (participant number, `<video name>_<n>`, onset, apex,
offset, AUs, emotion, type `micro-expression` or `macro-expression`, self-reported emotion); sheet 3
maps video codes (`0101`) to video names (`disgust1`); sheet 2 maps participant numbers (3rd column)
to subjects (2nd column, `15`, `s15` or `S15`). A video's folder is the one under its subject whose
name starts `<nn>_<code>`. The shared rules: `microau.datasets.long_release`.
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


def subject_id(cell: object) -> str:
    """`15`, `s15`, `S15` -> `s15`; '' when no number."""
    found = _NUMBER.search(text(cell))
    return f"s{int(found.group()):02d}" if found else ""


def read_release(root: Path, coding_file: str | None) -> LongRelease:
    sheet = coding_sheet(root, "CAS(ME)^2code_final*.xlsx", coding_file, "casme_sq")
    expressions, subjects_sheet, codes_sheet = (sheet_rows(sheet, i) for i in range(3))
    subjects = {
        number(row[2]): subject_id(row[1]) for row in subjects_sheet if len(row) > 2 and number(row[2]) is not None
    }
    codes = {text(row[1]): text(row[0]).zfill(4) for row in codes_sheet if len(row) > 1 and text(row[1])}
    frames_root = next(iter(sorted(root.rglob("rawpic"))), None)
    if frames_root is None:
        raise DatasetError(f"{root} holds no rawpic/ folder of CAS(ME)^2 frames: check spotting_datasets.<name>.root")
    videos: dict[str, tuple[LongVideoRow, int]] = {}
    truth, skipped = [], []
    for line, row in enumerate(expressions, start=1):
        participant, onset, offset = number(row[0]), number(row[2]), number(row[4])
        kind = kind_of(row[7]) if len(row) > 7 else None
        if participant is None or onset is None or offset is None or kind is None:
            if any(text(c) for c in row):
                skipped.append(
                    {"video": text(row[1]) if len(row) > 1 else "", "row": line, "reason": "not an expression row"}
                )
            continue
        name = text(row[1]).rsplit("_", 1)[0]
        subject = subjects.get(participant, "")
        code = codes.get(name)
        if not subject or code is None:
            skipped.append(
                {
                    "video": name,
                    "row": line,
                    "reason": f"participant {participant} or video name {name} not in the naming sheets",
                }
            )
            continue
        prefix = f"{int(subject[1:]):02d}_{code}"
        folders = sorted(p for p in (frames_root / subject).glob(f"{prefix}*") if p.is_dir())
        if not folders:
            skipped.append(
                {
                    "video": f"{subject}/{prefix}",
                    "row": line,
                    "reason": f"no frame folder {frames_root / subject / prefix}*",
                }
            )
            continue
        key = f"{subject}_{code}"
        if key not in videos:
            first, count = first_frame(folders[0])
            videos[key] = (LongVideoRow(key, subject, str(folders[0]), READERS["casme_sq"].fps, count), first)
        video, first = videos[key]
        truth.append(interval(video, first, kind, onset, number(row[3]), offset, text(row[6]) if len(row) > 6 else ""))
    return LongRelease([v for v, _ in videos.values()], truth, skipped)
