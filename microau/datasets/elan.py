"""`microau elan-import`: a folder of ELAN .eaf files -> a table for reader `table`; and the .eaf
contents of `microau spot --eaf` and `microau analyse --eaf-dir`.

The EAF format and the tier mapping (config section `elan`) are `microau.io.elan`'s. The import
reads every .eaf under the folder: the subject is the mapped tier's participant (ELAN's tier
attribute), else the .eaf file's name; the video is the file's first linked video that exists
(its relative link, then its absolute one, then a video of the same name beside the file). The
table's frame numbers count from `--first-frame` (the counting the study's coders use; each row's
`first_frame` cell says it), so a study typed by hand and the same study imported from ELAN hold
the same numbers. What the mapping does not cover (another tier, an emotion or apex outside every
micro-expression, a file whose video is missing) is a row of `<table>_validation.tsv`, naming the
file by its path under the folder; reader `table` carries those rows into the dataset's
validation report.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from microau.datasets.table import IMPORT_REPORT_SUFFIX, ImportReport, import_record, write_import
from microau.io.elan import (
    Annotation,
    EafContent,
    ElanError,
    MicroExpression,
    TierMapping,
    expressions,
    other_kinds,
    participant,
    read_eaf_file,
    write_eaf,
)
from microau.io.prediction_rows import Prediction, PredictionRow
from microau.preprocess.video import VIDEO_SUFFIXES, video_fps


def elan_mapping(config: Path | None) -> TierMapping:
    """The tier mapping of a config file's `elan` section (the schema's defaults fill the rest)."""
    import yaml

    from microau.plan.config import SCHEMA_PATH, load_config, load_schema

    raw = (yaml.safe_load(config.read_text()) if config else None) or {}
    return TierMapping.from_config(load_config({"targets": [], **raw}, load_schema(SCHEMA_PATH))["elan"])


def read_coded(path: Path, mapping: TierMapping, report: ImportReport) -> EafContent | None:
    """One coder's .eaf under `mapping`; None (reported) when its video or frame rate is missing."""
    eaf = read_eaf_file(path)
    media = linked_video(path, eaf.media_urls)
    if media is None:
        links = ", ".join(eaf.media_urls) or "none"
        problem = f"no linked video found (links: {links}; nor a video of the same name beside it)"
        report.add(path, "", "", problem, "file skipped")
        return None
    fps = video_fps(media)
    if fps <= 0:
        problem = f"linked video {report.name(media)} cannot be opened or states no frame rate"
        report.add(path, "", "", problem, "file skipped")
        return None

    def problem(tier: str, annotation: Annotation | None, text: str, action: str) -> None:
        time = "" if annotation is None else f"{annotation.start_ms / 1000:.3f}-{annotation.end_ms / 1000:.3f} s"
        report.add(path, f"tier {tier}" if tier else "", time, text, action)

    found = expressions(eaf, mapping, fps, problem)
    if not found:
        tiers = ", ".join(eaf.tiers) or "none"
        problem(
            mapping.phase_tier or mapping.interval_tier,
            None,
            f"no micro-expression under the tier mapping (tiers: {tiers})",
            "file gives no sample",
        )
    return EafContent(media, fps, participant(eaf, mapping) or path.stem, found, other_kinds(eaf, fps))


def linked_video(path: Path, urls: Sequence[str]) -> Path | None:
    """The first linked video that exists: relative link, then absolute, then one of the same name."""
    for url in urls:
        parsed = urlparse(url)
        local = unquote(parsed.path) if parsed.scheme in ("file", "") else ""
        if not local:
            continue
        candidate = Path(local) if Path(local).is_absolute() else path.parent / local
        if candidate.is_file() and candidate.suffix.lower() in VIDEO_SUFFIXES:
            return Path(os.path.abspath(candidate))
    return next((p for p in (path.with_suffix(s) for s in VIDEO_SUFFIXES) if p.is_file()), None)


def import_folder(
    folder: Path, table: Path, validation: Path, mapping: TierMapping, first_frame: int
) -> tuple[int, int]:
    """Every .eaf under `folder` -> `table` (reader table's columns, frames from `first_frame`)
    and its validation rows; returns (micro-expressions, validation rows)."""
    paths = sorted(folder.rglob("*.eaf")) if folder.is_dir() else []
    if not paths:
        raise ElanError(f"no .eaf file under {folder}")
    report = ImportReport(Path(os.path.abspath(table)).parent)
    records = []
    for path in paths:
        content = read_coded(path, mapping, report)
        if content is None:
            continue
        for e in content.expressions:
            frames, coded = (e.onset, e.apex, e.offset), (e.codes, e.emotion)
            records.append(
                import_record(table, content.media, content.subject, frames, coded, content.fps, first_frame)
            )
    write_import(table, validation, records, report.rows)
    return len(records), len(report.rows)


# ---------------------------------------------------------------- export contents


def spot_content(video: Path, fps: float, subject: str, intervals, rows: Sequence[PredictionRow] | None) -> EafContent:
    """The .eaf content of `microau spot`: its intervals (`microau.io.intervals.Interval`)
    and, with a model, the prediction rows of its micro-expressions (in the same order)."""
    intervals = list(intervals)
    micro = [i for i in intervals if i.kind == "micro"]
    found = []
    for n, interval in enumerate(micro):
        prediction = rows[n].prediction if rows is not None else None
        found.append(_expression(interval.onset, interval.apex, interval.offset, prediction))
    others: dict[str, list[tuple[int, int]]] = {}
    for interval in intervals:
        if interval.kind != "micro":
            others.setdefault(interval.kind, []).append((interval.onset, interval.offset))
    return EafContent(video, fps, subject, found, others)


