"""`microau synthesize-long`: synthetic long videos with micro-expressions at known times.

A known answer for spotting. Each subject (the demo's face, `microau.datasets.generators.synthetic`: one
photograph placed, lit and noised per subject) gets one video at the given frame rate holding what
fools spotters: slow head drift and a few quick head shifts (translation), blinks (upper eyelids
pulled down and released), a slow lighting ramp with flicker, and sensor noise; and, unless
--expressions-per-minute is 0 (a neutral video, for the false-positive rate), micro-expressions:
the demo's AU displacements (sub-pixel to 1.5 px at the apex) rising sin^2 from onset to apex and
falling cos^2 to offset, 0.25-0.5 s long in all, at known frames, kept clear of blinks and shifts.
Every duration is drawn in seconds, so a video at 30 fps and one at 200 fps have the same events.

Two options make harder videos (the defaults give the videos above):
  --head-motion rigid   the head also turns, nods, rolls and leans in: each head event steps the
                        face's pose to a new affine one about the face centre (roll up to ROLL_DEG,
                        scale up to SCALE_SHARE, horizontal/vertical foreshortening of a turn/nod up
                        to TURN_SHARE), besides the shifts; no parallax (a 2-D face)
  --expression-set eyes the expressions are those that move the eye region (EYE_SETS: AU4, AU7,
                        AU4+7, AU6+12), each placed next to a blink: ending just before it,
                        overlapping it, or starting just after it (in turn)

  --distractor FAMILY:IMPL  one distractor implementation (microau.datasets.generators.distractors:
                        other blinks, gaze shifts, speech, head turns and nods of 5-15 degrees,
                        macro-expressions of 0.5-4 s, compression), its events clear of the
                        micro-expressions; macro-expressions go into truth.csv as kind macro

Writes, under --out:
  videos/<subject>.avi   MJPG at --fps, 640x480 (the demo's frame)
  truth.csv              the micro-expressions (microau.io.intervals format, kind micro, with
                         the emotion of their AU combination, `EMOTION_AU_SETS`)
  synthesis.json         per-video events: expressions with AUs and emotion, blinks, head shifts
                         (with --head-motion rigid, each shift's pose too)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from microau.datasets.generators.distractors import (
    BLINK_STRETCH,
    MACRO_AUS,
    Compression,
    DistractorEvent,
    MotionDistractor,
    blink_levels,
    blink_shape,
    parse,
    plan_events,
)
from microau.datasets.generators.synthetic import (
    EMOTION_AU_SETS,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    SubjectRenderer,
    au_displacement,
    detect_subject_landmarks,
    plan_subjects,
    rng_for,
)
from microau.datasets.long_release import LongRelease
from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.io.intervals import Interval, read_intervals, write_intervals
from microau.io.video_table import LongVideoRow
from microau.preprocess.video import VideoWriter

PROG = "microau synthesize-long"
VIDEOS_DIR = "videos"
TRUTH_CSV = "truth.csv"
TRUTH_JSON = "synthesis.json"

EXPRESSION_S = (0.25, 0.5)  # whole micro-expression, onset to offset (MEGC: at most 0.5 s)
APEX_SHARE = (0.35, 0.65)  # where the apex lies within it
AMPLITUDE_PX = (0.5, 1.5)  # peak skin displacement of each AU (the demo draws 0.3-1.5)
SIGMA_PX = (10.0, 15.0)
CLEARANCE_S = 1.0  # between an expression and any other event
BLINK_EVERY_S = (2.5, 6.0)
BLINK_S = (0.15, 0.3)
BLINK_PX = 5.0
SHIFT_EVERY_S = (6.0, 12.0)
SHIFT_S = (0.3, 0.6)
SHIFT_PX = (3.0, 8.0)
DRIFT_PX = 4.0  # slow head drift amplitude (periods of 8-20 s)
LIGHT_RAMP = 0.12  # gain change of one slow lighting ramp over the video
FLICKER = 0.01
NOISE_SIGMA = 1.5
NOISE_FRAMES = 16  # sensor noise drawn once and picked at random per frame (drawing it per frame doubles the cost)
UPPER_LIDS = (37, 38, 43, 44)
HEAD_MOTIONS = ("shift", "rigid")
# Pose of a head event with --head-motion rigid, drawn uniformly in +-: in-plane roll (degrees), scale
# (leaning in or back) and the foreshortening of a turn (horizontal) and a nod (vertical), as shares;
# a share of 0.02 is the cos of an 11-degree turn of a flat face. Real interviewees turn by a few
# degrees and lean by a few per cent of their face size.
ROLL_DEG = 3.0
SCALE_SHARE = 0.04
TURN_SHARE = 0.02
EXPRESSION_SETS = ("all", "eyes")
# AU combinations that move the eye region (the brows down, the lids tightened, the cheeks raised),
# the ones a blink test can mistake for blinks.
EYE_SETS: tuple[tuple[int, ...], ...] = ((4,), (7,), (4, 7), (6, 12))
# Where an eye-set expression lies against its blink, in turn: its offset up to GAP_S before the
# blink starts, overlapping it (the blink starting within the expression), its onset up to GAP_S after
# the blink ends.
BLINK_PLACES = ("before", "during", "after")
GAP_S = (0.05, 0.3)


class LongSynthesisError(MicroauError):
    """Settings that cannot give a video (too short for its expressions); the message says which."""


@dataclass
class Expression:
    onset: int
    apex: int
    offset: int
    aus: list[int]
    emotion: str
    amplitude_px: dict[int, float]
    sigma_px: dict[int, float]
    blink: str = ""  # with --expression-set eyes: before, during or after its blink


@dataclass
class Event:
    """A blink or a head shift: start and end frame, and (shifts) the displacement it ends at."""

    start: int
    end: int
    shift_px: tuple[float, float] = (0.0, 0.0)
    roll_deg: float = 0.0
    scale: float = 0.0
    turn: tuple[float, float] = (0.0, 0.0)


@dataclass
class LongVideo:
    subject: str
    fps: float
    frames: int
    expressions: list[Expression]
    blinks: list[Event]
    shifts: list[Event]
    distractor: str = ""
    events: list[DistractorEvent] = field(default_factory=list)


def frames_of(seconds: float, fps: float) -> int:
    return max(1, int(round(seconds * fps)))


def poisson_times(rng: np.random.Generator, every_s: tuple[float, float], duration_s: float) -> list[float]:
    """Event start times with gaps drawn uniformly from every_s."""
    times, t = [], float(rng.uniform(0.3, every_s[1]))
    while t < duration_s - 1.0:
        times.append(t)
        t += float(rng.uniform(*every_s))
    return times


PLAN_RATE = 1000.0  # events are planned in milliseconds, then placed at the video's frame rate


def plan_video(
    seed: int,
    index: int,
    subject: str,
    fps: float,
    duration_s: float,
    per_minute: float,
    head_motion: str = "shift",
    expression_set: str = "all",
    distractor: str = "",
) -> LongVideo:
    """Blinks, head shifts and expressions of one video, planned in milliseconds so that every
    frame rate gets the same events, then rounded to the video's frames."""
    planned = plan_ms(seed, index, subject, duration_s, per_minute, head_motion, expression_set, distractor)

    def at(ms: int) -> int:
        return int(round(ms * fps / PLAN_RATE))

    for e in planned.expressions:
        e.onset, e.apex, e.offset = at(e.onset), at(e.apex), at(e.offset)
        e.offset = max(e.offset, e.onset + 2)
        e.apex = min(max(e.apex, e.onset + 1), e.offset - 1)
    for event in planned.blinks + planned.shifts + planned.events:
        event.start, event.end = at(event.start), max(at(event.end), at(event.start) + 1)
    planned.fps, planned.frames = fps, frames_of(duration_s, fps)
    return planned


