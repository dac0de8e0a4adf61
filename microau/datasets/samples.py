"""A dataset release -> the normalised sample records, every quirk reported as a validation row.

Each release module (`casme2`, `samm`, `casme3`, `casme`, `mmew`, `fourd`) only describes its
release (a `Release`: coding sheet name and headers, subject folder names, frame folder layouts,
AU set and emotion mapping); the reading, checking and normalising below is shared, so every
release follows the same rules:

- Coding sheet: found by its release's glob anywhere under the root (folders are searched, depth
  does not matter); several matches need `coding_file`. Headers are matched by name (case, spaces
  and underscores ignored); a missing one is an error, because a renamed column means the sheet is
  not the release's.
- Frame folders: the subject folders are searched for under the root, below a folder named for the
  frame layout (`CASME2_RAW_selected`, `Cropped`, ...) however deeply the unpacking nested it.
  Frame numbers are the trailing integer of an image file's name; non-image files are ignored.
  A release whose folder names follow no known pattern (`Release.parent_folders_in_top`: 4DME,
  MMEW) takes every folder directly in the layout's top folder; MMEW's are emotion folders, so
  its samples are looked up under the row's emotion (`Release.sample_parent`).
- Apex missing (`/`, `-1`, blank, text), coded outside onset..offset (including onset after
  apex), or equal to the onset while the clip goes on: the coded apex cannot be used (the last two
  would pair the onset with itself or with a frame outside the expression: no motion, yet AU
  labels). `missing_apex` (config `frames.missing_apex`) replaces it: `motion` takes the frame of
  largest motion from the onset within onset..offset (`microau.preprocess.apex`; frames that cannot
  be read are left out and named), `midpoint` takes (onset + offset) // 2. The validation row gives
  the coded value, the frame chosen and how.
- Offset missing, zero or before onset: offset = apex when apex >= onset (the frames the model
  needs are onset and apex), otherwise the sample is dropped.
- Coded frames missing on disk: the sample keeps the frames present; if the onset or apex frame
  itself is missing, or cannot be decoded by OpenCV (only those two are decoded, for speed, unless
  the apex is searched by motion), the sample is dropped. Missing or empty subject folders and
  missing sample folders drop the sample.
- AU strings: see `au_codes`. Emotions map to `class3` case-insensitively; an emotion neither
  mapped nor known to fall outside the three classes is reported.

`DatasetError` is raised for anything the user must fix (root, coding sheet, config values); a
quirk of single samples never raises, it becomes a validation row.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np
import pandas as pd

from microau.aus import au_name
from microau.datasets.au_codes import ParsedAUs, cell_text, parse_au_string
from microau.datasets.release import (
    FIELDS,
    DatasetError,
    Release,
    child_folder,
)
from microau.io.sample_table import (
    CLASS3,
    FRAME_SEPARATOR,
    VALIDATION_COLUMNS,
    make_table,
)
from microau.preprocess.apex import motion_apex
from microau.preprocess.images import ImageReadError, read_image
from microau.preprocess.video import numbered_images
from microau.releases import READERS, RELEASE_READERS

MISSING_APEX = ("motion", "midpoint")
HEADER_SEARCH_ROWS = 50
MAX_SEARCH_DEPTH = 6
_FRAME_NUMBER = re.compile(r"\d+(?:\.0+)?")


@dataclass
class IndexResult:
    """What `build_index` found: the usable samples and one validation row per quirk."""

    samples: pd.DataFrame
    validation: pd.DataFrame


@dataclass
class CodedRow:
    """One coding-sheet row as text, with where it came from for messages."""

    where: str
    subject: str
    filename: str
    onset: str
    apex: str
    offset: str
    au: str
    emotion: str


class Report:
    """Collects validation rows."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, sample: str, problem: str, action: str) -> None:
        self.rows.append({"sample": sample, "problem": problem, "action": action})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=VALIDATION_COLUMNS)


def _release(reader: str, name: str) -> Release:
    if reader not in RELEASE_READERS:
        raise DatasetError(
            f"unknown reader '{reader}'; choose one of {', '.join(RELEASE_READERS)} (datasets.{name}.reader)"
        )
    return importlib.import_module(READERS[reader].module).RELEASE


