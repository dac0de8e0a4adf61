"""Distractors of `microau synthesize-long --distractor FAMILY:IMPL`: what a spotter must not report
as a micro-expression, in families, each with independent implementations (different shapes,
speeds, extents), so that a spotter developed on some implementations can be scored on others.

Families (`FAMILIES`; `HELD_OUT` names the implementations kept for scoring only, decided before any
tuning, docs/spotting.md):
  blink        replaces the video's blinks (same times): `pull` (the generator's own: upper lids pulled
               5 px down and back), `double` (two quick partial closures), `slide` (the upper lid and
               the skin above it slide down over the opening, the lower lid still: the eye closes),
               `slow_partial` (a slow closure of 0.6 of the opening with the brows pulled down)
  gaze         the iris moves and the lids follow: `saccade` (horizontal, 3 px, held 0.5-1.5 s),
               `look_down` (the iris 2 px down and the upper lids lowered with it, held 1-2 s)
  speech       mouth and jaw moving for 2-4 s: `syllables` (the jaw and lower lip opening at 3-5
               syllables a second), `lips` (the mouth corners spreading and rounding, a small jaw)
  head         a turn or nod of 5-15 degrees about the neck (the face translated by r sin(angle) and
               its nose, which stands out, by more: parallax), held 1-2 s and back: `turn`, `nod`
  macro        macro-expressions of 0.5-4 s (truth of kind macro): `smile` (AU6+12 of 2.5-4 px),
               `brow_raise` (AU1+2), `disgust` (AU4+9+10)
  compression  every frame re-encoded: `jpeg` (quality 15-30 for the video), `rate` (quality drawn
               anew every 0.5 s from 8-40, as a rate control does), `lowres` (half resolution and back,
               then quality 40)

Events are planned in milliseconds (as the generator's), from their own random stream, so that the
30-fps and 200-fps videos of a seed hold the same ones, and the micro-expressions are planned clear
of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from microau.datasets.generators.synthetic import FRAME_HEIGHT, FRAME_WIDTH, au_displacement
from microau.errors import MicroauError

FAMILIES: dict[str, tuple[str, ...]] = {
    "blink": ("pull", "double", "slide", "slow_partial"),
    "gaze": ("saccade", "look_down"),
    "speech": ("syllables", "lips"),
    "head": ("turn", "nod"),
    "macro": ("smile", "brow_raise", "disgust"),
    "compression": ("jpeg", "rate", "lowres"),
}
# Scored only, never developed on (docs/spotting.md): written down before any setting was chosen.
HELD_OUT: frozenset[str] = frozenset(
    {
        "blink:slide",
        "blink:slow_partial",
        "gaze:look_down",
        "speech:lips",
        "head:nod",
        "macro:brow_raise",
        "macro:disgust",
        "compression:rate",
        "compression:lowres",
    }
)
# Blink lengths against the generator's own (BLINK_S), per implementation.
BLINK_STRETCH = {"pull": 1.0, "double": 1.6, "slide": 1.0, "slow_partial": 2.2}
# Events of the motion families: gap between starts and length, seconds.
EVENT_EVERY_S = {"gaze": (3.0, 6.0), "speech": (6.0, 9.0), "head": (6.0, 10.0), "macro": (5.0, 9.0)}
EVENT_S = {"gaze": (0.6, 1.6), "speech": (2.0, 4.0), "head": (2.0, 3.5), "macro": (0.5, 4.0)}
MACRO_AUS = {"smile": (6, 12), "brow_raise": (1, 2), "disgust": (4, 9, 10)}
HEAD_RADIUS_PX = 100.0  # the face's distance from the neck's axis (a 200-px face)
NOSE_DEPTH_PX = 50.0  # how far the nose stands out of the face: it moves more (parallax)


class DistractorError(MicroauError):
    """An unknown family or implementation; the message lists them."""


def parse(name: str) -> tuple[str, str]:
    """FAMILY:IMPL -> (family, implementation)."""
    family, _, impl = name.partition(":")
    if family not in FAMILIES or impl not in FAMILIES[family]:
        listed = ", ".join(f"{f}:{i}" for f, impls in FAMILIES.items() for i in impls)
        raise DistractorError(f"unknown distractor {name!r} (choose from {listed})")
    return family, impl


@dataclass
class DistractorEvent:
    """One event: start and end (frames; ms while planned) and its drawn parameters."""

    start: int
    end: int
    params: dict[str, float] = field(default_factory=dict)


def plan_events(name: str, rng: np.random.Generator, duration_s: float, rate: float) -> list[DistractorEvent]:
    """The events of a motion family (none for blink and compression), at `rate` frames a second."""
    family, impl = parse(name)
    if family not in EVENT_EVERY_S:
        return []
    events, t = [], float(rng.uniform(0.5, EVENT_EVERY_S[family][1]))
    while True:
        length = float(rng.uniform(*EVENT_S[family]))
        if t + length > duration_s - 0.5:
            break
        params: dict[str, float] = {}
        if family == "head":
            params = {
                "degrees": float(rng.uniform(5.0, 15.0)) * float(rng.choice([-1.0, 1.0])),
                "move_s": float(rng.uniform(0.4, 0.9)),
            }
        elif family == "gaze":
            params = {"sign": float(rng.choice([-1.0, 1.0])), "move_s": 0.04 if impl == "saccade" else 0.08}
        elif family == "speech":
            rate_hz = float(rng.uniform(3.0, 5.0))
            count = max(1, int(length * rate_hz))
            params = {"rate_hz": rate_hz, **{f"a{i}": float(rng.uniform(0.4, 1.0)) for i in range(count)}}
        elif family == "macro":
            params = {"amplitude_px": float(rng.uniform(2.5, 4.0)), "rise": float(rng.uniform(0.2, 0.35))}
        events.append(DistractorEvent(int(round(t * rate)), int(round((t + length) * rate)), params))
        t += length + float(rng.uniform(*EVENT_EVERY_S[family]))
    return events


def smooth_step(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def hold_level(frame: int, event: DistractorEvent, move: int) -> float:
    """0 -> 1 over `move` frames from the start, held, back to 0 over `move` frames to the end."""
    if frame < event.start or frame > event.end:
        return 0.0
    return min(smooth_step((frame - event.start) / max(move, 1)), smooth_step((event.end - frame) / max(move, 1)))


def bump(frame: int, start: float, end: float) -> float:
    if frame < start or frame > end or end <= start:
        return 0.0
    return float(np.sin(np.pi * (frame - start) / (end - start)) ** 2)


def gaussian(points: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W) sum of unit Gaussians at points, scaled to peak 1."""
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    out = np.zeros((FRAME_HEIGHT, FRAME_WIDTH), np.float32)
    for x, y in points:
        out += np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
    return out / max(float(out.max()), 1e-6)


