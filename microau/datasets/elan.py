"""ELAN annotation files (.eaf): a coder's micro-expressions in, microau's results out.

The one owner of the EAF format in microau; files are read and written with pympi-ling (EAF 2.8,
which every ELAN since 4.8 opens). Tier convention, for coders and for the export alike:

  ME        one annotation per micro-expression, from its onset to its offset; the value is its
            FACS codes as coders write them (`1+2+L4`, `R12`; `microau.datasets.au_codes`)
  Emotion   optional: the emotion of the ME annotation whose midpoint the annotation covers
  Apex      optional: an annotation starting at the apex, inside its ME annotation (otherwise the
            index finds the apex as `frames.missing_apex` says)

The subject is the ME tier's participant (ELAN's tier attribute), else the .eaf file's name. The
media is the file's first linked video (its relative link first, then its absolute one). Times in
milliseconds become frames of that video, counted from 0, through its frame rate: an annotation
from t0 to t1 covers frames round(t0 * fps / 1000) to round(t1 * fps / 1000) - 1 (ELAN puts a
boundary at a frame's start when a coder steps frame by frame); the export writes frame n's start
as round(n * 1000 / fps) ms, so export and import give back the same frames.

`microau elan-import` turns a folder of .eaf files into a table for reader `table`
(`microau.datasets.table`); annotations the convention does not cover (another tier, an emotion or
apex outside every ME annotation) are validation rows naming the file, tier and time. Tiers whose
names start with `microau ` are the export's own extras (other spotted kinds, AU probabilities,
other emotion readings) and are skipped without a row.

The export (`microau spot --eaf`, `microau analyse --eaf-dir`) writes the same three tiers (the ME
values are the predicted AUs, those on by `microau.model.decision`; Emotion the zero-shot emotion of reading
EMOTION_READING) and, as extras, `microau <kind>` for each other spotted kind, `microau emotion
(<reading>)` for the other readings, and with probabilities one `microau P(<AU>)` tier per AU.
"""

from __future__ import annotations

import argparse
import csv
import mimetypes
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from microau.datasets.table import IMPORT_REPORT_SUFFIX
from microau.errors import MicroauError
from microau.io.atomic import atomic_open, atomic_path
from microau.io.prediction_rows import Prediction, PredictionRow
from microau.preprocess.video import VIDEO_SUFFIXES, video_fps

TIER_ME = "ME"
TIER_EMOTION = "Emotion"
TIER_APEX = "Apex"
CONVENTION = (TIER_ME, TIER_EMOTION, TIER_APEX)
EXTRA_PREFIX = "microau "
EMOTION_READING = "combinations"
TABLE_COLUMNS = ("subject", "clip", "onset", "apex", "offset", "au", "emotion", "fps", "first_frame")
VALIDATION_COLUMNS = ("file", "tier", "time", "problem", "action")
AUTHOR = "microau"


class ElanError(MicroauError):
    """An .eaf file or folder cannot be used as asked; the message names it."""


@dataclass(frozen=True)
class Annotation:
    """One time-aligned annotation: start and end in milliseconds, and its value."""

    start_ms: int
    end_ms: int
    value: str


@dataclass
class MicroExpression:
    """One ME annotation as frames of its video (0-based), with what the other tiers add."""

    onset: int
    offset: int
    codes: str
    apex: int | None = None
    emotion: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)
    other_emotions: dict[str, str] = field(default_factory=dict)


@dataclass
class EafContent:
    """What one exported or coded .eaf says, in frames: micro-expressions and other spotted kinds."""

    media: Path
    fps: float
    subject: str
    expressions: list[MicroExpression]
    other_kinds: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def frame_at(ms: float, fps: float) -> int:
    """The frame starting nearest to `ms` (module docstring)."""
    return int(round(ms * fps / 1000.0))


def ms_at(frame: int, fps: float) -> int:
    """The start of frame `frame` in whole milliseconds."""
    return int(round(frame * 1000.0 / fps))


# ---------------------------------------------------------------- export


