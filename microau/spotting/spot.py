"""`microau spot`: spot the expressions of a long video; with --model, analyse each micro-expression.

Without --model it writes the spotted intervals (`microau.io.intervals`; the per-video stage
of the spotting workflow). With a trained model.pt it writes one analysis CSV: a row per spotted
micro-expression with its onset, apex and offset (frames and seconds), each AU's P(on) and the
zero-shot emotion of both readings of Eq. 13 (`microau.io.prediction_rows` owns its columns),
computed by `microau.inference.analyse.Analyser` on the interval's onset and apex frames exactly as
`microau analyse` analyses a clip. Settings come from the `spotting` section of a config file
(--config; schema defaults fill what it leaves out) or, from the workflow, as JSON (--settings-json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from microau.inference.parallel import job_count
from microau.inference.review import ReviewPage, claim_page, review_target
from microau.io.intervals import KINDS, Interval, read_intervals, write_intervals
from microau.io.prediction_rows import INTERVAL_COLUMNS, PredictionRow, RowSchema, write_interval_rows
from microau.plan.config import SCHEMA_PATH, load_config, load_schema
from microau.preprocess.video import VideoSource
from microau.spotting.spotter import SpotSettings, SpottedKind, spot_kinds
from microau.spotting.timeline import Timeline, timeline_figure

PROG = "microau spot"


def settings_from(config_path: Path | None, settings_json: str | None) -> SpotSettings:
    """The spotting section: JSON as the workflow passes it, or a config file loaded as the workflow loads it."""
    if settings_json is not None:
        return SpotSettings(**json.loads(settings_json))
    import yaml

    raw = (yaml.safe_load(config_path.read_text()) if config_path else None) or {}
    # a file with only a spotting section names no AU-detection targets, which the schema requires
    return SpotSettings(**load_config({"targets": [], **raw}, load_schema(SCHEMA_PATH))["spotting"])


def frames_at(source: VideoSource, numbers: set[int]) -> dict[int, np.ndarray]:
    """The BGR frames of the given numbers, in one pass over the video."""
    found = {}
    last = max(numbers, default=-1)
    for number, frame in source.read(1):
        if number in numbers:
            found[number] = frame
        if number >= last:
            break
    return found


def interval_context(interval: Interval, fps: float) -> dict[str, object]:
    """The context columns of an interval's row: its frames, and its times in seconds."""
    frames = {"onset": interval.onset, "apex": interval.apex, "offset": interval.offset}
    seconds = {f"{key}_s": round(frame / fps, 3) for key, frame in frames.items()}
    context = {"video": interval.video, "kind": interval.kind, **frames, **seconds}
    return {column: context[column] for column in INTERVAL_COLUMNS}


def analyse(
    source: VideoSource,
    intervals: list[Interval],
    model: Path,
    device: str,
    progress: bool,
    jobs: int | None = None,
    review_title: str | None = None,
) -> tuple[list[PredictionRow], ReviewPage | None, RowSchema]:
    """One row per micro-expression interval: timing, AU probabilities, zero-shot emotions, by
    `microau.inference.analyse.Analyser` on `device` (`microau.model.device.claimed_device`'s
    convention), up to `jobs` worker processes (default: every core this process may use)
    preparing the pairs. With `review_title`, also the review page of the intervals (its timeline
    left to the caller). Last, the model's AUs and each reading's classes: the rows' columns."""
    from microau.inference.analyse import Analyser, FramePair

    micro = [i for i in intervals if i.kind == "micro"]
    frames = frames_at(source, {i.onset for i in micro} | {i.apex for i in micro})
    pairs = [
        FramePair(interval_context(i, source.fps), frames[i.onset], frames[i.apex], f"frame {i.onset} of {source.path}")
        for i in micro
    ]
    rows = []
    with Analyser(model, device) as analyser:  # CLIP and the model built once
        page = ReviewPage(review_title, analyser.pair_model) if review_title else None
        schema = (analyser.pair_model.au_names, analyser.pair_model.emotion_classes())
        for n, clip in enumerate(analyser.analysed_frames(pairs, jobs), start=1):
            if progress:
                print(f"{PROG}: analysed interval {n} of {len(micro)}", file=sys.stderr, flush=True)
            rows.append(clip.row)
            if page:
                details = {key: clip.row.context[key] for key in INTERVAL_COLUMNS[2:]}
                page.add(f"micro {n}", clip.row.status, details, clip.pair, clip.prediction)
    return rows, page, schema