def root_folder(root: str | Path, name: str) -> Path:
    """The dataset's root as an absolute folder, or the error naming `datasets.<name>.root`."""
    path = Path(os.path.abspath(Path(root).expanduser()))
    if not path.is_dir():
        raise DatasetError(f"dataset root {path} does not exist or is not a folder (datasets.{name}.root)")
    return path


def _check_aus(aus: Iterable[int], name: str) -> list[int]:
    try:
        values = sorted({int(au) for au in aus})
    except (TypeError, ValueError):
        raise DatasetError(f"AUs must be integers, got {aus!r} (datasets.{name}.aus)") from None
    if not values or values[0] < 1:
        raise DatasetError(f"AUs must be a non-empty list of positive integers, got {aus!r} (datasets.{name}.aus)")
    return values


def emotion_of_class(class3: dict[str, list[str]], key: str) -> dict[str, str]:
    """Invert {class: [emotions]} to {emotion (lower case): class}, rejecting unknown classes and
    an emotion in two classes; `key` names the config key in messages. The AU datasets' index and
    the spotting datasets' recognition both map emotions with it."""
    if not isinstance(class3, dict):
        raise DatasetError(f"class3 must map classes to lists of emotions, got {class3!r} ({key})")
    mapping: dict[str, str] = {}
    for label, emotions in class3.items():
        if label not in CLASS3:
            raise DatasetError(f"class3 class '{label}' is not one of {', '.join(CLASS3)} ({key})")
        if isinstance(emotions, str) or not isinstance(emotions, (list, tuple)):
            raise DatasetError(f"class3 '{label}' must be a list of emotions, got {emotions!r} ({key})")
        for emotion in emotions:
            emotion = str(emotion).strip().lower()
            if mapping.get(emotion, label) != label:
                raise DatasetError(f"emotion '{emotion}' is in both '{mapping[emotion]}' and '{label}' ({key})")
            mapping[emotion] = label
    return mapping


def _scan(root: Path, release: Release) -> tuple[list[Path], list[Path]]:
    """One walk of the root: coding-sheet candidates and folders holding subject folders.

    Subject folders are not entered (they hold the frames: thousands of files, nothing to find).
    Symlinks are followed (releases often live on another disk); the depth limit bounds cycles.
    """
    pattern = release.coding_glob.lower()
    tops = set().union(*(t for t in release.frame_layouts.values() if t))
    coding, parents = [], []
    for folder, dirnames, filenames in os.walk(root, followlinks=True):
        depth = len(Path(folder).relative_to(root).parts)
        coding += [Path(folder, f) for f in sorted(filenames) if fnmatch.fnmatchcase(f.lower(), pattern)]
        if release.parent_folders_in_top:
            if Path(folder).name.lower() in tops:
                parents.append(Path(folder))
                dirnames[:] = []
                continue
        elif any(release.folder_key(d) is not None for d in dirnames):
            parents.append(Path(folder))
        dirnames[:] = sorted(
            d
            for d in dirnames
            if (release.parent_folders_in_top or release.folder_key(d) is None) and depth < MAX_SEARCH_DEPTH
        )
    return coding, parents


def _coding_path(
    root: Path, release: Release, coding_file: str | Path | None, candidates: list[Path], name: str
) -> Path:
    """The coding sheet: `coding_file` (as given, else relative to the root) or the single glob match."""
    if coding_file is not None:
        path = Path(coding_file).expanduser()
        if not path.is_absolute() and (root / path).is_file():
            path = root / path
        if not path.is_file():
            raise DatasetError(f"coding file {path} not found, as given or under {root} (datasets.{name}.coding_file)")
        return path
    if not candidates:
        raise DatasetError(
            f"no {release.title} coding sheet ({release.coding_glob}) under {root} "
            f"(datasets.{name}.root); set datasets.{name}.coding_file if it lives elsewhere"
        )
    if len(candidates) > 1:
        listed = ", ".join(str(c) for c in candidates)
        raise DatasetError(
            f"several {release.title} coding sheets under {root}: {listed}; choose one with datasets.{name}.coding_file"
        )
    return candidates[0]