def write_eaf(path: Path, content: EafContent, probabilities: bool = False) -> None:
    """Write `content` as an .eaf linked to its video (module docstring's tiers)."""
    from pympi.Elan import Eaf, to_eaf

    eaf = Eaf(author=AUTHOR)
    eaf.remove_tier("default")
    media = Path(os.path.abspath(content.media))
    relative = os.path.relpath(media, Path(os.path.abspath(path)).parent)
    mimetype = mimetypes.guess_type(media.name)[0] or "video/*"
    eaf.add_linked_file(media.as_uri(), relpath=Path(relative).as_posix(), mimetype=mimetype)
    for tier in CONVENTION:
        eaf.add_tier(tier, part=content.subject if tier == TIER_ME else None)
    fps = content.fps

    def span(onset: int, offset: int) -> tuple[int, int]:
        return ms_at(onset, fps), ms_at(offset + 1, fps)

    readings = sorted({r for e in content.expressions for r in e.other_emotions})
    aus = sorted({au for e in content.expressions for au in e.probabilities}) if probabilities else []
    extras = [f"{EXTRA_PREFIX}{kind}" for kind in content.other_kinds]
    extras += [f"{EXTRA_PREFIX}emotion ({r})" for r in readings] + [f"{EXTRA_PREFIX}P({au})" for au in aus]
    for tier in extras:
        eaf.add_tier(tier)
    for e in content.expressions:
        start, end = span(e.onset, e.offset)
        eaf.add_annotation(TIER_ME, start, end, e.codes)
        if e.emotion:
            eaf.add_annotation(TIER_EMOTION, start, end, e.emotion)
        if e.apex is not None:
            eaf.add_annotation(TIER_APEX, *span(e.apex, e.apex), "apex")
        for reading, emotion in e.other_emotions.items():
            eaf.add_annotation(f"{EXTRA_PREFIX}emotion ({reading})", start, end, emotion)
        for au in aus:
            eaf.add_annotation(f"{EXTRA_PREFIX}P({au})", start, end, f"{e.probabilities[au]:.3f}")
    for kind, spans in content.other_kinds.items():
        for onset, offset in spans:
            eaf.add_annotation(f"{EXTRA_PREFIX}{kind}", *span(onset, offset), kind)
    with atomic_path(path) as tmp:
        to_eaf(str(tmp), eaf)


def validate_eaf(path: Path, xsd: Path) -> None:
    """Check an .eaf against an EAF XML schema file (ELAN's EAFv2.8.xsd); raises ElanError."""
    import xmlschema

    schema = xmlschema.XMLSchema(str(xsd))
    errors = list(schema.iter_errors(str(path)))
    if errors:
        raise ElanError(f"{path} is not valid against {xsd}: {errors[0].reason} ({len(errors)} error(s))")


def spot_content(
    video: Path, fps: float, subject: str, intervals: Iterable, rows: Sequence[PredictionRow] | None
) -> EafContent:
    """The .eaf content of `microau spot`: its intervals (`microau.io.intervals.Interval`)
    and, with a model, the prediction rows of its micro-expressions (in the same order)."""
    intervals = list(intervals)
    micro = [i for i in intervals if i.kind == "micro"]
    expressions = []
    for n, interval in enumerate(micro):
        prediction = rows[n].prediction if rows is not None else None
        expressions.append(_expression(interval.onset, interval.apex, interval.offset, prediction))
    others: dict[str, list[tuple[int, int]]] = {}
    for interval in intervals:
        if interval.kind != "micro":
            others.setdefault(interval.kind, []).append((interval.onset, interval.offset))
    return EafContent(video, fps, subject, expressions, others)


def analyse_contents(rows: Sequence[PredictionRow], clips: Sequence) -> list[tuple[Path, EafContent]]:
    """The .eaf contents of `microau analyse`: one per analysed video, holding each of its clips
    (`microau.inference.analyse.Clip`, aligned with `rows`, `microau.io.prediction_rows`) from the onset
    to the given offset, else to the apex. Image folders and clips that failed have none."""
    by_video: dict[Path, list[MicroExpression]] = {}
    for clip, row in zip(clips, rows):
        if row.prediction is None or row.context["kind"] != "video":
            continue
        onset, apex = int(row.context["onset"]), int(row.context["apex"])
        offset = int(clip.offset) if clip.offset is not None and str(clip.offset).isdigit() else apex
        expression = _expression(onset, apex, max(offset, apex), row.prediction)
        by_video.setdefault(Path(clip.path), []).append(expression)
    return [
        (video, EafContent(video, video_fps(video), video.stem, sorted(found, key=lambda e: e.onset)))
        for video, found in by_video.items()
    ]