def eye_inside(landmarks: np.ndarray, feather: float = 1.5) -> np.ndarray:
    """(H, W) weight 1 inside each eye's opening (the hull of its 6 points), feathered."""
    mask = np.zeros((FRAME_HEIGHT, FRAME_WIDTH), np.float32)
    for start in (36, 42):
        hull = cv2.convexHull(np.round(landmarks[start : start + 6]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1.0)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return np.clip(cv2.GaussianBlur(mask, (0, 0), feather) * 1.5, 0, 1)


def slide_field(landmarks: np.ndarray) -> np.ndarray:
    """(H, W, 2) the upper lid and the skin above it slid down by the eye's opening (the eye closed at
    weight 1), the lower lid and everything below it still."""
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    out = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 2), np.float32)
    for start in (36, 42):
        eye = landmarks[start : start + 6]
        top, bottom = float(eye[[1, 2], 1].mean()), float(eye[[4, 5], 1].mean())
        opening = max(bottom - top, 2.0)
        x0, x1 = float(eye[:, 0].min()) - 3, float(eye[:, 0].max()) + 3
        across = np.clip(np.minimum(xs - x0, x1 - xs) / 4.0, 0, 1)  # full width, edges over 4 px
        above = np.clip((ys - (top - 2 * opening)) / (2 * opening), 0, 1)  # the fold slides with the lid
        inside = (ys <= bottom + 1).astype(np.float32)
        out[..., 1] += (opening + 1.0) * across * above * inside
    return out


def blink_shape(impl: str, landmarks: np.ndarray, default_field: np.ndarray) -> list[np.ndarray]:
    """The spatial fields of a blink implementation (weighted by `blink_levels`)."""
    if impl in ("pull", "double"):
        return [default_field * np.float32(1.0 if impl == "pull" else 0.8)]
    slide = slide_field(landmarks)
    if impl == "slide":
        return [slide]
    brows = au_displacement(landmarks, 4, 0.6, 12.0, "")
    return [slide * np.float32(0.6), brows]


def blink_levels(impl: str, frame: int, start: int, end: int) -> float:
    """How far a blink of `impl` is closed at a frame (0 open, 1 its field's full extent)."""
    if frame < start or frame > end:
        return 0.0
    if impl == "double":
        third = (end - start) / 2.6
        return max(bump(frame, start, start + third), bump(frame, end - third, end))
    return bump(frame, start, end)