def parser_of() -> argparse.ArgumentParser:
    """The command's flags."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--video", type=Path, required=True, help="a video file, or a folder of numbered frames (with --fps)"
    )
    parser.add_argument("--fps", type=float, help="frame rate of a frame folder (a video file's own by default)")
    parser.add_argument("--name", help="video name in the output (default: the file or folder name)")
    parser.add_argument("--subject", default="", help="subject of the video, for the spotting table's bootstrap")
    parser.add_argument(
        "--kinds", nargs="+", choices=KINDS, default=["micro", "macro"], help="kinds to spot (default both: one pass)"
    )
    source_of = parser.add_mutually_exclusive_group(required=True)
    source_of.add_argument(
        "--config", type=Path, help="config.yaml whose spotting section to use (schema defaults fill the rest)"
    )
    source_of.add_argument("--settings-json", help="the spotting section as JSON (as the workflow passes it)")
    parser.add_argument("--model", type=Path, help="model.pt: also analyse each micro-expression (AUs and emotion)")
    parser.add_argument(
        "--intervals",
        type=Path,
        help="with --model: analyse the intervals of this CSV (an earlier microau spot of the video) instead of "
        "spotting again",
    )
    parser.add_argument("--out", type=Path, required=True, help="intervals CSV, or with --model the analysis CSV")
    parser.add_argument(
        "--device",
        default="auto",
        help="with --model: auto, cpu, cuda or cuda:N, as `microau predict` takes it (default auto)",
    )
    parser.add_argument(
        "--eaf", type=Path, help="also write an ELAN .eaf linked to the video (microau.datasets.elan's tiers)"
    )
    parser.add_argument(
        "--eaf-probabilities", action="store_true", help="with --eaf and --model: a tier of P(on) per AU"
    )
    parser.add_argument(
        "--boris", type=Path, help="also write a BORIS project of the spotted intervals (microau.datasets.boris)"
    )
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads of this job (default 1)")
    parser.add_argument(
        "--jobs",
        type=job_count,
        help="with --model: processes preparing the intervals (default: every core this process may use)",
    )
    parser.add_argument(
        "--review",
        type=Path,
        help="also write this HTML review page (the timeline; with --model each micro-expression); a folder "
        "gets <--name>.html, sharing plotly's script with the pages beside it",
    )
    parser.add_argument(
        "--truth",
        type=Path,
        help="with --review: intervals CSV (truth.csv of a spotting dataset) drawn under the spotted ones",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def checked_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The arguments, with the combinations that cannot work refused as usage errors."""
    args = parser.parse_args(argv)
    if args.intervals and not args.model:
        parser.error("--intervals needs --model")
    if (args.eaf or args.boris) and args.video.is_dir():
        parser.error("--eaf and --boris link a video file; ELAN and BORIS cannot open a folder of frames")
    if args.jobs and not args.model:
        parser.error("--jobs needs --model")
    if args.truth and not args.review:
        parser.error("--truth needs --review")
    if args.review and args.intervals:
        parser.error("--review draws the spotting signal, which --intervals does not compute: leave one out")
    return args


def write_review(
    args: argparse.Namespace,
    page: ReviewPage,
    source: VideoSource,
    name: str,
    spotted: list[SpottedKind],
    faceless: list[tuple[int, int]],
) -> None:
    """The review page with the timeline of the video's signals, spotted intervals and truth."""
    truth = [i for i in read_intervals(args.truth) if i.video == name] if args.truth else None
    intervals = [i for kind in spotted for i in kind.intervals]
    signals = {kind.kind: (kind.signal, kind.threshold) for kind in spotted}
    timeline = Timeline(source.fps, signals, intervals, truth, faceless)
    page.set_timeline(timeline_figure(timeline, clickable=bool(page.entries)))
    review, share_script = review_target(args.review, name)
    page.write(review, share_script, args.out)
    print(f"{PROG}: review page -> {review}", file=sys.stderr)


def claim_outputs(args: argparse.Namespace, name: str) -> None:
    """Refuse, before the video is read, a review page of another run and an export over a file
    microau did not write (`microau.io.exports`)."""
    from microau.io.boris import is_microau_project
    from microau.io.elan import is_microau_eaf
    from microau.io.exports import claim_export

    if args.review:
        claim_page(review_target(args.review, name)[0], args.out)
    if args.eaf:
        claim_export(args.eaf, is_microau_eaf, "--eaf")
    if args.boris:
        claim_export(args.boris, is_microau_project, "--boris")


def main(argv: list[str] | None = None) -> int:
    parser = parser_of()
    args = checked_args(parser, argv)
    cv2.setNumThreads(args.threads)
    settings = settings_from(args.config, args.settings_json)
    name = args.name or args.video.stem
    claim_outputs(args, name)
    source = VideoSource(args.video, args.fps)
    start = time.perf_counter()
    if args.intervals:
        spotted, intervals = [], read_intervals(args.intervals)
    else:
        spotted = spot_kinds(source, settings, tuple(args.kinds), name, args.subject, progress=not args.quiet)
        intervals = [i for kind in spotted for i in kind.intervals]
    faceless = spotted[0].faceless if spotted else []  # the video's, on every kind
    seconds = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    title = f"{PROG}: {name} ({source.count} frames at {source.fps:g} fps)"
    rows = None
    if args.model:
        review_title = f"{title}, {args.model}" if args.review else None
        rows, page, (aus, emotion_classes) = analyse(
            source, intervals, args.model, args.device, not args.quiet, args.jobs, review_title
        )
        write_interval_rows(args.out, rows, aus, emotion_classes)
    else:
        write_intervals(args.out, intervals)
        page = ReviewPage(f"{title}: spotted intervals (no --model: no AUs)", None) if args.review else None
    if page:
        write_review(args, page, source, name, spotted, faceless)
    if args.eaf or args.boris:
        from microau.datasets.elan import spot_content

        content = spot_content(args.video, source.fps, args.subject or name, intervals, rows)
    if args.eaf:
        from microau.datasets.elan import elan_mapping
        from microau.io.elan import write_eaf

        write_eaf(args.eaf, content, elan_mapping(args.config), args.eaf_probabilities)
    if args.boris:
        from microau.datasets.boris import boris_mapping, write_boris

        write_boris(args.boris, [(name, content)], boris_mapping(args.config))
    minutes = source.count / source.fps / 60
    print(
        f"{PROG}: {name}: {len(intervals)} intervals in {minutes:.2f} min of video at {source.fps:g} fps "
        + (
            f"(read from {args.intervals})"
            if args.intervals
            else f"({seconds:.1f} s spotting, {seconds / minutes:.1f} s per minute)"
        )
        + (f"; no face in frames {', '.join(f'{a}-{b}' for a, b in faceless)} (not spotted)" if faceless else "")
        + f" -> {args.out}"
    )
    return 0
