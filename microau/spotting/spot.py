"""`microau spot`: spot the expressions of a long video; with --model, analyse each micro-expression.

Without --model it writes the spotted intervals (`microau.io.intervals`; the per-video stage
of the spotting workflow). With a trained model.pt it writes one analysis CSV: a row per spotted
micro-expression with its onset, apex and offset (frames and seconds), each AU's P(on) and the
zero-shot emotion of both readings of Eq. 13, computed by `microau.inference.predict` on the interval's
onset and apex frames exactly as `microau predict` analyses a clip. Settings come from the
`spotting` section of a config file (--config; schema defaults fill what it leaves out) or, from
the workflow, as JSON (--settings-json).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from microau.inference.parallel import available_cores, job_count, ordered_map
from microau.inference.review import ReviewPage, Timeline, review_target
from microau.io.atomic import atomic_open
from microau.io.intervals import KINDS, Interval, read_intervals, write_intervals
from microau.plan.config import SCHEMA_PATH, load_config, load_schema
from microau.preprocess.chain import PreparedPair, prepare_pair
from microau.preprocess.video import VideoSource
from microau.spotting.spotter import SpotSettings, SpottingError, spot_kinds

PROG = "microau spot"
ANALYSIS_FIXED = ("video", "kind", "onset", "apex", "offset", "onset_s", "apex_s", "offset_s")


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


def prepare_interval(task: tuple[np.ndarray, np.ndarray, dict[str, dict], str]) -> PreparedPair:
    """The onset and apex frames of one interval through the preprocessing stages (a worker's part)."""
    onset, apex, settings, name = task
    return prepare_pair(onset, apex, settings, name=name)


def analyse(
    source: VideoSource,
    intervals: list[Interval],
    model: Path,
    device: str,
    progress: bool,
    jobs: int | None = None,
    review_title: str | None = None,
) -> tuple[list[dict[str, object]], ReviewPage | None]:
    """One row per micro-expression interval: timing, AU probabilities, zero-shot emotions; the model
    runs on `device` (`microau.model.device.claimed_device`'s convention, as `microau predict` takes it),
    up to `jobs` worker processes (default: every core this process may use) prepare the pairs.
    With `review_title`, also the review page of the intervals (its timeline left to the caller)."""
    from microau.inference.predict import PairModel, stored_preprocessing
    from microau.io.fold_files import read_model
    from microau.model.device import claimed_device

    state = read_model(model)
    settings = stored_preprocessing(state, model)
    micro = [i for i in intervals if i.kind == "micro"]
    frames = frames_at(source, {i.onset for i in micro} | {i.apex for i in micro})
    tasks = [(frames[i.onset], frames[i.apex], settings, f"frame {i.onset} of {source.path}") for i in micro]
    rows = []
    with claimed_device(device) as torch_device:
        pair_model = PairModel(state, settings, torch_device)  # CLIP and the model built once
        page = ReviewPage(review_title, pair_model) if review_title else None
        prepared = ordered_map(prepare_interval, tasks, available_cores() if jobs is None else jobs)
        for n, (interval, pair) in enumerate(zip(micro, prepared), start=1):
            if progress:
                print(f"{PROG}: analysing interval {n} of {len(micro)}", file=sys.stderr, flush=True)
            prediction = pair_model.score(pair)
            row: dict[str, object] = {
                "video": interval.video,
                "kind": interval.kind,
                "onset": interval.onset,
                "apex": interval.apex,
                "offset": interval.offset,
                **{f"{c}_s": round(getattr(interval, c) / source.fps, 3) for c in ("onset", "apex", "offset")},
            }
            row.update({au: round(p, 4) for au, p in prediction.aus.items()})
            row["active"] = "+".join(au for au, p in prediction.aus.items() if p > 0.5)
            row.update({f"emotion_{reading}": emotion for reading, emotion in prediction.emotions.items()})
            rows.append(row)
            if page:
                details = {key: row[key] for key in ("onset", "apex", "offset", "onset_s", "apex_s", "offset_s")}
                page.add(f"micro {n}", "ok", details, pair, prediction)
    return rows, page


def write_analysis(path: Path, rows: list[dict[str, object]]) -> None:
    """The analysis CSV (header only when nothing was spotted)."""
    columns = list(rows[0]) if rows else list(ANALYSIS_FIXED)
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def read_analysis(path: str | Path) -> list[dict[str, str]]:
    """The rows of an analysis CSV written by `write_analysis` (as text)."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ANALYSIS_FIXED if c not in (reader.fieldnames or [])]
        if missing:
            raise SpottingError(f"{path} lacks {', '.join(missing)}: not an analysis CSV of microau spot --model")
        return list(reader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--video", type=Path, required=True, help="a video file, or a folder of numbered frames (with --fps)"
    )
    parser.add_argument("--fps", type=float, help="frame rate of a frame folder (a video file's own by default)")
    parser.add_argument("--name", help="video name in the output (default: the file or folder name)")
    parser.add_argument("--subject", default="", help="subject of the video, for the spotting table's bootstrap")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=["micro"], help="kinds to spot (default micro)")
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
    args = parser.parse_args(argv)
    if args.intervals and not args.model:
        parser.error("--intervals needs --model")
    if args.eaf and args.video.is_dir():
        parser.error("--eaf links the .eaf to a video file; ELAN cannot open a folder of frames")
    cv2.setNumThreads(args.threads)
    settings = settings_from(args.config, args.settings_json)
    source = VideoSource(args.video, args.fps)
    name = args.name or args.video.stem
    start = time.perf_counter()
    if args.jobs and not args.model:
        parser.error("--jobs needs --model")
    if args.truth and not args.review:
        parser.error("--truth needs --review")
    if args.review and args.intervals:
        parser.error("--review draws the spotting signal, which --intervals does not compute: leave one out")
    if args.intervals:
        spotted, intervals = [], read_intervals(args.intervals)
    else:
        spotted = spot_kinds(source, settings, tuple(args.kinds), name, args.subject, progress=not args.quiet)
        intervals = [i for kind in spotted for i in kind.intervals]
    seconds = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    title = f"{PROG}: {name} ({source.count} frames at {source.fps:g} fps)"
    rows = None
    if args.model:
        rows, page = analyse(
            source,
            intervals,
            args.model,
            args.device,
            not args.quiet,
            args.jobs,
            f"{title}, {args.model}" if args.review else None,
        )
        write_analysis(args.out, rows)
    else:
        write_intervals(args.out, intervals)
        page = ReviewPage(f"{title}: spotted intervals (no --model: no AUs)", None) if args.review else None
    if page:
        truth = [i for i in read_intervals(args.truth) if i.video == name] if args.truth else None
        page.set_timeline(
            Timeline(source.fps, {kind.kind: (kind.signal, kind.threshold) for kind in spotted}, intervals, truth)
        )
        review, share_script = review_target(args.review, name)
        page.write(review, share_script)
        print(f"{PROG}: review page -> {review}", file=sys.stderr)
    if args.eaf:
        from microau.datasets.elan import spot_content, write_eaf

        write_eaf(
            args.eaf,
            spot_content(args.video, source.fps, args.subject or name, intervals, rows),
            args.eaf_probabilities,
        )
    minutes = source.count / source.fps / 60
    print(
        f"{PROG}: {name}: {len(intervals)} intervals in {minutes:.2f} min of video at {source.fps:g} fps "
        + (
            f"(read from {args.intervals})"
            if args.intervals
            else f"({seconds:.1f} s spotting, {seconds / minutes:.1f} s per minute)"
        )
        + f" -> {args.out}"
    )
    return 0