def _subject_folders(root: Path, release: Release, layout: str, parents: list[Path], name: str) -> dict[str, Path]:
    """Subject key -> folder, for the subject folders below the frame layout's top folder."""
    tops = release.frame_layouts[layout]

    def under_top(folder: Path) -> bool:
        names = (root.name, *folder.relative_to(root).parts)
        return tops is None or any(part.lower() in tops for part in names)

    found: dict[str, Path] = {}
    for parent in (p for p in parents if under_top(p)):
        for child in sorted(parent.iterdir()):
            key = release.folder_key(child.name)
            if key is None or not child.is_dir():
                continue
            if key in found:
                raise DatasetError(
                    f"{release.sample_parent} folder {child.name} found twice, {found[key]} and {child}; "
                    f"keep one copy of the {layout} frames under datasets.{name}.root"
                )
            found[key] = child
    if not found:
        where = f"below a folder named {' or '.join(sorted(tops))} " if tops else ""
        raise DatasetError(
            f"no {release.title} {release.sample_parent} folders {where}under {root} "
            f"(datasets.{name}.root, frames_layout '{layout}')"
        )
    return found


def _read_coding(path: Path, release: Release, name: str, explicit: bool) -> Iterator[CodedRow]:
    """Rows of the coding sheet as text, located by header names rather than positions."""
    key = f"datasets.{name}.coding_file" if explicit else f"datasets.{name}.root"
    rows = _sheet_rows(path, release.sheet, key)
    first = _header_key(release.headers["subject"])
    header_index = next(
        (i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if row and _header_key(cell_text(row[0])) == first),
        None,
    )
    if header_index is None:
        raise DatasetError(
            f"{path}: no header row starting with '{release.headers['subject']}' in its first "
            f"{HEADER_SEARCH_ROWS} rows; is it a {release.title} coding sheet? ({key})"
        )
    header = [_header_key(cell_text(cell)) for cell in rows[header_index]]
    columns, missing = {}, []
    for field_name in FIELDS:
        wanted = _header_key(release.headers[field_name])
        if wanted in header:
            columns[field_name] = header.index(wanted)
        else:
            missing.append(release.headers[field_name])
    if missing:
        found = ", ".join(repr(cell_text(c)) for c in rows[header_index] if cell_text(c))
        raise DatasetError(
            f"{path}: column(s) {', '.join(repr(m) for m in missing)} not found in the header row "
            f"(row {header_index + 1}: {found}); expected an original {release.title} coding sheet ({key})"
        )
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        texts = {f: cell_text(row[i]) if i < len(row) else "" for f, i in columns.items()}
        if not any(texts.values()):
            continue
        yield CodedRow(where=f"{path.name} row {number}", **texts)


def _sheet_rows(path: Path, sheet: str, key: str) -> list[tuple]:
    """All rows of the coding sheet as cell values (full load: read-only mode trusts the file's
    stored dimensions, which some exporters write wrong, cutting off columns)."""
    import openpyxl  # only the index step reads spreadsheets

    try:
        with warnings.catch_warnings():  # style and extension warnings say nothing about the data
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for files it cannot read
        raise DatasetError(f"cannot read {path} as an .xlsx workbook: {exc} ({key})") from None
    worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
    return [tuple(row) for row in worksheet.iter_rows(values_only=True)]


def _header_key(text: str) -> str:
    return re.sub(r"[\s_]+", "", text).lower()


@dataclass(frozen=True)
class IndexRules:
    """What every row of one index is normalised against."""

    release: Release
    name: str
    subjects: dict[str, Path]
    aus: list[int]
    emotion_class: dict[str, str]
    missing_apex: str


def _normalise(row: CodedRow, rules: IndexRules, seen: set[str], report: Report) -> dict[str, object] | None:
    """One coding row -> one sample record, or None (dropped) with the reason reported."""
    named = _sample_name(row, rules.release, seen, report)
    if named is None:
        return None
    subject, sample = named
    interval = coded_interval(sample, row, report)
    if interval is None:
        return None
    parent = row.emotion if rules.release.sample_parent == "emotion" else subject
    parent_dir = rules.subjects.get(rules.release.folder_key(parent) or "")
    located = _frames(sample, parent, row.filename, rules.release, parent_dir, report)
    if located is None:
        return None
    return folder_record(row, rules, subject, sample, interval, located, report)


def folder_record(
    row: CodedRow,
    rules: IndexRules,
    subject: str,
    sample: str,
    interval: tuple[int, int | None, int, str],
    located: tuple[Path, dict[int, Path]],
    report: Report,
) -> dict[str, object] | None:
    """The record of a sample whose frames lie in a folder (`located`: the folder and its frame
    number -> path), or None if its onset or apex frame cannot be used (reported)."""
    folder, frames = located
    pair = _usable_pair(sample, interval, folder, frames, rules.missing_apex, report)
    if pair is None:
        return None
    onset, apex, offset = pair
    present = _present_frames(sample, onset, offset, frames, report)
    return sample_record(row, rules, subject, sample, (onset, apex, offset), frames, present, report)