def emotion_of(aus: tuple[int, ...]) -> str:
    """The demo's emotion of an AU combination (`EMOTION_AU_SETS`), `others` when no emotion lists it."""
    for emotion, sets in EMOTION_AU_SETS.items():
        if emotion != "others" and aus in sets:
            return emotion
    return "others"


def draw_expression(
    rng: np.random.Generator, onset: int, length: int, aus: list[int], emotion: str, blink: str = ""
) -> Expression:
    offset = onset + length - 1
    apex = onset + int(round(rng.uniform(*APEX_SHARE) * (length - 1)))
    return Expression(
        onset,
        apex,
        offset,
        aus,
        emotion,
        {au: round(float(rng.uniform(*AMPLITUDE_PX)), 3) for au in aus},
        {au: round(float(rng.uniform(*SIGMA_PX)), 3) for au in aus},
        blink,
    )


def plan_ms(
    seed: int,
    index: int,
    subject: str,
    duration_s: float,
    per_minute: float,
    head_motion: str = "shift",
    expression_set: str = "all",
    distractor: str = "",
) -> LongVideo:
    """The events of one video in milliseconds (frames at PLAN_RATE)."""
    fps = PLAN_RATE
    rng = rng_for(seed, 10, index)
    frames = frames_of(duration_s, fps)
    family, impl = parse(distractor) if distractor else ("", "")
    stretch = BLINK_STRETCH[impl] if family == "blink" else 1.0  # the same draws, a longer blink
    blinks = [
        Event(frames_of(t, fps), frames_of(t + rng.uniform(*BLINK_S) * stretch, fps))
        for t in poisson_times(rng, BLINK_EVERY_S, duration_s)
    ]
    shifts = []
    for t in poisson_times(rng, SHIFT_EVERY_S, duration_s):
        angle, size = rng.uniform(0, 2 * np.pi), rng.uniform(*SHIFT_PX)
        shifts.append(
            Event(
                frames_of(t, fps),
                frames_of(t + rng.uniform(*SHIFT_S), fps),
                (size * np.cos(angle), size * np.sin(angle)),
            )
        )
    if head_motion == "rigid":
        pose_rng = rng_for(seed, 12, index)  # its own stream: the shifts' times stay those of --head-motion shift
        for shift in shifts:
            shift.roll_deg = round(float(pose_rng.uniform(-ROLL_DEG, ROLL_DEG)), 3)
            shift.scale = round(float(pose_rng.uniform(-SCALE_SHARE, SCALE_SHARE)), 4)
            shift.turn = tuple(round(float(x), 4) for x in pose_rng.uniform(-TURN_SHARE, TURN_SHARE, size=2))
    events = plan_events(distractor, rng_for(seed, 14, index), duration_s, fps) if distractor else []
    wanted = int(round(per_minute * duration_s / 60.0))
    if expression_set == "eyes":
        expressions = plan_eye_expressions(
            rng_for(seed, 13, index), frames, wanted, blinks, shifts + [Event(e.start, e.end) for e in events]
        )
    else:
        expressions = plan_expressions(rng, frames, wanted, [(e.start, e.end) for e in blinks + shifts + events])
    if len(expressions) < wanted:
        raise LongSynthesisError(
            f"{duration_s} s leaves room for {len(expressions)} of {wanted} expressions: lengthen --duration-s"
        )
    expressions.sort(key=lambda e: e.onset)
    return LongVideo(subject, fps, frames, expressions, blinks, shifts, distractor, events)


