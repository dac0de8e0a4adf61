"""`microau analyse` and the Python API: many clips analysed with one loaded model, one row each.

A clip is a video or a folder of images (its frames, in natural order of their names). The clips
come from a folder (each video or image folder in it; a folder holding only images is one clip),
a glob, or a CSV listing them (`clip`, optional `id`, `onset`, `apex`, `offset`, and `subject` and
`emotion`, the participant and the coder's word, which only the .eaf and BORIS exports carry). Onset and apex
are 0-based frame numbers or, for an image folder, file names in it. Without an onset the clip
starts at its first frame; without an apex it is the frame of largest motion from the onset to the
offset or the end (`microau.preprocess.apex`, as `microau predict` and the index stage find it).

Each pair goes through `microau.inference.predict.PairModel`, the path of `microau predict`. The
result has one row per clip (`microau.io.prediction_rows`, the owner of its columns: the clip's, then
per AU `<AU>_prob` and `<AU>_on`, then per reading of Eq. 13 `mer_<reading>_<class>` and
`mer_<reading>_pred`, then `status`); a clip that cannot be analysed (no face, unreadable, too short,
onset, apex and offset out of order) gets its reason in `status`, the others go on. Worker processes
prepare the clips (`microau.inference.parallel`) and this process's model scores them in order, so
the CSV of N jobs is byte for byte a one-job run's (no timing in it: the progress line says the
seconds). `microau spot --model` scores its spotted intervals through the same `Analyser`
(`analysed_frames`). `--review` also writes the clips' review page (`microau.inference.review`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from microau.errors import MicroauError
from microau.inference.parallel import available_cores, job_count, ordered_map
from microau.inference.predict import (
    Frames,
    PairModel,
    PredictError,
    add_model_argument,
    describe,
    frames_at,
    onset_and_motion_apex,
    stored_preprocessing,
)
from microau.inference.review import ReviewPage, claim_page, review_target
from microau.io.fold_files import read_model
from microau.io.prediction_rows import STATUS_OK, Prediction, PredictionRow, clip_columns, row_record, write_clip_rows
from microau.preprocess.chain import STEPS, PreparedPair, StepClock, prepare_pair
from microau.preprocess.images import read_image
from microau.preprocess.video import IMAGE_SUFFIXES, VIDEO_SUFFIXES, folder_images, is_video, natural_key, video_frames

PROG = "microau analyse"
LISTING_COLUMNS = ("clip", "id", "onset", "apex", "offset", "subject", "emotion")


class ClipListError(MicroauError):
    """The clips asked for cannot be listed; the message names the folder, glob or CSV."""


class TimingError(PredictError):
    """A clip's given onset, apex and offset are out of order; the clip's status names them."""


@dataclass
class Clip:
    """A clip to analyse: its id, its video or image folder, and the onset, apex and offset when
    given (frame numbers, or file names of an image folder); its participant and the coder's
    emotion word, when a listing gives them, go into the exports."""

    id: str
    path: Path
    onset: str | None = None
    apex: str | None = None
    offset: str | None = None
    subject: str | None = None
    emotion: str | None = None


def unique_ids(paths: Sequence[Path]) -> list[str]:
    """Each clip's name (folder name, or video file name), or, where names repeat, its path below the
    clips' common folder (`p01/interview.mp4`, `p02/interview.mp4`): the key of every per-clip output."""
    names = [path.name for path in paths]
    if len(set(names)) == len(names):
        return names
    absolute = [os.path.abspath(path) for path in paths]
    base = os.path.commonpath([os.path.dirname(path) for path in absolute])
    return [
        name if names.count(name) == 1 else Path(os.path.relpath(path, base)).as_posix()
        for name, path in zip(names, absolute)
    ]


def clips_in_folder(folder: Path) -> list[Clip]:
    """The clips of a folder: each video and each sub-folder holding images; a folder holding
    only images is itself one clip."""
    entries = sorted(folder.iterdir(), key=lambda p: natural_key(p.name))
    paths = [p for p in entries if is_video(p) or (p.is_dir() and folder_images(p))]
    if not paths and folder_images(folder):
        paths = [folder]
    if not paths:
        raise ClipListError(f"{folder} holds no video ({', '.join(VIDEO_SUFFIXES)}) and no folder of images")
    return [Clip(clip_id, path) for clip_id, path in zip(unique_ids(paths), paths)]


