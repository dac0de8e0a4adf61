"""`microau spot-bench`: the figures that choose the spotter's flow method.

1. Known answer: a textured face (the demo's photograph, cut at its face box) shifted by 0.1-1 px
   (cubic interpolation), with sensor noise, reduced to `spotting.face_px` as the spotter reduces
   a frame; each method's median flow over the crop is compared with the true shift there.
2. Cost: compute seconds per minute of video of the whole spotter (decoding, face and landmarks
   every `redetect_s`, flow, regions, peaks) on each given video, for each method.
Settings not varied come from the schema's defaults (`spotting` section).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from microau.config import config_around
from microau.spotting.spotter import FLOW_METHODS, SpotSettings, VideoSource, make_flow, peaks, region_flows, signal

PROG = "microau spot-bench"
SHIFTS_PX = (0.1, 0.25, 0.5, 1.0)
NOISE_SIGMA = 1.5
REPEATS = 5


def default_settings() -> SpotSettings:
    """The schema's spotting section."""
    return SpotSettings(**config_around("bench", {"reader": "casme2", "aus": [1]})["spotting"])


def face_patch() -> np.ndarray:
    """Grey face box (with the spotter's margin) of the demo's first synthetic subject, float32."""
    from microau.datasets.synthetic import SubjectRenderer, plan_subjects
    from microau.preprocess.crop import shared_detector, square_box
    from microau.spotting.spotter import FACE_MARGIN

    frame = SubjectRenderer(plan_subjects(0, 1)[0]).render(None, (0.0, 0.0), 1.0, None)
    detection = shared_detector().detect(frame)
    x, y, side = square_box(detection, FACE_MARGIN, frame.shape[1], frame.shape[0])
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)[y : y + side, x : x + side]


def shift_errors(method: str, face_px: int, seed: int = 0) -> dict[float, tuple[float, float]]:
    """Shift (frame px) -> (mean absolute error of the median flow, in crop px; seconds per flow)."""
    patch = face_patch()
    side = patch.shape[0]
    flow_of = make_flow(method)
    rng = np.random.default_rng(seed)
    out = {}
    for shift in SHIFTS_PX:
        errors, seconds = [], []
        for _ in range(REPEATS):
            moved = cv2.warpAffine(patch, np.float32([[1, 0, shift], [0, 1, 0]]), (side, side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
            a, b = (
                cv2.resize(np.clip(img + rng.normal(0, NOISE_SIGMA, img.shape), 0, 255).astype(np.uint8), (face_px, face_px), interpolation=cv2.INTER_AREA)
                for img in (patch, moved)
            )
            start = time.perf_counter()
            flow = flow_of(a, b)
            seconds.append(time.perf_counter() - start)
            errors.append(abs(float(np.median(flow[8:-8, 8:-8, 0])) - shift * face_px / side))
        out[shift] = (float(np.mean(errors)), float(np.median(seconds)))
    return out


def cost(video: Path, settings: SpotSettings) -> tuple[float, float, float, int]:
    """(wall and CPU seconds per minute of video, the video's fps, spotted micro-expressions). CPU
    time is the process's own: on a shared machine the wall clock also counts other jobs' turns."""
    source = VideoSource(video)
    start, cpu = time.perf_counter(), time.process_time()
    flows = region_flows(source, settings, settings.half_length_s)
    sig = signal(flows, settings, source.fps, source.count)
    found = len(peaks(sig, settings))
    minutes = source.count / source.fps / 60.0
    return (time.perf_counter() - start) / minutes, (time.process_time() - cpu) / minutes, source.fps, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=FLOW_METHODS, default=list(FLOW_METHODS), help="flow methods to compare")
    parser.add_argument("--video", type=Path, nargs="*", default=[], help="long videos to time the spotter on")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1, as a per-video job)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    settings = default_settings()
    print(f"known answer: median flow of a face shifted by d px, reduced to {settings.face_px} px, noise sigma {NOISE_SIGMA}")
    print("method      " + "".join(f"  err@{d:<5}" for d in SHIFTS_PX) + "  ms/flow  (error in crop px; true shift = d x crop/face)")
    for method in args.methods:
        errors = shift_errors(method, settings.face_px)
        print(f"{method:<11} " + "".join(f"  {errors[d][0]:<9.4f}" for d in SHIFTS_PX) + f"  {1000 * np.median([e[1] for e in errors.values()]):.2f}")
    for video in args.video:
        for method in args.methods:
            wall, cpu, fps, found = cost(video, SpotSettings(**{**settings.__dict__, "flow": method}))
            print(
                f"cost {video.name} ({fps:g} fps) {method}: {cpu:.1f} CPU s, {wall:.1f} wall s per minute of video "
                f"({found} spotted)"
            )
    return 0