def plan_expressions(
    rng: np.random.Generator, frames: int, wanted: int, busy: list[tuple[int, int]]
) -> list[Expression]:
    """Expressions of every emotion in turn, at least CLEARANCE_S from any other event."""
    clearance = frames_of(CLEARANCE_S, PLAN_RATE)
    expressions: list[Expression] = []
    emotions = [e for e in EMOTION_AU_SETS if e != "others"]
    for _attempt in range(200 * max(wanted, 1)):
        if len(expressions) == wanted:
            break
        length = frames_of(rng.uniform(*EXPRESSION_S), PLAN_RATE)
        onset = int(rng.integers(clearance, max(clearance + 1, frames - length - clearance)))
        offset = onset + length - 1
        if any(onset - clearance <= end and start <= offset + clearance for start, end in busy):
            continue
        emotion = emotions[len(expressions) % len(emotions)]
        sets = EMOTION_AU_SETS[emotion]
        aus = list(sets[int(rng.integers(len(sets)))])
        expressions.append(draw_expression(rng, onset, length, aus, emotion))
        busy.append((onset, offset))
    return expressions


def plan_eye_expressions(
    rng: np.random.Generator, frames: int, wanted: int, blinks: list[Event], shifts: list[Event]
) -> list[Expression]:
    """EYE_SETS in turn, each next to its own blink (BLINK_PLACES in turn), at least CLEARANCE_S
    from every other blink, shift and expression."""
    clearance = frames_of(CLEARANCE_S, PLAN_RATE)
    expressions: list[Expression] = []
    free = list(range(len(blinks)))
    for _attempt in range(200 * max(wanted, 1)):
        if len(expressions) == wanted or not free:
            break
        blink = blinks[free[int(rng.integers(len(free)))]]
        place = BLINK_PLACES[len(expressions) % len(BLINK_PLACES)]
        length = frames_of(rng.uniform(*EXPRESSION_S), PLAN_RATE)
        gap = frames_of(rng.uniform(*GAP_S), PLAN_RATE)
        if place == "before":
            onset = blink.start - gap - length
        elif place == "after":
            onset = blink.end + gap
        else:
            onset = blink.start - int(round(rng.uniform(0.1, 0.8) * length))
        offset = onset + length - 1
        start, end = min(onset, blink.start), max(offset, blink.end)
        others = [(e.start, e.end) for e in blinks + shifts if e is not blink] + [
            (e.onset, e.offset) for e in expressions
        ]
        if (
            start < clearance
            or end > frames - clearance
            or any(start - clearance <= b and a <= end + clearance for a, b in others)
        ):
            continue
        aus = EYE_SETS[len(expressions) % len(EYE_SETS)]
        expressions.append(draw_expression(rng, onset, length, list(aus), emotion_of(aus), place))
        free.remove(blinks.index(blink))
    return expressions