def sample_record(
    row: CodedRow,
    rules: IndexRules,
    subject: str,
    sample: str,
    pair: tuple[int, int, int],
    frames: dict[int, Path],
    present: list[int],
    report: Report,
) -> dict[str, object] | None:
    """The samples.tsv record of a usable sample: its frames, parsed AUs and three-class label;
    None when its AU codes are all unreadable (reported)."""
    onset, apex, offset = pair
    parsed = _parsed_aus(sample, row, report, rules.release.au_coded)
    if parsed is None:
        return None
    class3 = _three_class(sample, row, rules, report)
    paths = _frame_paths(sample, present, frames, rules.name)
    record: dict[str, object] = {
        "dataset": rules.name,
        "subject": subject,
        "sample": sample,
        "onset": onset,
        "apex": apex,
        "offset": offset,
        "onset_path": str(frames[onset]),
        "apex_path": str(frames[apex]),
        "frames": FRAME_SEPARATOR.join(paths),
        "au_raw": row.au,
        "au_side": parsed.side_field,
        "au_intensity": parsed.intensity_field,
        "emotion": row.emotion,
        "class3": class3,
        "source": row.where,
    }
    record.update({au_name(au): int(au in parsed.aus) for au in rules.aus})
    return record


def _sample_name(row: CodedRow, release: Release, seen: set[str], report: Report) -> tuple[str, str] | None:
    """(subject id, sample id) of a row coded once with a readable subject and filename, else None
    (dropped, reported); the sample is marked seen."""
    subject = release.subject_name(row.subject)
    if not subject or not row.filename:
        report.add("", f"{row.where}: subject '{row.subject}' / filename '{row.filename}' unreadable", "dropped")
        return None
    sample = f"{subject}_{row.filename}"
    if sample in seen:
        report.add(sample, f"{row.where}: sample coded twice", "dropped; the first row is kept")
        return None
    seen.add(sample)
    return subject, sample


def _usable_pair(
    sample: str,
    interval: tuple[int, int | None, int, str],
    folder: Path,
    frames: dict[int, Path],
    missing_apex: str,
    report: Report,
) -> tuple[int, int, int] | None:
    """Onset, apex and offset once the onset and apex frames decode, an unusable coded apex
    replaced as `missing_apex` says; None if dropped (reported)."""
    onset, apex, offset, apex_problem = interval
    if not _decodable(sample, "onset", onset, folder, frames, report):
        return None
    if apex is None:
        apex = _replace_apex(sample, apex_problem, onset, offset, frames, missing_apex, report)
        if apex is None:
            return None
    if not _decodable(sample, "apex", apex, folder, frames, report):
        return None
    return onset, apex, offset


def _present_frames(sample: str, onset: int, offset: int, frames: dict[int, Path], report: Report) -> list[int]:
    """Frame numbers of onset..offset found on disk; the missing ones are reported."""
    present = [n for n in range(onset, offset + 1) if n in frames]
    missing = [n for n in range(onset, offset + 1) if n not in frames]
    if missing:
        report.add(
            sample,
            f"frames {_ranges(missing)} of coded {onset}..{offset} missing on disk",
            f"kept the {len(present)} frames present",
        )
    return present


def _parsed_aus(sample: str, row: CodedRow, report: Report, au_coded: bool = True) -> ParsedAUs | None:
    """The AU string parsed (`au_codes`); ignored pieces, alternatives and an empty coding reported;
    None when every piece is unreadable (`AU99` alone): a typing error, not a sample with every AU off."""
    au_string = row.au
    parsed = parse_au_string(au_string)
    if parsed.unparsed and not parsed.pieces:
        report.add(sample, f"{row.where}: no AU code in '{au_string}' is readable (none is a FACS code)", "dropped")
        return None
    for piece in parsed.unparsed:
        report.add(sample, f"{row.where}: AU piece '{piece}' in '{au_string}' is not an AU code", "piece ignored")
    for piece in parsed.uncertain:
        report.add(
            sample, f"{row.where}: AU piece '{piece}' in '{au_string}' is marked uncertain", "counted as present"
        )
    if parsed.has_alternatives:
        report.add(
            sample, f"{row.where}: AU string '{au_string}' gives alternatives", "all alternatives counted as present"
        )
    if not parsed.pieces and au_coded:
        report.add(sample, f"{row.where}: no AU coded ('{au_string}')", "kept with every AU off")
    return parsed