def _expression(onset: int, apex: int, offset: int, prediction: Prediction | None) -> MicroExpression:
    """A predicted micro-expression: the AUs on as FACS codes, the main emotion reading (nothing
    but its timing without a prediction)."""
    aus = prediction.aus if prediction else {}
    emotions = prediction.emotions if prediction else {}
    codes = "+".join(str(int(au[2:])) for au in prediction.active) if prediction else ""
    main = emotions.get(EMOTION_READING, next(iter(emotions.values()), ""))
    others = {r: e for r, e in emotions.items() if r != EMOTION_READING}
    return MicroExpression(onset, offset, codes, apex, main, aus, others)


def write_analyse_eafs(folder: Path, rows: Sequence[PredictionRow], clips: Sequence, probabilities: bool) -> list[Path]:
    """`microau analyse --eaf-dir`: one <video name>.eaf per analysed video under `folder`."""
    written = []
    for video, content in analyse_contents(rows, clips):
        if content.fps <= 0:
            raise ElanError(f"cannot read the frame rate of {video}: an .eaf needs it to place frames in time")
        path = folder / f"{video.stem}.eaf"
        write_eaf(path, content, probabilities)
        written.append(path)
    return written


# ---------------------------------------------------------------- import


class _Rows:
    """Validation rows of an import."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, file: Path, tier: str, annotation: Annotation | None, problem: str, action: str) -> None:
        time = "" if annotation is None else f"{annotation.start_ms / 1000:.3f}-{annotation.end_ms / 1000:.3f} s"
        self.rows.append({"file": file.name, "tier": tier, "time": time, "problem": problem, "action": action})


def read_eaf(path: Path, rows: _Rows | None = None) -> EafContent | None:
    """One .eaf as the convention reads it; None (reported) when its video or frame rate is missing."""
    from pympi.Elan import Eaf

    rows = rows if rows is not None else _Rows()
    try:
        eaf = Eaf(str(path), suppress_version_warning=True)
    except Exception as exc:  # pympi raises XML, key and value errors on files it cannot parse
        raise ElanError(f"cannot read {path} as an ELAN .eaf file: {exc}") from None
    tiers = {
        name: [
            Annotation(int(a[0]), int(a[1]), str(a[2] or "").strip()) for a in eaf.get_annotation_data_for_tier(name)
        ]
        for name in eaf.get_tier_names()
    }
    media = _media(path, eaf.media_descriptors)
    if media is None:
        rows.add(
            path,
            "",
            None,
            "no linked video found (relative or absolute link, or a video of the same name beside it)",
            "file skipped",
        )
        return None
    fps = video_fps(media)
    if fps <= 0:
        rows.add(path, "", None, f"linked video {media} cannot be opened or states no frame rate", "file skipped")
        return None
    if TIER_ME not in tiers:
        rows.add(
            path, TIER_ME, None, f"no '{TIER_ME}' tier (tiers: {', '.join(tiers) or 'none'})", "file gives no sample"
        )
    participant = eaf.tiers[TIER_ME][2].get("PARTICIPANT", "") if TIER_ME in tiers else ""
    expressions = []
    for annotation in sorted(tiers.get(TIER_ME, []), key=lambda a: a.start_ms):
        onset = frame_at(annotation.start_ms, fps)
        offset = max(onset, frame_at(annotation.end_ms, fps) - 1)
        expressions.append((annotation, MicroExpression(onset, offset, annotation.value)))
    _attach(path, tiers.get(TIER_EMOTION, []), TIER_EMOTION, expressions, fps, rows)
    _attach(path, tiers.get(TIER_APEX, []), TIER_APEX, expressions, fps, rows)
    for name, tier_annotations in tiers.items():
        if name in CONVENTION or name.startswith(EXTRA_PREFIX):
            continue
        for annotation in tier_annotations:
            rows.add(
                path, name, annotation, f"tier '{name}' is not in the convention ({', '.join(CONVENTION)})", "ignored"
            )
    others = {
        name[len(EXTRA_PREFIX) :]: [
            (frame_at(a.start_ms, fps), max(frame_at(a.start_ms, fps), frame_at(a.end_ms, fps) - 1))
            for a in tier_annotations
        ]
        for name, tier_annotations in tiers.items()
        if name.startswith(EXTRA_PREFIX)
        and tier_annotations
        and not name[len(EXTRA_PREFIX) :].startswith(("emotion", "P("))
    }
    return EafContent(media, fps, participant.strip() or path.stem, [e for _, e in expressions], others)


def _attach(path: Path, annotations: list[Annotation], tier: str, expressions, fps: float, rows: _Rows) -> None:
    """Give each Emotion (by the ME annotation covering its midpoint) or Apex (by the ME annotation
    its start lies in) to its micro-expression; the others are reported."""
    for annotation in annotations:
        at = (annotation.start_ms + annotation.end_ms) / 2 if tier == TIER_EMOTION else annotation.start_ms
        owner = next((e for a, e in expressions if a.start_ms <= at < a.end_ms), None)
        if owner is None:
            rows.add(
                path,
                tier,
                annotation,
                f"{tier} annotation '{annotation.value}' lies in no {TIER_ME} annotation",
                "ignored",
            )
        elif tier == TIER_EMOTION and owner.emotion:
            rows.add(
                path,
                tier,
                annotation,
                f"a second emotion '{annotation.value}' for one {TIER_ME} annotation",
                "ignored; the first is kept",
            )
        elif tier == TIER_EMOTION:
            owner.emotion = annotation.value
        elif owner.apex is not None:
            rows.add(
                path, tier, annotation, f"a second apex for one {TIER_ME} annotation", "ignored; the first is kept"
            )
        else:
            owner.apex = min(max(frame_at(annotation.start_ms, fps), owner.onset), owner.offset)


def _media(path: Path, descriptors: list[dict]) -> Path | None:
    """The first linked video that exists: relative link, then absolute, then one of the same name."""
    for descriptor in descriptors:
        for key in ("RELATIVE_MEDIA_URL", "MEDIA_URL"):
            url = descriptor.get(key) or ""
            if not url:
                continue
            parsed = urlparse(url)
            local = unquote(parsed.path) if parsed.scheme in ("file", "") else ""
            if not local:
                continue
            candidate = Path(local) if Path(local).is_absolute() else path.parent / local
            if candidate.is_file() and candidate.suffix.lower() in VIDEO_SUFFIXES:
                return Path(os.path.abspath(candidate))
    return next((p for p in (path.with_suffix(s) for s in VIDEO_SUFFIXES) if p.is_file()), None)


def import_folder(folder: Path, table: Path, validation: Path) -> tuple[int, int]:
    """Every .eaf under `folder` -> `table` (reader table's columns; frames from 0) and its
    validation rows; returns (micro-expressions, validation rows)."""
    paths = sorted(folder.rglob("*.eaf")) if folder.is_dir() else []
    if not paths:
        raise ElanError(f"no .eaf file under {folder}")
    rows = _Rows()
    records = []
    for path in paths:
        content = read_eaf(path, rows)
        if content is None:
            continue
        clip = Path(os.path.relpath(content.media, Path(os.path.abspath(table)).parent)).as_posix()
        for e in content.expressions:
            apex = "" if e.apex is None else e.apex
            records.append([content.subject, clip, e.onset, apex, e.offset, e.codes, e.emotion, f"{content.fps:g}", 0])
    with atomic_open(table, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        writer.writerows(records)
    with atomic_open(validation, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=VALIDATION_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows.rows)
    return len(records), len(rows.rows)


def main(argv: list[str] | None = None) -> int:
    """`microau elan-import`: a folder of .eaf files and their videos -> a table for reader table."""
    parser = argparse.ArgumentParser(prog="microau elan-import", description=main.__doc__.split(": ", 1)[1])
    parser.add_argument("folder", type=Path, help="folder searched (with its sub-folders) for .eaf files")
    parser.add_argument("--out", type=Path, required=True, help="the table written (CSV; clips relative to its folder)")
    parser.add_argument("--validation", type=Path, help="annotations not imported and why (TSV; default beside --out)")
    args = parser.parse_args(argv)
    validation = args.validation or args.out.with_name(f"{args.out.stem}{IMPORT_REPORT_SUFFIX}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    count, problems = import_folder(args.folder, args.out, validation)
    print(f"microau elan-import: {count} micro-expressions -> {args.out}; {problems} validation rows -> {validation}")
    return 0