def rise_and_fall(frame: int, start: int, peak: int, end: int) -> float:
    """0 outside start..end, sin^2 up to 1 at peak, cos^2 back to 0 at end."""
    if frame < start or frame > end:
        return 0.0
    if frame <= peak:
        return float(np.sin(0.5 * np.pi * (frame - start) / max(peak - start, 1)) ** 2)
    return float(np.cos(0.5 * np.pi * (frame - peak) / max(end - peak, 1)) ** 2)


def step(frame: int, start: int, end: int) -> float:
    """0 before start, a smooth (raised cosine) rise to 1 at end, 1 after."""
    if frame <= start:
        return 0.0
    if frame >= end:
        return 1.0
    return float(0.5 - 0.5 * np.cos(np.pi * (frame - start) / (end - start)))


def blink_field(landmarks: np.ndarray) -> np.ndarray:
    """(H, W, 2) downward pull of the upper eyelids, BLINK_PX at its peak, tight around the lids."""
    field = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 2), np.float32)
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    for point in landmarks[list(UPPER_LIDS)]:
        field[..., 1] += np.exp(-((xs - point[0]) ** 2 + (ys - point[1]) ** 2) / (2 * 5.0**2))
    return field * np.float32(BLINK_PX / field[..., 1].max())


def head_pose(shifts: list[Event], frame: int, jitter: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """2x3 affine from a frame pixel to the point of the unmoved face it shows: the face rolled,
    scaled and foreshortened about `centre` by the head events reached so far, then moved by jitter."""
    roll = scale = turn_x = turn_y = 0.0
    for e in shifts:
        reached = step(frame, e.start, e.end)
        roll, scale = roll + e.roll_deg * reached, scale + e.scale * reached
        turn_x, turn_y = turn_x + e.turn[0] * reached, turn_y + e.turn[1] * reached
    angle = np.deg2rad(roll)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    forward = (1.0 + scale) * rotation @ np.diag([1.0 + turn_x, 1.0 + turn_y])
    backward = np.linalg.inv(forward)
    return np.hstack([backward, (centre - backward @ (centre + jitter))[:, None]])


def render_video(
    seed: int, index: int, video: LongVideo, renderer: SubjectRenderer, landmarks: np.ndarray, path: Path
) -> None:
    """Write the video's frames as MJPG at its frame rate."""
    rng = rng_for(seed, 11, index)
    fields = [
        sum(au_displacement(landmarks, au, e.amplitude_px[au], e.sigma_px[au], "") for au in e.aus)
        for e in video.expressions
    ]
    family, impl = parse(video.distractor) if video.distractor else ("", "")
    blink_impl = impl if family == "blink" else "pull"
    blink_fields = blink_shape(blink_impl, landmarks, blink_field(landmarks))
    motion = (
        MotionDistractor(video.distractor, landmarks, video.events, video.fps)
        if family in ("gaze", "speech", "head", "macro")
        else None
    )
    compression = Compression(impl, rng_for(seed, 15, index), video.fps) if family == "compression" else None
    noise_bank = rng.standard_normal((NOISE_FRAMES, FRAME_HEIGHT, FRAME_WIDTH, 3), dtype=np.float32) * np.float32(
        NOISE_SIGMA
    )
    periods = rng.uniform(8.0, 20.0, size=2) * video.fps
    phases = rng.uniform(0, 2 * np.pi, size=2)
    ramp_start, ramp_end = sorted(rng.integers(0, video.frames, size=2))
    posed = any(e.roll_deg or e.scale or any(e.turn) for e in video.shifts)
    centre = landmarks.mean(axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = VideoWriter(path, video.fps, (FRAME_WIDTH, FRAME_HEIGHT))
    try:
        for frame in range(video.frames):
            displacement = None
            moving = [
                (field, rise_and_fall(frame, e.onset, e.apex, e.offset)) for e, field in zip(video.expressions, fields)
            ]
            for e in video.blinks:
                closed = blink_levels(blink_impl, frame, e.start, e.end)
                moving += [(f, closed) for f in blink_fields]
            extra = motion.displacement(frame) if motion is not None else None
            if extra is not None:
                moving.append((extra, 1.0))
            for field, level in moving:
                if level:
                    displacement = (
                        field * np.float32(level) if displacement is None else displacement + field * np.float32(level)
                    )
            drift = DRIFT_PX * np.sin(2 * np.pi * frame / periods + phases)
            jitter = drift + sum(np.array(e.shift_px) * step(frame, e.start, e.end) for e in video.shifts)
            gain = 1.0 + LIGHT_RAMP * step(frame, ramp_start, ramp_end) + rng.uniform(-FLICKER, FLICKER)
            noise = noise_bank[int(rng.integers(NOISE_FRAMES))]
            if posed:
                pose = head_pose(video.shifts, frame, jitter, centre)
                image = renderer.render_posed(displacement, pose, gain, noise)
            else:
                image = renderer.render(displacement, (float(jitter[0]), float(jitter[1])), gain, noise)
            writer.write(compression.apply(frame, image) if compression is not None else image)
    finally:
        writer.close()


def synthesize_long(
    out: Path,
    *,
    seed: int,
    subjects: int,
    fps: float,
    duration_s: float,
    per_minute: float,
    head_motion: str = "shift",
    expression_set: str = "all",
    distractor: str = "",
) -> list[LongVideo]:
    """Plan and render one video per subject under `out`; returns the plans (also in synthesis.json)."""
    people = plan_subjects(seed, subjects)
    detect_subject_landmarks(people)
    videos = []
    for index, person in enumerate(people):
        video = plan_video(
            seed, index, f"s{person.subject:02d}", fps, duration_s, per_minute, head_motion, expression_set, distractor
        )
        render_video(
            seed,
            index,
            video,
            SubjectRenderer(person),
            np.asarray(person.landmarks68, np.float32),
            out / VIDEOS_DIR / f"{video.subject}.avi",
        )
        videos.append(video)
    truth = [
        Interval(v.subject, v.subject, "micro", e.onset, e.apex, e.offset, e.emotion)
        for v in videos
        for e in v.expressions
    ]
    if distractor.startswith("macro:"):
        aus = MACRO_AUS[parse(distractor)[1]]
        truth += [
            Interval(v.subject, v.subject, "macro", e.start, (e.start + e.end) // 2, e.end, emotion_of(tuple(aus)))
            for v in videos
            for e in v.events
        ]
        truth.sort(key=lambda i: (i.video, i.onset))
    write_intervals(out / TRUTH_CSV, truth)
    record = {
        "seed": seed,
        "fps": fps,
        "duration_s": duration_s,
        "head_motion": head_motion,
        "expression_set": expression_set,
        "distractor": distractor,
        "frame_size": [FRAME_WIDTH, FRAME_HEIGHT],
        "videos": [asdict(v) for v in videos],
    }
    with atomic_open(out / TRUTH_JSON) as handle:  # the rule's declared output: written last, complete
        handle.write(json.dumps(record, indent=1) + "\n")
    return videos


def read_release(root: Path, coding_file: str | None = None) -> LongRelease:
    """The release as `microau spot-index` reads it (reader `synthetic_long`; it has no coding
    file): the videos and truth.csv, each expression's emotion from synthesis.json (a truth.csv
    written before it carried emotions reads the same)."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write videos/, truth.csv, synthesis.json into"
    )
    parser.add_argument("--seed", type=int, required=True, help="seed of every random draw")
    parser.add_argument("--subject-count", type=int, required=True, help="videos to write, one per synthetic subject")
    parser.add_argument("--fps", type=float, required=True, help="frame rate of the videos")
    parser.add_argument("--duration-s", type=float, required=True, help="length of each video in seconds")
    parser.add_argument(
        "--expressions-per-minute", type=float, required=True, help="micro-expressions per minute (0: a neutral video)"
    )
    parser.add_argument(
        "--head-motion",
        choices=HEAD_MOTIONS,
        required=True,
        help="shift: the head drifts and shifts (translation); rigid: it also rolls, turns, nods and leans in",
    )
    parser.add_argument(
        "--expression-set",
        choices=EXPRESSION_SETS,
        required=True,
        help="all: every emotion's AUs, clear of blinks; eyes: AU4, AU7, AU4+7, AU6+12 next to blinks",
    )
    parser.add_argument(
        "--distractor",
        default="",
        metavar="FAMILY:IMPL",
        help="one distractor implementation (microau.datasets.generators.distractors.FAMILIES), e.g. blink:slide",
    )
    args = parser.parse_args(argv)
    if args.distractor:
        try:
            parse(args.distractor)
        except MicroauError as error:
            parser.error(str(error))
    if args.subject_count < 1 or args.fps <= 0 or args.duration_s < 3 or args.expressions_per_minute < 0:
        parser.error("need --subject-count >= 1, --fps > 0, --duration-s >= 3, --expressions-per-minute >= 0")
    start = time.perf_counter()
    videos = synthesize_long(
        args.out,
        seed=args.seed,
        subjects=args.subject_count,
        fps=args.fps,
        duration_s=args.duration_s,
        per_minute=args.expressions_per_minute,
        head_motion=args.head_motion,
        expression_set=args.expression_set,
        distractor=args.distractor,
    )
    count = sum(len(v.expressions) for v in videos)
    print(
        f"{PROG}: {len(videos)} videos x {args.duration_s} s at {args.fps:g} fps, {count} micro-expressions "
        f"-> {args.out} ({time.perf_counter() - start:.1f} s)"
    )
    return 0