def analyse_contents(rows: Sequence[PredictionRow], clips: Sequence) -> list[tuple[Path, EafContent]]:
    """The .eaf contents of `microau analyse`: one per analysed video, holding each of its clips
    (`microau.inference.analyse.Clip`, aligned with `rows`, `microau.io.prediction_rows`) from the
    onset to the given offset, else to the apex, with the listing's participant (none given: none written) and coder's
    emotion. Image folders and clips that failed have none."""
    by_video: dict[Path, list[MicroExpression]] = {}
    subjects: dict[Path, str] = {}
    for clip, row in zip(clips, rows):
        if row.prediction is None or row.context["kind"] != "video":
            continue
        onset, apex = int(row.context["onset"]), int(row.context["apex"])
        offset = int(clip.offset) if clip.offset is not None and str(clip.offset).isdigit() else apex
        expression = _expression(onset, apex, max(offset, apex), row.prediction, clip.emotion or "")
        by_video.setdefault(Path(clip.path), []).append(expression)
        subjects.setdefault(Path(clip.path), clip.subject or "")
    return [
        (video, EafContent(video, video_fps(video), subjects[video], sorted(found, key=lambda e: e.onset)))
        for video, found in by_video.items()
    ]


def _expression(onset: int, apex: int, offset: int, prediction: Prediction | None, coded: str = "") -> MicroExpression:
    """A predicted micro-expression: the AUs on (`microau.model.decision`, carried by the
    prediction) as FACS codes; the emotion tier keeps the coder's word (`coded`, '' where none),
    every reading's predicted class goes beside it in the export's own `microau emotion (<reading>)`
    tiers, so a class never poses as a coder's word. Without a prediction: its timing only."""
    aus = dict(prediction.aus) if prediction else {}
    emotions = dict(prediction.emotions) if prediction else {}
    codes = "+".join(str(int(au[2:])) for au in prediction.active) if prediction else ""
    return MicroExpression(onset, offset, codes, apex, coded, aus, emotions)


def export_keys(videos: Sequence[Path]) -> dict[Path, Path]:
    """Each video's path below the videos' common folder: the key of its export, so two
    participants' `p01/interview.mp4` and `p02/interview.mp4` give two exports, never one."""
    absolute = [Path(os.path.abspath(v)) for v in videos]
    if not absolute:
        return {}
    base = Path(os.path.commonpath([v.parent for v in absolute]))
    return {video: video.relative_to(base) for video in absolute}


def eaf_names(keys: dict[Path, Path]) -> dict[Path, Path]:
    """Each video's .eaf below the export folder: `p01/interview.eaf`, or `p01/interview.mp4.eaf` where
    two videos of one folder share a stem (`interview.mp4`, `interview.avi`), so neither replaces the other."""
    stems = [key.with_suffix("") for key in keys.values()]
    return {
        video: key.with_suffix(".eaf") if stems.count(key.with_suffix("")) == 1 else key.with_name(key.name + ".eaf")
        for video, key in keys.items()
    }


def clip_videos(clips: Sequence) -> list[Path]:
    """The videos among `microau analyse`'s clips (image folders have no export), each once: the
    exports are keyed over all of them, so a clip that fails moves no other clip's export."""
    return list(dict.fromkeys(Path(clip.path) for clip in clips if Path(clip.path).is_file()))


def analyse_eaf_paths(folder: Path, clips: Sequence) -> dict[Path, Path]:
    """Each video's .eaf under `folder` (by absolute video path), known before any clip is analysed
    so that a clash is refused before the model loads."""
    return {video: folder / name for video, name in eaf_names(export_keys(clip_videos(clips))).items()}


def write_analyse_eafs(
    folder: Path, rows: Sequence[PredictionRow], clips: Sequence, mapping: TierMapping, probabilities: bool
) -> list[Path]:
    """`microau analyse --eaf-dir`: one .eaf per analysed video under `folder`, at its `analyse_eaf_paths` path."""
    paths = analyse_eaf_paths(folder, clips)
    written = []
    for video, content in analyse_contents(rows, clips):
        if content.fps <= 0:
            raise ElanError(f"cannot read the frame rate of {video}: an .eaf needs it to place frames in time")
        path = paths[Path(os.path.abspath(video))]
        write_eaf(path, content, mapping, probabilities)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """`microau elan-import`: a folder of .eaf files and their videos -> a table for reader table."""
    parser = argparse.ArgumentParser(prog="microau elan-import", description=main.__doc__.split(": ", 1)[1])
    parser.add_argument("folder", type=Path, help="folder searched (with its sub-folders) for .eaf files")
    parser.add_argument("--out", type=Path, required=True, help="the table written (CSV; clips relative to its folder)")
    parser.add_argument(
        "--first-frame", type=int, choices=(0, 1), required=True, help="number the table gives a video's first frame"
    )
    parser.add_argument(
        "--config", type=Path, help="config.yaml whose elan section maps the tiers (default: the schema's)"
    )
    parser.add_argument("--validation", type=Path, help="annotations not imported and why (TSV; default beside --out)")
    args = parser.parse_args(argv)
    validation = args.validation or args.out.with_name(f"{args.out.stem}{IMPORT_REPORT_SUFFIX}")
    count, problems = import_folder(args.folder, args.out, validation, elan_mapping(args.config), args.first_frame)
    print(f"microau elan-import: {count} micro-expressions -> {args.out}; {problems} validation rows -> {validation}")
    return 0