def _three_class(sample: str, row: CodedRow, rules: IndexRules, report: Report) -> str:
    """The emotion's class3 ('' when unmapped); an emotion neither mapped nor known to fall outside
    the three classes is reported."""
    emotion = row.emotion
    class3 = rules.emotion_class.get(emotion.lower(), "")
    if not class3 and emotion.lower() not in rules.release.excluded_emotions:
        report.add(
            sample,
            f"{row.where}: emotion '{emotion}' is not in the three-class mapping (datasets.{rules.name}.class3)",
            "class3 left empty",
        )
    return class3


def _frame_paths(sample: str, present: list[int], frames: dict[int, Path], name: str) -> list[str]:
    """Paths of the present frames, which must fit a samples.tsv cell."""
    paths = [str(frames[n]) for n in present]
    if any(FRAME_SEPARATOR in p or "\t" in p or "\n" in p for p in paths):
        raise DatasetError(
            f"frame paths of {sample} contain ';', a tab or a newline, which samples.tsv cannot hold; "
            f"move the release (datasets.{name}.root)"
        )
    return paths


def coded_interval(sample: str, row: CodedRow, report: Report) -> tuple[int, int | None, int, str] | None:
    """Onset, apex, offset after the documented repairs (module docstring), or None if dropped.
    An unusable apex comes back as None with the problem, for `_replace_apex` once frames are known."""
    onset, apex, offset = (_frame_number(t) for t in (row.onset, row.apex, row.offset))
    if onset is None:
        report.add(sample, f"{row.where}: onset '{row.onset}' is not a frame number", "dropped")
        return None
    if offset is None or offset < onset:
        problem = f"{row.where}: offset '{row.offset}' is missing or before onset {onset}"
        if apex is None or apex < onset:
            report.add(sample, f"{problem}, and apex '{row.apex}' cannot replace it", "dropped")
            return None
        report.add(sample, problem, f"offset set to apex {apex}")
        offset = apex
    if apex is None:
        return onset, None, offset, f"{row.where}: apex '{row.apex}' is not a frame number"
    if not onset <= apex <= offset:
        return onset, None, offset, f"{row.where}: apex {apex} outside onset..offset {onset}..{offset}"
    if apex == onset and offset > onset:
        return onset, None, offset, f"{row.where}: apex {apex} equals onset (no motion between the pair)"
    if apex == onset:
        problem = f"{row.where}: apex {apex} equals onset and offset"
        report.add(sample, problem, "kept; onset and apex frames are the same image")
    return onset, apex, offset, ""


def _decodable(sample: str, label: str, number: int, folder: Path, frames: dict[int, Path], report: Report) -> bool:
    """Whether the onset or apex frame exists and OpenCV decodes it; if not, the drop is reported."""
    if number not in frames:
        report.add(sample, f"{label} frame {number} not found in {folder}", "dropped")
        return False
    if cv2.imread(str(frames[number]), cv2.IMREAD_UNCHANGED) is None:
        report.add(sample, f"{label} frame {frames[number]} cannot be decoded as an image", "dropped")
        return False
    return True


def _replace_apex(
    sample: str, problem: str, onset: int, offset: int, frames: dict[int, Path], how: str, report: Report
) -> int | None:
    """The apex chosen for an unusable coded one (module docstring), reported; None if dropped."""
    if how == "midpoint":
        return midpoint_apex(sample, problem, onset, offset, report)
    unreadable: list[int] = []

    def readable_frames() -> Iterator[tuple[int, np.ndarray]]:
        for number in range(onset + 1, offset + 1):
            if number not in frames:
                continue
            try:
                yield number, read_image(frames[number])
            except ImageReadError:
                unreadable.append(number)

    return apex_from_motion(
        sample, problem, onset, offset, read_image(frames[onset]), readable_frames(), unreadable, report
    )


