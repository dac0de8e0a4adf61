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

from microau.plan.config import SCHEMA_PATH, load_config, load_schema
from microau.preprocess.video import VideoSource, VideoWriter
from microau.spotting.spotter import FLOW_METHODS, SpotSettings, make_flow, peaks, region_flows, signal

PROG = "microau spot-bench"
SHIFTS_PX = (0.1, 0.25, 0.5, 1.0)
NOISE_SIGMA = 1.5
REPEATS = 5


def default_settings() -> SpotSettings:
    """The schema's spotting section."""
    return SpotSettings(**load_config({"targets": []}, load_schema(SCHEMA_PATH))["spotting"])


def face_patch() -> np.ndarray:
    """Grey face box (with the spotter's margin) of the demo's first synthetic subject, float32."""
    from microau.datasets.generators.synthetic import SubjectRenderer, plan_subjects
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
            moved = cv2.warpAffine(
                patch,
                np.float32([[1, 0, shift], [0, 1, 0]]),
                (side, side),
                flags=cv2.INTER_CUBIC,
                borderMode=cv2.BORDER_REFLECT,
            )
            a, b = (
                cv2.resize(
                    np.clip(img + rng.normal(0, NOISE_SIGMA, img.shape), 0, 255).astype(np.uint8),
                    (face_px, face_px),
                    interpolation=cv2.INTER_AREA,
                )
                for img in (patch, moved)
            )
            start = time.perf_counter()
            flow = flow_of(a, b)
            seconds.append(time.perf_counter() - start)
            errors.append(abs(float(np.median(flow[8:-8, 8:-8, 0])) - shift * face_px / side))
        out[shift] = (float(np.mean(errors)), float(np.median(seconds)))
    return out


def photo_video(photo: Path, out: Path, fps: float, seconds: float, seed: int = 0) -> None:
    """A neutral video of a real photograph (no expression): slow head drift (+-3 px, +-1 degree,
    periods of 6-15 s), flicker and sensor noise, MJPG in a 640x480 frame. A face not made by the
    synthetic generator, for the false-positive rate per minute."""
    from microau.preprocess.images import read_image

    image = read_image(photo).astype(np.float32)
    scale = min(640 / image.shape[1], 480 / image.shape[0])
    rng = np.random.default_rng(seed)
    periods = rng.uniform(6, 15, size=3) * fps
    phases = rng.uniform(0, 2 * np.pi, size=3)
    noise = rng.normal(0, NOISE_SIGMA, (8, 480, 640, 3)).astype(np.float32)
    writer = VideoWriter(out, fps, (640, 480))
    for n in range(int(seconds * fps)):
        dx, dy, angle = (amp * np.sin(2 * np.pi * n / periods[i] + phases[i]) for i, amp in enumerate((3.0, 3.0, 1.0)))
        matrix = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), angle, scale)
        matrix[:, 2] += (320 - scale * image.shape[1] / 2 + dx, 240 - scale * image.shape[0] / 2 + dy)
        frame = cv2.warpAffine(image, matrix, (640, 480), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        frame = frame * np.float32(1 + rng.uniform(-0.01, 0.01)) + noise[n % 8]
        writer.write(np.clip(frame + 0.5, 0, 255).astype(np.uint8))
    writer.close()


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
    parser.add_argument(
        "--methods", nargs="+", choices=FLOW_METHODS, default=list(FLOW_METHODS), help="flow methods to compare"
    )
    parser.add_argument("--video", type=Path, nargs="*", default=[], help="long videos to time the spotter on")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1, as a per-video job)")
    parser.add_argument(
        "--photo-video",
        nargs=2,
        type=Path,
        metavar=("PHOTO", "OUT"),
        help="first write a 60-s neutral 30-fps video of a real photograph with slow head motion to OUT",
    )
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    if args.photo_video:
        photo_video(*args.photo_video, fps=30.0, seconds=60.0)
        print(f"wrote {args.photo_video[1]}: 60 s at 30 fps of {args.photo_video[0]}, slow head motion, no expression")
    settings = default_settings()
    print(
        f"known answer: median flow of a face shifted by d px, reduced to {settings.face_px} px, noise sigma "
        f"{NOISE_SIGMA}"
    )
    print(
        "method      "
        + "".join(f"  err@{d:<5}" for d in SHIFTS_PX)
        + "  ms/flow  (error in crop px; true shift = d x crop/face)"
    )
    for method in args.methods:
        errors = shift_errors(method, settings.face_px)
        print(
            f"{method:<11} "
            + "".join(f"  {errors[d][0]:<9.4f}" for d in SHIFTS_PX)
            + f"  {1000 * np.median([e[1] for e in errors.values()]):.2f}"
        )
    for video in args.video:
        for method in args.methods:
            wall, cpu, fps, found = cost(video, SpotSettings(**{**settings.__dict__, "flow": method}))
            print(
                f"cost {video.name} ({fps:g} fps) {method}: {cpu:.1f} CPU s, {wall:.1f} wall s per minute of video "
                f"({found} spotted)"
            )
    return 0