class MotionDistractor:
    """The displacement fields of a motion family's events (gaze, speech, head, macro) at each frame."""

    def __init__(self, name: str, landmarks: np.ndarray, events: list[DistractorEvent], fps: float):
        self.family, self.impl = parse(name)
        self.events, self.fps = events, fps
        lm = np.asarray(landmarks, np.float32)
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        self.fields: list[np.ndarray] = []
        if self.family == "gaze":
            inside = eye_inside(lm)
            if self.impl == "saccade":
                self.fields = [np.dstack([inside * 3.0, np.zeros_like(inside)])]
            else:
                lids = gaussian(lm[[37, 38, 43, 44]], 5.0)
                self.fields = [np.dstack([np.zeros_like(inside), inside * 2.0 + lids * 2.0])]
        elif self.family == "speech":
            jaw = gaussian(lm[[6, 7, 8, 9, 10, 56, 57, 58]], 22.0)
            corners = gaussian(lm[[48, 54]], 8.0)
            across = np.sign(xs - float(lm[[48, 54], 0].mean())) * corners
            if self.impl == "syllables":
                self.fields = [np.dstack([np.zeros_like(jaw), jaw * 3.0])]
            else:
                self.fields = [np.dstack([across * 2.0, -corners * 0.8]), np.dstack([np.zeros_like(jaw), jaw * 1.0])]
        elif self.family == "head":
            nose = gaussian(lm[[30, 33]], 30.0)
            centre = lm.mean(axis=0)
            depth = HEAD_RADIUS_PX + NOSE_DEPTH_PX * nose
            if self.impl == "turn":  # about the vertical axis: across, the face foreshortened across too
                self.fields = [np.dstack([depth, np.zeros_like(depth)]), np.dstack([xs - centre[0], np.zeros_like(xs)])]
            else:  # about the horizontal axis: down
                self.fields = [np.dstack([np.zeros_like(depth), depth]), np.dstack([np.zeros_like(ys), ys - centre[1]])]
        elif self.family == "macro":
            aus = MACRO_AUS[self.impl]
            self.unit = [sum(au_displacement(lm, au, 1.0, 14.0, "") for au in aus)]

    def displacement(self, frame: int) -> np.ndarray | None:
        total = None
        for event in self.events:
            if frame < event.start or frame > event.end:
                continue
            part = self.event_field(event, frame)
            if part is not None:
                total = part if total is None else total + part
        return total

    def event_field(self, event: DistractorEvent, frame: int) -> np.ndarray | None:
        p = event.params
        if self.family == "gaze":
            level = hold_level(frame, event, int(round(p["move_s"] * self.fps)))
            return self.fields[0] * np.float32(level * (p["sign"] if self.impl == "saccade" else 1.0))
        if self.family == "speech":
            rate = p["rate_hz"] / self.fps  # syllables per frame
            index = int((frame - event.start) * rate)
            amplitude = p.get(f"a{index}", 0.0)
            phase = (frame - event.start) * rate - index
            level = amplitude * float(np.sin(np.pi * phase) ** 2)
            if self.impl == "syllables":
                return self.fields[0] * np.float32(level)
            sign = 1.0 if index % 2 == 0 else -1.0  # spreading, then rounding
            return self.fields[0] * np.float32(level * sign) + self.fields[1] * np.float32(level)
        if self.family == "head":
            level = hold_level(frame, event, int(round(p["move_s"] * self.fps)))
            angle = np.deg2rad(p["degrees"]) * level
            return self.fields[0] * np.float32(np.sin(angle)) + self.fields[1] * np.float32(np.cos(angle) - 1.0)
        if self.family == "macro":
            move = int(round(p["rise"] * (event.end - event.start)))
            return self.unit[0] * np.float32(p["amplitude_px"] * hold_level(frame, event, move))
        return None


class Compression:
    """Every frame re-encoded as a low-bitrate stream would leave it (`compression` family)."""

    def __init__(self, impl: str, rng: np.random.Generator, fps: float):
        self.impl, self.rng, self.fps = impl, rng, fps
        self.quality = int(rng.integers(15, 31))
        self.segment = max(1, int(round(0.5 * fps)))

    def apply(self, frame_number: int, image: np.ndarray) -> np.ndarray:
        if self.impl == "rate" and frame_number % self.segment == 0:
            self.quality = int(self.rng.integers(8, 41))
        if self.impl == "lowres":
            small = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
            image = cv2.resize(small, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
            quality = 40
        else:
            quality = self.quality
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise DistractorError("JPEG encoding failed")
        return cv2.imdecode(data, cv2.IMREAD_COLOR)
