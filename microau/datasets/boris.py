"""`microau boris-import`: BORIS observations (a `.boris` project or its tabular events export)
-> a table for reader `table`; and the BORIS project of `microau analyse --boris` / `spot --boris`.

The formats are `microau.io.boris`'s. Which behaviour is what is the config's `boris` section: a
micro-expression is a state event of `behavior`, START at its onset and STOP at its offset (the
frame shown when the coder pressed STOP is the last frame of the expression); its FACS codes are
modifier set number `au_modifier` (a multiple selection `1,2,L4` or a typed `1+2+L4`), its emotion
modifier set `emotion_modifier`; a point event of `apex_behavior` inside it is its apex. Frames
are BORIS's frame index where the file has one, else round((time - time offset) * fps). The
subject is the event's subject (BORIS's focal subject), else the observation id; the video is
player #1's one media file, as written or relative to the BORIS file. Events the mapping does not
cover are rows of `<table>_validation.tsv` naming the file (by its path from the table's folder)
and the observation and event; reader `table` carries them into the dataset's report.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from microau.datasets.table import IMPORT_REPORT_SUFFIX, ImportReport, import_record, write_import
from microau.io.boris import (
    MULTIPLE_SELECTION,
    SINGLE_SELECTION,
    START,
    STOP,
    Behavior,
    Event,
    MediaObservation,
    Observation,
    read_observations,
    write_project,
)
from microau.io.elan import EafContent
from microau.preprocess.video import video_fps


@dataclass(frozen=True)
class BorisMapping:
    """Which behaviour and modifier sets hold what (module docstring); the config's `boris` section."""

    behavior: str
    au_modifier: int
    emotion_modifier: int | None
    apex_behavior: str | None

    @classmethod
    def from_config(cls, section: dict) -> BorisMapping:
        return cls(**{key: section[key] for key in cls.__dataclass_fields__})


def boris_mapping(config: Path | None) -> BorisMapping:
    """The mapping of a config file's `boris` section (the schema's defaults fill the rest)."""
    import yaml

    from microau.plan.config import SCHEMA_PATH, load_config, load_schema

    raw = (yaml.safe_load(config.read_text()) if config else None) or {}
    return BorisMapping.from_config(load_config({"targets": [], **raw}, load_schema(SCHEMA_PATH))["boris"])


@dataclass
class _Coded:
    subject: str
    onset: int
    offset: int
    codes: str
    emotion: str
    apex: int | None = None


def _modifier(event: Event, number: int | None) -> str:
    if number is None or number > len(event.modifiers):
        return ""
    return event.modifiers[number - 1]


def _media(folder: Path, observation: Observation) -> Path | None:
    """Player #1's one video: its path as written when absolute, else under `folder`."""
    written = Path(observation.media[0])
    candidate = written if written.is_absolute() else folder / written
    return Path(os.path.abspath(candidate)) if candidate.is_file() else None


def observation_video(
    source: Path, observation: Observation, report: ImportReport, media_dir: Path | None
) -> tuple[Path, float] | None:
    """An observation's one video and its frame rate; None (reported) without one. A relative media
    path is read under `media_dir`, else the BORIS file's folder."""
    if len(observation.media) != 1:
        count = len(observation.media)
        problem = f"player #1 plays {count} media files; microau reads one video per observation"
        report.add(source, observation.where, "", problem, "observation skipped")
        return None
    folder = media_dir if media_dir is not None else source.parent
    video = _media(folder, observation)
    fps = video_fps(video) if video is not None else 0.0
    if video is None or fps <= 0:
        problem = f"video {observation.media[0]} not found or unreadable (read under {report.name(folder)}/)"
        report.add(source, observation.where, "", problem, "observation skipped")
        return None
    return video, fps


def place_apexes(
    source: Path, observation: Observation, found: list[_Coded], apexes: list[tuple[Event, int]], report: ImportReport
) -> None:
    """Each apex event (with its frame) set as the apex of the one micro-expression of its subject it
    lies in; one outside every expression, or a second for one, is reported and ignored."""
    for event, at in apexes:
        subject = event.subject or observation.id
        owner = next((c for c in found if c.onset <= at <= c.offset and c.subject == subject), None)
        if owner is None:
            problem = f"'{event.behavior}' lies in no micro-expression"
            report.add(source, event.where, f"{event.time:.3f} s", problem, "ignored")
        elif owner.apex is not None:
            problem = "a second apex for one micro-expression"
            report.add(source, event.where, f"{event.time:.3f} s", problem, "ignored; the first is kept")
        else:
            owner.apex = at


