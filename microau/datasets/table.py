"""Reader `table`: a lab's own recordings described by one CSV or TSV, one row per sample.

The table (the `root` itself, `coding_file` under it, or the single .csv/.tsv directly in the
root folder, not counting `<name>_validation.tsv`, the report `microau elan-import` writes beside it) has a header
row; headers are matched by name ignoring case, spaces and underscores:

  subject      participant id (required)
  clip         a video file or a folder of frames, relative to the table's folder (required)
  onset, offset, apex   frame numbers (onset and offset required; a blank or missing apex is
               replaced as `frames.missing_apex` says, as in the release readers)
  au           AU codes as coders write them (`1+2+L4`, `R12`, `4+7?`, ...; `microau.datasets.au_codes`)
  emotion      optional; mapped to the three classes by the dataset's `class3`
  fps          optional; the frame rate the coder saw, checked against a video's own
  first_frame  optional, 0 or 1: the number of a video's first frame (else config `first_frame`)
  sample       optional id; default `<subject>_<clip name>_<onset>`

Frame numbers of a video count decoded frames from `first_frame`; those of a frame folder are
the trailing integers of its image files' names, as in the release readers. Ids are kept to
letters, digits, `.`, `_` and `-` (they name files and Snakemake wildcards), other characters
becoming `-`, reported.

A video is decoded once, whatever number of samples it holds, in one pass from its first frame
(seeking is not frame-exact with every codec) to the last offset asked of it: the onset and apex
frames are written as PNG under the clips folder (the index's own output), and, where the apex
must be found by motion, the frames onset..offset are held in memory for that search only. Every
later stage reads those PNGs as it reads a release's frames. A clip that is missing, that OpenCV
cannot decode, or that ends before the onset or apex is a validation row, and the sample is
dropped; an offset past the end is moved to the last frame, reported.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from microau.datasets.release import DatasetError, Release
from microau.datasets.samples import (
    CodedRow,
    IndexResult,
    IndexRules,
    Report,
    _check_aus,
    apex_from_motion,
    coded_interval,
    emotion_of_class,
    folder_frames,
    folder_record,
    midpoint_apex,
    sample_record,
)
from microau.io.atomic import atomic_open
from microau.io.sample_table import make_table
from microau.preprocess.images import write_image
from microau.preprocess.video import VIDEO_SUFFIXES

READER = "table"
TABLE_SUFFIXES = (".csv", ".tsv")
IMPORT_REPORT_SUFFIX = "_validation.tsv"  # an import's report beside its table: not a table
IMPORT_TABLE_COLUMNS = ("subject", "clip", "onset", "apex", "offset", "au", "emotion", "fps", "first_frame")
IMPORT_COLUMNS = ("file", "where", "time", "problem", "action")
FIRST_FRAMES = (0, 1)
COLUMNS = {
    "subject": ("subject", "participant"),
    "clip": ("clip", "video", "file", "path"),
    "onset": ("onset", "onsetframe"),
    "apex": ("apex", "apexframe"),
    "offset": ("offset", "offsetframe"),
    "au": ("au", "aus", "actionunits"),
    "emotion": ("emotion", "estimatedemotion"),
    "fps": ("fps", "framerate"),
    "first_frame": ("firstframe",),
    "sample": ("sample", "id"),
}
REQUIRED = ("subject", "clip", "onset", "offset", "au")
FPS_TOLERANCE = 0.01
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

RELEASE = Release(
    title="table",
    coding_glob="*.csv",
    sheet="",
    headers={},
    excluded_emotions=frozenset({"others", "other"}),
    frame_layouts={},
    subject_name=lambda text: text,
    folder_key=lambda name: None,
)
"""The defaults of a table (CASME II's AU set; MEGC 2019's three classes over the emotion words of
CASME II and SAMM together, since a lab may use either set of words)."""


@dataclass
class _VideoSample:
    """One sample of a video, in decoded-frame positions (0-based), waiting for its frames."""

    row: CodedRow
    subject: str
    sample: str
    first_frame: int
    onset: int
    apex: int | None
    offset: int
    apex_problem: str
    order: int
    images: dict[int, np.ndarray] = field(default_factory=dict)
    window: list[tuple[int, np.ndarray]] = field(default_factory=list)


def find_table(root: Path, coding_file: str | Path | None, name: str) -> Path:
    """The table: `root` when it is a file, else `coding_file` (as given or under the root), else
    the single .csv or .tsv directly in the root folder."""
    if root.is_file():
        return root
    if not root.is_dir():
        raise DatasetError(f"dataset root {root} does not exist (datasets.{name}.root)")
    if coding_file is not None:
        path = Path(coding_file).expanduser()
        path = path if path.is_absolute() else root / path
        if not path.is_file():
            raise DatasetError(f"table {path} not found (datasets.{name}.coding_file)")
        return path
    found = sorted(
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES and not p.name.endswith(IMPORT_REPORT_SUFFIX)
    )
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise DatasetError(
            f"{root} must hold exactly one .csv or .tsv table, found {listed}; "
            f"name it with datasets.{name}.coding_file (datasets.{name}.root)"
        )
    return found[0]


def read_table(path: Path, name: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The table's field -> header map and its rows as text (a .tsv is tab-separated; a .csv's
    separator, `,` or `;`, is sniffed)."""
    sep = "\t" if path.suffix.lower() == ".tsv" else None
    try:
        table = pd.read_csv(path, sep=sep, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(f"cannot read {path} as a table: {exc} (datasets.{name}.root)") from None
    keys = {re.sub(r"[\s_]+", "", str(c)).lower(): str(c) for c in table.columns}
    columns = {f: next((keys[a] for a in aliases if a in keys), "") for f, aliases in COLUMNS.items()}
    missing = [f for f in REQUIRED if not columns[f]]
    if missing:
        raise DatasetError(
            f"{path}: no column for {', '.join(missing)} (headers: {', '.join(map(str, table.columns))}); "
            f"a table needs {', '.join(REQUIRED)} (datasets.{name}.root)"
        )
    rows = [{f: str(record[c]).strip() if c else "" for f, c in columns.items()} for record in table.to_dict("records")]
    return columns, rows


def safe_id(text: str) -> str:
    """`text` with runs of characters other than letters, digits, `.`, `_`, `-` replaced by `-`."""
    return _UNSAFE.sub("-", text.strip()).strip("-")


class ImportReport:
    """The rows of an import's report (IMPORT_COLUMNS): files named by their path from `base`
    (the table's folder, the study), `where` the tier, observation or row in the file."""

    def __init__(self, base: Path) -> None:
        self.base = Path(os.path.abspath(base))
        self.rows: list[dict[str, str]] = []

    def name(self, path: Path) -> str:
        return Path(os.path.relpath(os.path.abspath(path), self.base)).as_posix()

    def add(self, path: Path, where: str, time: str, problem: str, action: str) -> None:
        self.rows.append({"file": self.name(path), "where": where, "time": time, "problem": problem, "action": action})


def import_record(
    table: Path,
    video: Path,
    subject: str,
    frames: tuple[int, int | None, int],
    coded: tuple[str, str],
    fps: float,
    first_frame: int,
) -> list[object]:
    """One imported micro-expression as a row of IMPORT_TABLE_COLUMNS: the video relative to the
    table's folder, the 0-based (onset, apex or None, offset) counted from `first_frame`, the
    (AU codes, emotion) as coded."""
    clip = Path(os.path.relpath(video, Path(os.path.abspath(table)).parent)).as_posix()
    onset, apex, offset = frames
    shown_apex = "" if apex is None else apex + first_frame
    return [subject, clip, onset + first_frame, shown_apex, offset + first_frame, *coded, f"{fps:g}", first_frame]


def write_import(table: Path, report: Path, records: list[list[object]], rows: list[dict[str, str]]) -> None:
    """An import's table (IMPORT_TABLE_COLUMNS, one row per micro-expression) and its report."""
    with atomic_open(table, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(IMPORT_TABLE_COLUMNS)
        writer.writerows(records)
    with atomic_open(report, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=IMPORT_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def carry_import_report(table: Path, report: Report) -> None:
    """The rows of the import report beside `table` (an ELAN or BORIS import made it), into the
    index's report: what the import left out is part of the one list of what was left out."""
    path = table.with_name(f"{table.stem}{IMPORT_REPORT_SUFFIX}")
    if not path.is_file():
        return
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            where = ", ".join(filter(None, (row.get("where", ""), row.get("time", ""))))
            place = f"{row.get('file', '')} ({where})" if where else row.get("file", "")
            report.add("", f"{path.name}: {place}: {row.get('problem', '')}", row.get("action", ""))


def build_table_index(
    name: str,
    root: str | Path,
    *,
    missing_apex: str,
    clips_dir: str | Path | None,
    aus: list[int],
    class3: dict[str, list[str]],
    first_frame: int | None = None,
    coding_file: str | Path | None = None,
) -> IndexResult:
    """Read a table-described dataset (module docstring) into the sample table and its validation
    report; onset and apex frames of video clips are written under `clips_dir`."""
    if first_frame not in (None, *FIRST_FRAMES):
        raise DatasetError(f"first_frame must be 0 or 1, got {first_frame!r} (datasets.{name}.first_frame)")
    table = find_table(Path(os.path.abspath(Path(root).expanduser())), coding_file, name)
    columns, rows = read_table(table, name)
    if first_frame is None and not columns["first_frame"]:
        raise DatasetError(
            f"{table} has no first_frame column: say whether its frame numbers count from 0 or 1 "
            f"with datasets.{name}.first_frame"
        )
    report = Report()
    carry_import_report(table, report)
    return index_rows(
        name,
        RELEASE,
        rows,
        table.parent,
        lambda number: f"{table.name} row {number + 2}",
        missing_apex=missing_apex,
        clips_dir=clips_dir,
        first_frame=first_frame,
        aus=aus,
        class3=class3,
        report=report,
    )


def index_rows(
    name: str,
    release: Release,
    rows: list[dict[str, str]],
    table_folder: Path,
    where_of: Callable[[int], str],
    *,
    missing_apex: str,
    clips_dir: str | Path | None,
    first_frame: int | None,
    aus: list[int],
    class3: dict[str, list[str]],
    report: Report | None = None,
) -> IndexResult:
    """Rows of a table (COLUMNS' fields as text; clips relative to `table_folder`) -> the sample table and
    its validation report (added to `report` when given); `where_of(i)` names row i in messages."""
    au_set = _check_aus(aus, name)
    emotions = emotion_of_class(class3, f"datasets.{name}.class3")
    rules = IndexRules(release, name, {}, au_set, emotions, missing_apex)
    report = report if report is not None else Report()
    records: dict[int, dict[str, object]] = {}
    videos: dict[Path, list[_VideoSample]] = {}
    seen: dict[str, str] = {}
    by_path = _clashing_ids(rows)
    for order, text in enumerate(rows):
        where = where_of(order)
        named = _names(text, where, seen, report, by_path)
        if named is None:
            continue
        subject, sample = named
        row = CodedRow(
            where, subject, text["clip"], text["onset"], text["apex"], text["offset"], text["au"], text["emotion"]
        )
        clip = Path(os.path.abspath(table_folder / text["clip"]))
        if clip.is_dir():
            interval = coded_interval(sample, row, report)
            if interval is not None:
                record = folder_record(
                    row, rules, subject, sample, interval, (clip, folder_frames(sample, clip, report)), report
                )
                if record is not None:
                    records[order] = record
            continue
        if not clip.is_file():
            report.add(sample, f"{where}: clip {text['clip']} not found", "dropped")
            continue
        if clip.suffix.lower() not in VIDEO_SUFFIXES:
            report.add(
                sample,
                f"{where}: clip {text['clip']} is neither a frame folder nor a video ({', '.join(VIDEO_SUFFIXES)})",
                "dropped",
            )
            continue
        base = _first_frame(text["first_frame"], first_frame, sample, where, name, report)
        interval = coded_interval(sample, row, report) if base is not None else None
        if interval is None:
            continue
        onset, apex, offset, problem = interval
        if onset < base:
            report.add(sample, f"{where}: onset {onset} is before the first frame {base}", "dropped")
            continue
        if apex is None and missing_apex == "midpoint":
            apex = midpoint_apex(sample, problem, onset, offset, report)
        _check_fps(clip, text["fps"], sample, where, report)
        apex_at = None if apex is None else apex - base
        videos.setdefault(clip, []).append(
            _VideoSample(row, subject, sample, base, onset - base, apex_at, offset - base, problem, order)
        )
    if videos and clips_dir is None:
        raise DatasetError(
            f"datasets.{name} lists video clips: their frames need a clips folder (microau index --clips-dir)"
        )
    clips = Path(os.path.abspath(clips_dir or "."))
    for video, samples in videos.items():
        for order, record in _video_records(video, samples, clips, rules, report):
            records[order] = record
    ordered = [records[order] for order in sorted(records)]
    return IndexResult(samples=make_table(ordered, au_set), validation=report.frame())


def _default_id(text: dict[str, str], by_path: bool) -> str:
    """`<subject>_<clip name>_<onset>`, or with the clip's path (`videos/p01/interview.mp4` ->
    `videos-p01-interview`) where two clips of one subject share a name."""
    clip = Path(text["clip"].replace("\\", "/"))
    name = "-".join(clip.with_suffix("").parts) if by_path else clip.stem
    return f"{text['subject']}_{name}_{text['onset']}"


def _clashing_ids(rows: list[dict[str, str]]) -> set[str]:
    """Default ids that two different clips would share: those rows' ids take the clip's path."""
    clips: dict[str, set[str]] = {}
    for text in rows:
        if not text["sample"]:
            clips.setdefault(_default_id(text, False), set()).add(os.path.normpath(text["clip"]))
    return {given for given, paths in clips.items() if len(paths) > 1}


def _names(
    text: dict[str, str], where: str, seen: dict[str, str], report: Report, by_path: set[str]
) -> tuple[str, str] | None:
    """(subject, sample) ids of a row, made safe (reported when changed); None if unreadable or
    coded twice (reported)."""
    subject = safe_id(text["subject"])
    if not subject or not text["clip"]:
        report.add("", f"{where}: subject '{text['subject']}' / clip '{text['clip']}' unreadable", "dropped")
        return None
    given = text["sample"] or _default_id(text, _default_id(text, False) in by_path)
    sample = safe_id(given)
    for label, written, kept in (("subject", text["subject"], subject), ("sample", given, sample)):
        if written != kept:
            report.add(
                sample, f"{where}: {label} '{written}' holds characters ids cannot", f"{label} id written '{kept}'"
            )
    if sample in seen:
        report.add(
            sample, f"{where}: sample {sample} coded twice (first in {seen[sample]})", "dropped; the first row is kept"
        )
        return None
    seen[sample] = where
    return subject, sample


def _first_frame(text: str, configured: int | None, sample: str, where: str, name: str, report: Report) -> int | None:
    """The number of a video's first frame for this row: its first_frame cell, else the config's."""
    if not text:
        return configured
    if text in {str(number) for number in FIRST_FRAMES}:
        return int(text)
    report.add(sample, f"{where}: first_frame '{text}' is not 0 or 1 (datasets.{name}.first_frame)", "dropped")
    return None


def _check_fps(clip: Path, text: str, sample: str, where: str, report: Report) -> None:
    """A row's fps against the video's own: frame numbers mean decoded frames, so a coder who saw
    another rate coded other frames."""
    if not text:
        return
    try:
        coded = float(text)
    except ValueError:
        report.add(sample, f"{where}: fps '{text}' is not a number", "fps ignored")
        return
    from microau.preprocess.video import video_fps

    stored = video_fps(clip)
    if stored > 0 and abs(stored - coded) > FPS_TOLERANCE * stored:
        report.add(
            sample,
            f"{where}: fps {coded:g} in the table but {stored:g} in {clip.name}",
            "kept; frame numbers are read as the video's decoded frames",
        )


def _video_records(
    video: Path, samples: list[_VideoSample], clips: Path, rules: IndexRules, report: Report
) -> Iterator[tuple[int, dict[str, object]]]:
    """(table order, record) of each usable sample of one video, from one pass over its frames."""
    from microau.preprocess.video import video_frames

    last = max(s.offset for s in samples)
    count = 0
    for number, frame in video_frames(video):
        count = number + 1
        for s in samples:
            if number in (s.onset, s.apex):
                s.images[number] = frame
            if s.apex is None and s.onset < number <= s.offset:
                s.window.append((number, frame))
        if number >= last:
            break
    for s in samples:
        record = _video_record(video, s, count, clips, rules, report)
        if record is not None:
            yield s.order, record


def _video_record(
    video: Path, s: _VideoSample, count: int, clips: Path, rules: IndexRules, report: Report
) -> dict[str, object] | None:
    """One sample's record once its video was read: frame numbers back in the table's counting."""
    base = s.first_frame
    if count == 0:
        report.add(
            s.sample, f"{s.row.where}: video {s.row.filename} cannot be decoded (no frame OpenCV reads)", "dropped"
        )
        return None
    end = count - 1 + base
    for label, position in (("onset", s.onset), ("apex", s.apex)):
        if position is not None and position >= count:
            report.add(
                s.sample,
                f"{s.row.where}: {label} {position + base} is beyond the {count} frames of {s.row.filename} "
                f"(last {end})",
                "dropped",
            )
            return None
    offset = s.offset
    if offset >= count:
        report.add(
            s.sample,
            f"{s.row.where}: offset {offset + base} is beyond the {count} frames of {s.row.filename}",
            f"offset set to the last frame {end}",
        )
        offset = count - 1
    apex = s.apex
    if apex is None:
        window = [(n + base, frame) for n, frame in s.window if n <= offset]
        found = apex_from_motion(
            s.sample, s.apex_problem, s.onset + base, offset + base, s.images[s.onset], window, [], report
        )
        if found is None:
            return None
        apex = found - base
        s.images[apex] = dict(s.window)[apex]
    folder = clips / s.sample
    frames: dict[int, Path] = {}
    for position in sorted({s.onset, apex}):
        frames[position + base] = folder / f"frame{position + base}.png"
        write_image(frames[position + base], s.images[position])
    pair = (s.onset + base, apex + base, offset + base)
    return sample_record(s.row, rules, s.subject, s.sample, pair, frames, sorted(frames), report)
