"""`microau spot-index`: the long videos of a spotting dataset and their annotated expressions.

Readers of the releases as they unpack (layouts as public MEGC spotting loaders read them):

- `casme_sq`, CAS(ME)^2 (Qu et al. 2018, 30 fps): frames `rawpic/s15/15_0101disgustingteeth/img1.jpg`;
  annotation `CAS(ME)^2code_final*.xlsx`: sheet 1 has no header, one expression a row (participant
  number, `<video name>_<n>`, onset, apex, offset, AUs, emotion, type `micro-expression` or
  `macro-expression`, self-reported emotion); sheet 3 maps video codes (`0101`) to video names
  (`disgust1`); sheet 2 maps participant numbers (3rd column) to subjects (2nd column, `15`, `s15`
  or `S15`). A video's folder is the one under its subject whose name starts `<nn>_<code>`.
- `samm_lv`, SAMM Long Videos (Yap et al. 2020, 200 fps): frames `SAMM_longvideos/006_1/006_1_0001.jpg`;
  annotation `SAMM_LongVideos_*.xlsx`, a title block above the header row (first cell `Subject`),
  columns Subject, Filename (`006_1_2`: video `006_1`, expression 2), Inducement Code, Onset, Apex,
  Offset, Duration, Type (`Micro - 1/2` or `Macro`), Action Units, Notes.
- `synthetic_long`: what `microau synthesize-long` writes (videos/*.avi, truth.csv, synthesis.json).

Both releases code an offset of 0 where the offset was not coded: the apex ends the interval then,
as the MEGC loaders do. Frame numbers are the frames' own (img1 = 1); intervals are stored as
0-based positions in the video's frames. An expression whose video folder is missing, or whose
frames are not numbers, is listed in skipped.tsv with the reason.

Writes videos.tsv (video, subject, source, fps, frames; the sample table format) and truth.csv
(`microau.io.intervals`).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from microau.datasets.release import DatasetError
from microau.io.intervals import Interval, write_intervals
from microau.io.sample_table import read_rows, write_rows
from microau.plan.config import KINDS_ANNOTATED
from microau.spotting.spotter import folder_frames

PROG = "microau spot-index"
SPOT_READERS = ("casme_sq", "samm_lv", "synthetic_long")
FPS = {"casme_sq": 30.0, "samm_lv": 200.0}
VIDEO_COLUMNS = ("video", "subject", "source", "fps", "frames")
SKIPPED_COLUMNS = ("video", "row", "reason")
_NUMBER = re.compile(r"\d+")
_TRAILING = re.compile(r"(\d+)(?=\.[^.]+$)")


@dataclass
class LongVideoRow:
    video: str
    subject: str
    source: str
    fps: float
    frames: int


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
    files = folder_frames(folder)
    return int(_TRAILING.search(files[0].name).group(1)), len(files)


def interval(
    video: LongVideoRow, first: int, kind: str, onset: int, apex: int | None, offset: int, emotion: str = ""
) -> Interval:
    """0-based positions; offset 0 (not coded) takes the apex; the emotion as annotated, lower case."""
    if offset == 0 and apex:
        offset = apex
    apex_pos = apex - first if apex and apex > 0 else -1
    return Interval(video.video, video.subject, kind, onset - first, apex_pos, offset - first, emotion.strip().lower())


def subject_id(cell: object) -> str:
    """`15`, `s15`, `S15` -> `s15`; '' when no number."""
    found = _NUMBER.search(text(cell))
    return f"s{int(found.group()):02d}" if found else ""


def read_casme_sq(root: Path, coding_file: str | None) -> LongRelease:
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
            videos[key] = (LongVideoRow(key, subject, str(folders[0]), FPS["casme_sq"], count), first)
        video, first = videos[key]
        truth.append(interval(video, first, kind, onset, number(row[3]), offset, text(row[6]) if len(row) > 6 else ""))
    return LongRelease([v for v, _ in videos.values()], truth, skipped)


def read_samm_lv(root: Path, coding_file: str | None) -> LongRelease:
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
            videos[key] = (LongVideoRow(key, subject, str(folder), FPS["samm_lv"], count), first)
        video, first = videos[key]
        emotion = text(row[emotion_col]) if emotion_col is not None and emotion_col < len(row) else ""
        truth.append(interval(video, first, kind, onset, number(row[col["Apex"]]), offset, emotion))
    return LongRelease([v for v, _ in videos.values()], truth, skipped)


def read_synthetic_long(root: Path) -> LongRelease:
    """The videos and truth.csv; each expression's emotion from synthesis.json (a truth.csv written
    before it carried emotions reads the same)."""
    from dataclasses import replace

    from microau.datasets.synthetic_long import TRUTH_CSV, TRUTH_JSON, VIDEOS_DIR
    from microau.io.intervals import read_intervals

    record = json.loads((root / TRUTH_JSON).read_text())
    videos = [
        LongVideoRow(
            v["subject"],
            v["subject"],
            str(root / VIDEOS_DIR / f"{v['subject']}.avi"),
            float(v["fps"]),
            int(v["frames"]),
        )
        for v in record["videos"]
    ]
    emotions = {
        (v["subject"], e["onset"], e["offset"]): e["emotion"] for v in record["videos"] for e in v["expressions"]
    }
    truth = [
        replace(i, emotion=emotions.get((i.video, i.onset, i.offset), i.emotion))
        for i in read_intervals(root / TRUTH_CSV)
    ]
    return LongRelease(videos, truth, [])


def read_long_release(reader: str, root: Path, coding_file: str | None = None) -> LongRelease:
    if not root.is_dir():
        raise DatasetError(f"the {reader} release folder {root} does not exist: set spotting_datasets.<name>.root")
    if reader == "casme_sq":
        return read_casme_sq(root, coding_file)
    if reader == "samm_lv":
        return read_samm_lv(root, coding_file)
    if reader == "synthetic_long":
        return read_synthetic_long(root)
    raise DatasetError(f"unknown spotting reader {reader!r} (choose from {', '.join(SPOT_READERS)})")


def write_videos(path: str | Path, videos: list[LongVideoRow]) -> None:
    write_rows(path, VIDEO_COLUMNS, [v.__dict__ for v in videos])


def read_videos(path: str | Path) -> list[LongVideoRow]:
    return [
        LongVideoRow(r["video"], r["subject"], r["source"], float(r["fps"]), int(r["frames"]))
        for r in read_rows(path, VIDEO_COLUMNS)[1]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--reader", choices=SPOT_READERS, required=True, help="release layout")
    parser.add_argument("--root", type=Path, required=True, help="release folder")
    parser.add_argument("--coding-file", help="annotation sheet, when the release holds more than one")
    parser.add_argument("--out-dir", type=Path, required=True, help="folder for videos.tsv, truth.csv, skipped.tsv")
    args = parser.parse_args(argv)
    release = read_long_release(args.reader, args.root, args.coding_file)
    if not release.videos:
        raise DatasetError(f"no video of {args.root} could be read ({len(release.skipped)} rows skipped)")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_videos(args.out_dir / "videos.tsv", release.videos)
    write_intervals(args.out_dir / "truth.csv", release.truth)
    write_rows(args.out_dir / "skipped.tsv", SKIPPED_COLUMNS, release.skipped)
    kinds = {k: sum(i.kind == k for i in release.truth) for k in KINDS_ANNOTATED[args.reader]}
    print(
        f"{PROG}: {len(release.videos)} videos, "
        + ", ".join(f"{n} {k}" for k, n in kinds.items())
        + f" expressions, {len(release.skipped)} rows skipped -> {args.out_dir}"
    )
    return 0