def coded_expressions(
    source: Path, observation: Observation, mapping: BorisMapping, report: ImportReport, media_dir: Path | None = None
) -> tuple[Path, float, list[_Coded]] | None:
    """One observation's micro-expressions, in frames of its video; None (reported) without a
    video (`observation_video`)."""
    media = observation_video(source, observation, report, media_dir)
    if media is None:
        return None
    video, fps = media

    def frame(event: Event) -> int:
        return event.frame if event.frame is not None else int(round((event.time - observation.time_offset) * fps))

    found: list[_Coded] = []
    opened: dict[tuple, Event] = {}
    apexes: list[Event] = []
    ignored: dict[str, int] = {}
    for event in observation.events:
        if event.behavior == mapping.behavior and event.status in (START, STOP):
            key = (event.subject, event.modifiers)
            if event.status == START:
                opened[key] = event
                continue
            start = opened.pop(key, None)
            if start is None:
                report.add(
                    source,
                    event.where,
                    f"{event.time:.3f} s",
                    f"STOP of '{event.behavior}' without its START",
                    "ignored",
                )
                continue
            codes = _modifier(start, mapping.au_modifier).replace(",", "+")
            subject = event.subject or observation.id
            found.append(
                _Coded(
                    subject,
                    frame(start),
                    max(frame(event), frame(start)),
                    codes,
                    _modifier(start, mapping.emotion_modifier),
                )
            )
        elif mapping.apex_behavior and event.behavior == mapping.apex_behavior:
            apexes.append(event)
        else:
            ignored[event.behavior] = ignored.get(event.behavior, 0) + 1
    for start in opened.values():
        report.add(source, start.where, f"{start.time:.3f} s", f"START of '{start.behavior}' without a STOP", "dropped")
    place_apexes(source, observation, found, [(event, frame(event)) for event in apexes], report)
    for behavior, count in ignored.items():
        report.add(
            source,
            observation.where,
            "",
            f"behaviour '{behavior}' ({count} events) is not in the boris mapping",
            "ignored",
        )
    return video, fps, sorted(found, key=lambda c: (c.onset, c.subject))


def import_observations(
    sources: Sequence[Path],
    table: Path,
    validation: Path,
    mapping: BorisMapping,
    first_frame: int,
    media_dir: Path | None = None,
) -> tuple[int, int]:
    """BORIS files -> `table` (reader table's columns, frames from `first_frame`) and its report;
    returns (micro-expressions, validation rows)."""
    report = ImportReport(Path(os.path.abspath(table)).parent)
    records = []
    for source in sources:
        for observation in read_observations(source):
            coded = coded_expressions(source, observation, mapping, report, media_dir)
            if coded is None:
                continue
            video, fps, found = coded
            for c in found:
                frames = (c.onset, c.apex, c.offset)
                records.append(import_record(table, video, c.subject, frames, (c.codes, c.emotion), fps, first_frame))
    write_import(table, validation, records, report.rows)
    return len(records), len(report.rows)


# ---------------------------------------------------------------- export