def midpoint_apex(sample: str, problem: str, onset: int, offset: int, report: Report) -> int:
    """missing_apex `midpoint`: (onset + offset) // 2, reported."""
    apex = (onset + offset) // 2
    report.add(sample, problem, f"apex set to midpoint {apex} of {onset}..{offset}")
    return apex


def apex_from_motion(
    sample: str,
    problem: str,
    onset: int,
    offset: int,
    first: np.ndarray,
    numbered_frames: Iterable[tuple[int, np.ndarray]],
    unreadable: list[int],
    report: Report,
) -> int | None:
    """missing_apex `motion`: the frame of largest motion from the onset image `first` among
    `numbered_frames` (onset+1..offset; `unreadable` names those left out once they are consumed),
    reported; None if dropped."""
    try:
        found = motion_apex(first, numbered_frames)
    except ValueError as exc:
        report.add(sample, problem, f"dropped; no apex from motion in {onset}..{offset}: {exc}")
        return None
    action = f"apex set to {found.frame}, the frame of largest motion from onset in {onset}..{offset}"
    if not found.face_found:
        action += " (no face detected on the onset frame: motion measured over the whole frame)"
    if unreadable:
        action += f"; unreadable frames {_ranges(unreadable)} left out"
    report.add(sample, problem, action)
    return found.frame


def _frame_number(text: str) -> int | None:
    return int(float(text)) if _FRAME_NUMBER.fullmatch(text) else None


def _frames(
    sample: str, subject: str, filename: str, release: Release, subject_dir: Path | None, report: Report
) -> tuple[Path, dict[int, Path]] | None:
    """The sample's frame folder and its frame number -> image path, or None (dropped, reported)."""
    label = f"{release.sample_parent} folder"
    if subject_dir is None:
        report.add(sample, f"{label} {subject} not found", "dropped")
        return None
    if not any(child.is_dir() for child in subject_dir.iterdir()):
        report.add(sample, f"{label} {subject_dir} is empty", "dropped")
        return None
    sample_dir = child_folder(subject_dir, filename)
    if sample_dir is None:
        report.add(sample, f"sample folder {subject_dir / filename} not found", "dropped")
        return None
    if release.frame_subdir:
        sample_dir = child_folder(sample_dir, release.frame_subdir) or sample_dir
    return sample_dir, folder_frames(sample, sample_dir, report)


def folder_frames(sample: str, sample_dir: Path, report: Report) -> dict[int, Path]:
    """Frame number (the trailing integer of an image file's name) -> path of a sample's folder;
    a number with two files keeps the first by name (reported)."""
    frames, clashes = numbered_images(sample_dir)
    for number, kept, other in clashes:
        report.add(sample, f"frame {number} has two files, {kept.name} and {other.name}", f"used {kept.name}")
    return frames


def _ranges(numbers: Sequence[int]) -> str:
    """[3, 4, 5, 9] -> '3..5, 9' for readable validation rows."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}..{b}" if a != b else str(a) for a, b in spans)


def index_release(
    name: str,
    reader: str,
    root: str | Path,
    *,
    frames_layout: str,
    missing_apex: str,
    aus: list[int],
    class3: dict[str, list[str]],
    coding_file: str | Path | None = None,
) -> IndexResult:
    """A release read by its `Release` description (`casme2`, `samm`, ...): its coding sheet, its
    frame folders, every row normalised by the rules of this module's docstring."""
    release = _release(reader, name)
    root_path = root_folder(root, name)
    au_set = _check_aus(aus, name)
    emotion_class = emotion_of_class(class3, f"datasets.{name}.class3")
    if frames_layout not in release.frame_layouts:
        raise DatasetError(
            f"frames_layout '{frames_layout}' is not available for {release.title} releases; "
            f"choose one of {', '.join(release.frame_layouts)} (datasets.{name}.frames_layout)"
        )
    coding_candidates, subject_parents = _scan(root_path, release)
    coding_path = _coding_path(root_path, release, coding_file, coding_candidates, name)
    subjects = _subject_folders(root_path, release, frames_layout, subject_parents, name)
    rules = IndexRules(release, name, subjects, au_set, emotion_class, missing_apex)
    report = Report()
    records = []
    seen: set[str] = set()
    for row in _read_coding(coding_path, release, name, coding_file is not None):
        record = _normalise(row, rules, seen, report)
        if record is not None:
            records.append(record)
    return IndexResult(samples=make_table(records, au_set), validation=report.frame())