def clips_in_listing(listing: Path) -> list[Clip]:
    """The clips of a CSV with a `clip` column (paths relative to the CSV's folder) and optional
    `id`, `onset`, `apex`, `offset` columns; an empty cell is not given."""
    with open(listing, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        rows = list(reader)
    if "clip" not in columns:
        raise ClipListError(f"{listing} has no 'clip' column (columns: {', '.join(columns) or 'none'})")
    unknown = [column for column in columns if column not in LISTING_COLUMNS]
    if unknown:
        raise ClipListError(f"{listing}: unknown column(s) {', '.join(unknown)} (known: {', '.join(LISTING_COLUMNS)})")
    if not rows:
        raise ClipListError(f"{listing} lists no clip")
    paths = [(listing.parent / row["clip"].strip()) for row in rows]
    ids = [row.get("id") or clip_id for row, clip_id in zip(rows, unique_ids(paths))]
    repeated = sorted({clip_id for clip_id in ids if ids.count(clip_id) > 1})
    if repeated:
        raise ClipListError(f"{listing}: clip id(s) {', '.join(repeated)} appear more than once")

    def given(row: dict[str, str], key: str) -> str | None:
        return (row.get(key) or "").strip() or None

    return [
        Clip(
            clip_id,
            path,
            *(given(row, key) for key in ("onset", "apex", "offset", "subject", "emotion")),
        )
        for clip_id, path, row in zip(ids, paths, rows)
    ]


def find_clips(sources: Iterable[str | Path]) -> list[Clip]:
    """The clips named by folders, globs, CSV listings, videos or image folders, in that order."""
    clips: list[Clip] = []
    videos = [Path(source) for source in sources if is_video(Path(source))]
    video_ids = dict(zip(videos, unique_ids(videos)))
    for source in sources:
        path = Path(source)
        if path.is_file() and path.suffix.lower() == ".csv":
            clips += clips_in_listing(path)
        elif is_video(path):
            clips.append(Clip(video_ids[path], path))
        elif path.is_dir():
            clips += clips_in_folder(path)
        elif glob.has_magic(str(source)):
            matches = [Path(m) for m in sorted(glob.glob(str(source)), key=natural_key)]
            matches = [m for m in matches if is_video(m) or (m.is_dir() and folder_images(m))]
            if not matches:
                raise ClipListError(f"the glob {source} matches no video and no folder of images")
            clips += [Clip(clip_id, match) for clip_id, match in zip(unique_ids(matches), matches)]
        else:
            raise ClipListError(f"{source}: no such video, folder, glob match or CSV listing of clips")
    ids = [clip.id for clip in clips]
    repeated = sorted({clip_id for clip_id in ids if ids.count(clip_id) > 1})
    if repeated:
        raise ClipListError(f"clip id(s) {', '.join(repeated)} are named twice: give each source once")
    return clips


class ClipFrames:
    """The frames of a clip, read one at a time: a video's, or an image folder's in natural order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self.kind, self.images = "images", folder_images(path)
            if not self.images:
                raise PredictError(f"image folder {path} holds no image ({', '.join(IMAGE_SUFFIXES)})")
            self.source = f"image folder {path}"
        elif path.is_file():
            self.kind, self.images, self.source = "video", [], f"video {path}"
        else:
            raise PredictError(f"cannot read clip {path}: no such video or folder")

    def frames(self) -> Frames:
        if self.kind == "video":
            return video_frames(self.path)
        return ((number, read_image(image)) for number, image in enumerate(self.images))

    def number(self, reference: str, what: str) -> int:
        """A frame number from a number, or from a file name of an image folder."""
        if reference.isdigit():
            return int(reference)
        names = [image.name for image in self.images]
        if reference in names:
            return names.index(reference)
        expected = "a frame number or a file name in it" if self.kind == "images" else "a frame number"
        raise PredictError(f"{what} '{reference}' of {self.source} is not {expected}")

    def file(self, number: int) -> str:
        return self.images[number].name if self.kind == "images" else ""


@dataclass
class ClipPair:
    """The onset and apex chosen for a clip, their frames (BGR), and how each was chosen."""

    onset: int
    apex: int
    onset_from: str
    apex_from: str
    onset_image: np.ndarray
    apex_image: np.ndarray


def timed_frames(frames: Frames, clock: StepClock) -> Frames:
    """The frames, the time spent decoding each charged to `decoding` and the time between two
    frames (what the reader does with one) to `apex search`."""
    iterator = iter(frames)
    while True:
        clock.lap("apex search")
        numbered = next(iterator, None)
        clock.lap("decoding")
        if numbered is None:
            return
        yield numbered


def check_timing(onset: int, apex: int | None, offset: int | None, source: str) -> None:
    """An apex before the onset, or an offset before the apex (or, without an apex, before the
    onset), is a listing's mistake: the clip gets it as its status rather than a silent guess."""
    if apex is not None and apex < onset:
        raise TimingError(f"apex {apex} is before onset {onset} of {source}")
    if offset is not None and apex is not None and offset < apex:
        raise TimingError(f"offset {offset} is before apex {apex} of {source}")
    if offset is not None and offset < onset:
        raise TimingError(f"offset {offset} is before onset {onset} of {source}")


def choose_pair(clip: Clip, frames: ClipFrames, clock: StepClock | None = None) -> ClipPair:
    """The given onset (else the first frame) and the given apex (else the frame of largest motion
    from the onset to the offset, or to the end), each frame read once; `clock` gets the seconds
    of decoding and of the apex search."""
    clock = clock or StepClock()
    onset = 0 if clip.onset is None else frames.number(clip.onset, "onset")
    onset_from = "first frame" if clip.onset is None else "given"
    apex = None if clip.apex is None else frames.number(clip.apex, "apex")
    last = None if clip.offset is None else frames.number(clip.offset, "offset")
    check_timing(onset, apex, last, frames.source)
    if apex is not None:
        onset_image, apex_image = frames_at(timed_frames(frames.frames(), clock), onset, apex, frames.source)
        return ClipPair(onset, apex, onset_from, "given", onset_image, apex_image)
    onset_image, found = onset_and_motion_apex(timed_frames(frames.frames(), clock), onset, frames.source, last)
    clock.lap("apex search")
    return ClipPair(onset, found.frame, onset_from, "motion", onset_image, found.image)


ANALYSABLE_ERRORS = (MicroauError, OSError)
"""What one clip can fail with (no face, unreadable, too short); the run goes on to the next."""


@dataclass
class PreparedClip:
    """A clip after everything but the model: its row's context columns (a clip's, or a spotted
    interval's), its prepared pair or, when it cannot be analysed, None and the reason, and the
    seconds of each step so far."""

    row: dict[str, object]
    pair: PreparedPair | None
    status: str | None
    seconds: dict[str, float]


@dataclass
class AnalysedClip:
    """A clip's row (its prediction None when it failed), its prepared pair (the review page shows
    it) and the seconds of each step (`microau.preprocess.chain.STEPS`)."""

    row: PredictionRow
    pair: PreparedPair | None
    seconds: dict[str, float]

    @property
    def prediction(self) -> Prediction | None:
        return self.row.prediction


def prepare_clip(task: tuple[Clip, dict[str, dict]]) -> PreparedClip:
    """Decoding, apex search, face, magnification, flow and landmarks of one clip with the model's
    preprocessing settings: what a worker process does (`microau.inference.parallel`). A clip that cannot be
    analysed gets its reason, and the run goes on."""
    clip, settings = task
    clock = StepClock()
    row: dict[str, object] = {"clip": clip.id, "path": str(clip.path)}
    try:
        frames = ClipFrames(clip.path)
        row["kind"] = frames.kind
        pair = choose_pair(clip, frames, clock)
        row |= {
            "onset": pair.onset,
            "onset_file": frames.file(pair.onset),
            "onset_from": pair.onset_from,
            "apex": pair.apex,
            "apex_file": frames.file(pair.apex),
            "apex_from": pair.apex_from,
        }
        prepared = prepare_pair(
            pair.onset_image, pair.apex_image, settings, name=f"frame {pair.onset} of {frames.source}"
        )
    except ANALYSABLE_ERRORS as error:
        return PreparedClip(row, None, str(error), clock.seconds)
    return PreparedClip(row, prepared, None, clock.seconds)


@dataclass
class FramePair:
    """An onset and apex frame (BGR) already read, the context columns of their row, and the name
    errors give the onset frame."""

    context: dict[str, object]
    onset: np.ndarray
    apex: np.ndarray
    name: str


def prepare_frames(task: tuple[FramePair, dict[str, dict]]) -> PreparedClip:
    """Face, magnification, flow and landmarks of a pair read elsewhere (a spotted interval's): a
    worker's part. A pair that cannot be prepared stops the run: its frames came from a spotter
    that found a face there."""
    pair, settings = task
    prepared = prepare_pair(pair.onset, pair.apex, settings, name=pair.name)
    return PreparedClip(dict(pair.context), prepared, None, {})


def clip_list(clips: Iterable[str | Path | Clip]) -> list[Clip]:
    """Clip objects as given, then the clips named by folders, globs, listings, videos and image folders."""
    clips = list(clips)
    listed = [item for item in clips if isinstance(item, Clip)]
    named = [item for item in clips if not isinstance(item, Clip)]
    return listed + (find_clips(named) if named else [])


class Analyser:
    """A trained model.pt loaded once (`load_model`), analysing any number of clips."""

    def __init__(self, model_path: str | Path, device: str = "auto") -> None:
        from microau.model.device import claimed_device

        self.model_path = Path(model_path)
        state = read_model(self.model_path)
        self.description = describe(state)
        settings = stored_preprocessing(state, self.model_path)
        # The device's claim (a GPU lock, `microau.model.device`) is held as long as the Analyser lives.
        self._claim = contextlib.ExitStack()
        self.pair_model = PairModel(state, settings, self._claim.enter_context(claimed_device(device)))

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Give the device's claim back (the Analyser cannot score after it)."""
        self._claim.close()

    def analysed(self, clips: Iterable[str | Path | Clip], jobs: int | None = None) -> Iterator[AnalysedClip]:
        """Each clip analysed, in order: `clips` as `analyse_many` takes them; up to `jobs` worker
        processes (default: every core this process may use) prepare the pairs, this process's
        model scores them in order, so the rows equal a one-job run's."""
        tasks = [(clip, self.pair_model.settings) for clip in clip_list(clips)]
        return self.scored(prepare_clip, tasks, jobs)

    def analysed_frames(self, pairs: Iterable[FramePair], jobs: int | None = None) -> Iterator[AnalysedClip]:
        """Each pair of frames read elsewhere (`microau spot --model`'s intervals) analysed, in order,
        as `analysed` analyses clips."""
        tasks = [(pair, self.pair_model.settings) for pair in pairs]
        return self.scored(prepare_frames, tasks, jobs)

    def scored(
        self, prepare: Callable[[tuple], PreparedClip], tasks: list[tuple], jobs: int | None
    ) -> Iterator[AnalysedClip]:
        """The one model-over-clips loop: `prepare` (a worker's part) over `tasks` in up to `jobs`
        processes, then this process's model on each, in order."""
        for prepared in ordered_map(prepare, tasks, available_cores() if jobs is None else jobs):
            yield self.score_clip(prepared)

    def score_clip(self, prepared: PreparedClip) -> AnalysedClip:
        """The model's part of a clip `prepare_clip` or `prepare_frames` prepared: its row."""
        if prepared.pair is None:
            return AnalysedClip(PredictionRow(dict(prepared.row), None, str(prepared.status)), None, prepared.seconds)
        prediction = self.pair_model.score(prepared.pair)
        seconds = prepared.seconds | prepared.pair.seconds | {"model": prediction.seconds}
        return AnalysedClip(PredictionRow(dict(prepared.row), prediction, STATUS_OK), prepared.pair, seconds)

    def analyse_many(
        self,
        clips: Iterable[str | Path | Clip],
        progress: Callable[[int, int, AnalysedClip], None] | None = None,
        jobs: int | None = None,
    ) -> pd.DataFrame:
        """One row per clip (the CSV of `microau analyse`): `clips` are Clip objects, or folders,
        globs, CSV listings, videos and image folders as `find_clips` reads them; `jobs` as
        `analysed` takes it. `progress` is called after each clip with (done, total, clip)."""
        return self.table(self.analysed_rows(clips, progress, jobs))

    def analysed_rows(
        self,
        clips: Iterable[str | Path | Clip],
        progress: Callable[[int, int, AnalysedClip], None] | None = None,
        jobs: int | None = None,
    ) -> list[PredictionRow]:
        """One row per clip, as `analyse_many` takes its arguments (what `microau analyse` writes)."""
        todo = clip_list(clips)
        rows = []
        for done, clip in enumerate(self.analysed(todo, jobs), start=1):
            rows.append(clip.row)
            if progress:
                progress(done, len(todo), clip)
        return rows

    def analyse(
        self,
        clip: str | Path,
        onset: int | str | None = None,
        apex: int | str | None = None,
        offset: int | str | None = None,
    ) -> pd.DataFrame:
        """One clip (a video or an image folder), with its onset, apex and offset when known."""
        path = Path(clip)
        given = (None if value is None else str(value) for value in (onset, apex, offset))
        return self.analyse_many([Clip(path.name, path, *given)], jobs=1)

    def table(self, rows: list[PredictionRow]) -> pd.DataFrame:
        """The rows under the clips CSV's columns (`microau.io.prediction_rows`), missing scores empty."""
        aus = self.pair_model.au_names
        columns = clip_columns(aus, self.pair_model.emotion_classes())
        frame = pd.DataFrame([row_record(row) for row in rows], columns=columns)
        for column in ("onset", "apex", *(f"{au}_on" for au in aus)):
            frame[column] = frame[column].astype("Int64")
        return frame


def load_model(path: str | Path, device: str = "auto") -> Analyser:
    """A trained model.pt (a fold's, or the final model) ready to analyse clips on `device`
    (`auto`, `cpu`, `cuda` or `cuda:N`, as `microau.model.device` reads them)."""
    return Analyser(path, device)


def print_progress(done: int, total: int, clip: AnalysedClip, started: float) -> None:
    """One line per clip: how far, the clip's status, its seconds, time per clip and time left."""
    elapsed = time.perf_counter() - started
    left = elapsed / done * (total - done)
    print(
        f"[{done}/{total}] {clip.row.context['clip']}: {clip.row.status} ({sum(clip.seconds.values()):.2f} s; "
        f"{elapsed / done:.2f} s per clip, about {left:.0f} s left)",
        file=sys.stderr,
        flush=True,
    )


def parser_of() -> argparse.ArgumentParser:
    """The command's flags."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "clips",
        nargs="+",
        help="folders of clips (videos, folders of images), globs (quoted), CSV listings (columns clip, and "
        "optional id, onset, apex, offset), videos or image folders",
    )
    add_model_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="the CSV written: one row per clip")
    parser.add_argument("--device", default="auto", help="where the model runs: auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--quiet", action="store_true", help="no progress line per clip")
    parser.add_argument(
        "--eaf-dir", type=Path, help="also write one ELAN .eaf per analysed video here (microau.datasets.elan)"
    )
    parser.add_argument("--eaf-probabilities", action="store_true", help="with --eaf-dir: a tier of P(on) per AU")
    parser.add_argument(
        "--boris",
        type=Path,
        help="also write a BORIS project, one observation per analysed video (microau.datasets.boris)",
    )
    parser.add_argument(
        "--config", type=Path, help="with --eaf-dir or --boris: config.yaml whose elan and boris sections map the tiers"
    )
    parser.add_argument(
        "--jobs", type=job_count, help="processes preparing clips (default: every core this process may use)"
    )
    parser.add_argument(
        "--review",
        type=Path,
        help="also write this HTML review page of the clips (opens offline); a folder gets <--out's name>.html, "
        "sharing plotly's script with the pages beside it",
    )
    return parser


def write_exports(args: argparse.Namespace, rows: list[PredictionRow], clips: list[Clip]) -> None:
    """The ELAN files (--eaf-dir) and the BORIS project (--boris) of the analysed clips."""
    if args.eaf_dir:
        from microau.datasets.elan import elan_mapping, write_analyse_eafs

        eafs = write_analyse_eafs(args.eaf_dir, rows, clips, elan_mapping(args.config), args.eaf_probabilities)
        print(f"{len(eafs)} .eaf file(s) -> {args.eaf_dir}", file=sys.stderr)
    if args.boris:
        from microau.datasets.boris import boris_mapping, write_analyse_boris

        count = write_analyse_boris(args.boris, rows, clips, boris_mapping(args.config))
        print(f"{count} observation(s) -> {args.boris}", file=sys.stderr)


def claim_outputs(args: argparse.Namespace, clips: list[Clip]) -> None:
    """Refuse, before the model loads, a review page of another run and an export over a file
    microau did not write (`microau.io.exports`)."""
    from microau.io.exports import claim_export

    if args.review:
        claim_page(review_target(args.review, args.out.stem)[0], args.out)
    if args.eaf_dir:
        from microau.datasets.elan import analyse_eaf_paths
        from microau.io.elan import is_microau_eaf

        for path in analyse_eaf_paths(args.eaf_dir, clips).values():
            claim_export(path, is_microau_eaf, "--eaf-dir")
    if args.boris:
        from microau.io.boris import is_microau_project

        claim_export(args.boris, is_microau_project, "--boris")


def main(argv: list[str] | None = None) -> int:
    args = parser_of().parse_args(argv)
    clips = find_clips(args.clips)
    claim_outputs(args, clips)
    started = time.perf_counter()
    analyser = load_model(args.model, args.device)
    loaded = time.perf_counter()
    print(
        f"model: {args.model} ({analyser.description}) loaded on {analyser.pair_model.device} in "
        f"{loaded - started:.1f} s; {len(clips)} clip(s)",
        file=sys.stderr,
        flush=True,
    )
    page = (
        ReviewPage(f"microau analyse: {len(clips)} clip(s), {args.model}", analyser.pair_model) if args.review else None
    )

    steps: dict[str, list[float]] = {}

    def progress(done: int, total: int, clip: AnalysedClip) -> None:
        if clip.prediction is not None:
            for step, seconds in clip.seconds.items():
                steps.setdefault(step, []).append(seconds)
        if page:
            page.add_analysed(clip.row, clip.pair)
        if not args.quiet:
            print_progress(done, total, clip, loaded)

    rows = analyser.analysed_rows(clips, progress, args.jobs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_clip_rows(args.out, rows, analyser.pair_model.au_names, analyser.pair_model.emotion_classes())
    if page:
        review, share_script = review_target(args.review, args.out.stem)
        page.write(review, share_script, args.out)
        print(f"review page -> {review}", file=sys.stderr)
    write_exports(args, rows, clips)
    failed = [row for row in rows if row.status != STATUS_OK]
    seconds = time.perf_counter() - loaded
    print(
        f"analysed {len(rows) - len(failed)} of {len(rows)} clip(s) in {seconds:.1f} s "
        f"({seconds / len(rows):.2f} s per clip) -> {args.out}",
        file=sys.stderr,
    )
    if steps:
        print(f"seconds per analysed clip by step: {step_summary(steps)}", file=sys.stderr)
    for row in failed:
        print(f"  {row.context['clip']}: {row.status}", file=sys.stderr)
    return 0


def step_summary(steps: dict[str, list[float]]) -> str:
    """Mean seconds of each step (`microau.preprocess.chain.STEPS` order) over the analysed clips; with
    several jobs, the steps before the model ran in workers side by side."""
    means = {step: sum(values) / len(values) for step, values in steps.items()}
    return (
        ", ".join(f"{step} {means[step]:.2f}" for step in STEPS if step in means)
        + f" (total {sum(means.values()):.2f})"
    )