def write_boris(path: Path, contents: Sequence[tuple[str, EafContent]], mapping: BorisMapping) -> None:
    """Spotted or analysed micro-expressions (`microau.io.elan.EafContent`, one per video, each with
    its observation id) as a BORIS project: `behavior` state events carrying the AUs and emotion
    as modifier sets (the emotion set the coder's word, where the listing gave one), the model's
    class per reading in the START event's comment, `apex_behavior` point events, other spotted kinds
    as state events of their own."""
    sets = max(mapping.au_modifier, mapping.emotion_modifier or 0)
    aus = sorted({p for _, c in contents for e in c.expressions for p in e.codes.split("+") if p}, key=_au_number)
    emotions = sorted({e.emotion for _, c in contents for e in c.expressions if e.emotion})
    modifier_sets = [(f"set {n}", SINGLE_SELECTION, []) for n in range(1, sets + 1)]
    modifier_sets[mapping.au_modifier - 1] = ("AU", MULTIPLE_SELECTION, aus)
    if mapping.emotion_modifier:
        modifier_sets[mapping.emotion_modifier - 1] = ("Emotion", SINGLE_SELECTION, emotions)
    kinds = sorted({kind for _, c in contents for kind in c.other_kinds})
    behaviors = [Behavior(mapping.behavior, True, modifier_sets)]
    behaviors += [Behavior(mapping.apex_behavior, False)] if mapping.apex_behavior else []
    behaviors += [Behavior(kind, True) for kind in kinds]
    observations = []
    for observation_id, content in contents:
        media = Path(os.path.relpath(os.path.abspath(content.media), Path(os.path.abspath(path)).parent)).as_posix()
        events: list[tuple[float, str, str, tuple[str, ...], int, str]] = []

        def add(frame: int, code: str, modifiers: tuple[str, ...] = (), comment: str = "") -> None:
            events.append((frame / content.fps, content.subject, code, modifiers, frame, comment))

        for e in content.expressions:
            modifiers = [""] * sets
            modifiers[mapping.au_modifier - 1] = ",".join(p for p in e.codes.split("+") if p)
            if mapping.emotion_modifier:
                modifiers[mapping.emotion_modifier - 1] = e.emotion
            classes = "; ".join(f"microau emotion ({r}): {c}" for r, c in e.other_emotions.items())
            add(e.onset, mapping.behavior, tuple(modifiers), classes)
            add(e.offset, mapping.behavior, tuple(modifiers))
            if mapping.apex_behavior and e.apex is not None:
                add(e.apex, mapping.apex_behavior)
        for kind, spans in content.other_kinds.items():
            for onset, offset in spans:
                add(onset, kind)
                add(offset, kind)
        length = video_length(content)
        observations.append(MediaObservation(observation_id, media, content.fps, length, events))
    subjects = sorted({c.subject for _, c in contents if c.subject})
    write_project(path, path.stem, behaviors, subjects, observations)


def write_analyse_boris(path: Path, rows: Sequence, clips: Sequence, mapping: BorisMapping) -> int:
    """`microau analyse --boris`: one project, an observation per analysed video named by its
    `export_keys` path (`rows`: `microau.io.prediction_rows.PredictionRow`, aligned with `clips`);
    returns the number of observations."""
    from microau.datasets.elan import analyse_contents, clip_videos, export_keys

    contents = analyse_contents(rows, clips)
    keys = export_keys(clip_videos(clips))
    write_boris(path, [(keys[Path(os.path.abspath(v))].as_posix(), c) for v, c in contents], mapping)
    return len(contents)


def video_length(content: EafContent) -> float:
    """The video's duration in seconds (its frame count over its rate)."""
    from microau.preprocess.video import VideoSource

    return VideoSource(content.media).count / content.fps


def _au_number(piece: str) -> tuple[int, str]:
    digits = "".join(ch for ch in piece if ch.isdigit())
    return (int(digits) if digits else 0, piece)


def main(argv: list[str] | None = None) -> int:
    """`microau boris-import`: BORIS projects or tabular exports and their videos -> a table for reader table."""
    parser = argparse.ArgumentParser(prog="microau boris-import", description=main.__doc__.split(": ", 1)[1])
    parser.add_argument(
        "files", type=Path, nargs="+", help=".boris project files or tabular events exports (.tsv, .csv)"
    )
    parser.add_argument("--out", type=Path, required=True, help="the table written (CSV; clips relative to its folder)")
    parser.add_argument(
        "--first-frame", type=int, choices=(0, 1), required=True, help="number the table gives a video's first frame"
    )
    parser.add_argument(
        "--config", type=Path, help="config.yaml whose boris section maps the behaviours (default: the schema's)"
    )
    parser.add_argument(
        "--media-dir",
        type=Path,
        help="folder that relative media paths are read under (BORIS writes them relative to the project file; "
        "default: each file's folder)",
    )
    parser.add_argument("--validation", type=Path, help="events not imported and why (TSV; default beside --out)")
    args = parser.parse_args(argv)
    validation = args.validation or args.out.with_name(f"{args.out.stem}{IMPORT_REPORT_SUFFIX}")
    mapping = boris_mapping(args.config)
    count, problems = import_observations(args.files, args.out, validation, mapping, args.first_frame, args.media_dir)
    print(f"microau boris-import: {count} micro-expressions -> {args.out}; {problems} validation rows -> {validation}")
    return 0
