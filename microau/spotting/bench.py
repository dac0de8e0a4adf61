"""`microau spot-bench`: the figures that choose the spotter's flow method.

1. Known answer: a textured face (the demo's photograph, cut at its face box) shifted by 0.1-1 px
   (cubic interpolation), with sensor noise, reduced to `spotting.face_px` as the spotter reduces
   a frame; each method's median flow over the crop is compared with the true shift there.
2. Cost: compute seconds per minute of video of the whole spotter (decoding, face and landmarks
   every `redetect_s`, flow, regions, peaks) on each given video, for each method.
3. `--suite DIR ...`: synthetic long-video sets (`microau synthesize-long` folders) spotted, each
   video by one `microau spot` process (its CPU, start-up included, from the children's resource
   usage; `--spot-pythonpath` runs another copy of the package, e.g. a baseline), and scored per set
   as MEGC scores spotting (IoU >= 0.5): micro precision, recall and F1, macro F1 where the set holds
   macro-expressions, overall F1 (both kinds' counts pooled), false positives per minute and on
   blinks, recall per AU group and place against its blink, CPU seconds per minute of video.
Settings not varied come from the schema's defaults (`spotting` section).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from microau.io.intervals import read_intervals
from microau.plan.config import SCHEMA_PATH, load_config, load_schema
from microau.preprocess.video import VideoSource, VideoWriter
from microau.spotting.scoring import f1_parts, matched_pairs
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


SPOT_CODE = "import sys; from microau.cli import main; sys.exit(main(sys.argv[1:]))"


def spot_set(root: Path, out: Path, kinds: list[str], pythonpath: str | None = None) -> dict[str, float]:
    """Spot every video of a synthesize-long folder, one `microau spot` process each (the schema's
    defaults), into out/<video>.csv; returns video -> CPU seconds (user + sys of the process)."""
    record = json.loads((root / "synthesis.json").read_text())
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    out.mkdir(parents=True, exist_ok=True)
    empty = out / "empty.yaml"
    empty.write_text("")
    seconds = {}
    for video in record["videos"]:
        name = video["subject"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [
                sys.executable,
                "-c",
                SPOT_CODE,
                "spot",
                "--video",
                str(root / "videos" / f"{name}.avi"),
                "--name",
                name,
                "--subject",
                name,
                "--config",
                str(empty),
                "--kinds",
                *kinds,
                "--quiet",
                "--out",
                str(out / f"{name}.csv"),
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds[name] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (out / "cpu.json").write_text(json.dumps(seconds, indent=1) + "\n")
    return seconds


def au_group(aus: list[int], place: str) -> str:
    name = "AU" + "+".join(str(a) for a in aus)
    return f"{name} ({place})" if place else name


def score_set(root: Path, spotted_dir: Path) -> dict[str, object]:
    """A set's figures (see the module's docstring, 3) from its truth and out/<video>.csv."""
    record = json.loads((root / "synthesis.json").read_text())
    truth = read_intervals(root / "truth.csv")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    minutes = fp_micro = fp_blinks = 0.0
    cpu = json.loads((spotted_dir / "cpu.json").read_text()) if (spotted_dir / "cpu.json").exists() else {}
    for video in record["videos"]:
        name = video["subject"]
        minutes += video["frames"] / video["fps"] / 60.0
        found = read_intervals(spotted_dir / f"{name}.csv")
        events = {(e["onset"], e["offset"]): e for e in video["expressions"]}
        blinks = [(b["start"], b["end"]) for b in video["blinks"]]
        for kind in ("micro", "macro"):
            s = [i for i in found if i.kind == kind]
            t = [i for i in truth if i.video == name and i.kind == kind]
            pairs = matched_pairs(s, t)
            c = counts[kind]
            c[0], c[1], c[2] = c[0] + len(pairs), c[1] + len(s) - len(pairs), c[2] + len(t) - len(pairs)
            hit_s = {i for i, _ in pairs}
            for i, interval in enumerate(s):
                if i not in hit_s and kind == "micro":
                    fp_micro += 1
                    if any(interval.onset <= b and a <= interval.offset for a, b in blinks):
                        fp_blinks += 1
            if kind == "micro":
                hit_t = {j for _, j in pairs}
                for j, interval in enumerate(t):
                    event = events.get((interval.onset, interval.offset), {})
                    g = groups[au_group(event.get("aus", []), event.get("blink", ""))]
                    g[0] += j in hit_t
                    g[1] += 1
    out: dict[str, object] = {"set": root.name, "minutes": round(minutes, 3), "videos": len(record["videos"])}
    for kind in ("micro", "macro"):
        tp, fp, fn = counts[kind]
        if tp + fp + fn == 0:
            continue
        p, r, f = (float(x) for x in f1_parts(tp, fp, fn))
        out[kind] = {
            "truth": tp + fn,
            "spotted": tp + fp,
            "TP": tp,
            "P": round(p, 3),
            "R": round(r, 3),
            "F1": round(f, 3),
        }
    pooled = [counts["micro"][i] + counts["macro"][i] for i in range(3)]
    out["overall_F1"] = round(float(f1_parts(*pooled)[2]), 3)
    all_fp = counts["micro"][1] + counts["macro"][1]
    out["FP_per_min"] = round(all_fp / minutes, 2)
    out["micro_FP_per_min"] = round(fp_micro / minutes, 2)
    out["micro_FP_on_blinks"] = int(fp_blinks)
    out["groups"] = {g: f"{h}/{n}" for g, (h, n) in sorted(groups.items())}
    if cpu:
        out["CPU_s_per_min"] = round(sum(cpu.values()) / minutes, 2)
    return out


def suite(roots: list[Path], out: Path, kinds: list[str], pythonpath: str | None, spot: bool) -> list[dict]:
    rows = []
    for root in roots:
        if spot:
            spot_set(root, out / root.name, kinds, pythonpath)
        rows.append(score_set(root, out / root.name))
        print(json.dumps(rows[-1]), flush=True)
    (out / "suite.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


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
    parser.add_argument("--suite", type=Path, nargs="+", help="synthesize-long folders to spot and score (3 above)")
    parser.add_argument("--out", type=Path, help="with --suite: folder of the spotted intervals and suite.json")
    parser.add_argument("--kinds", nargs="+", default=["micro", "macro"], help="with --suite: kinds spotted")
    parser.add_argument("--spot-pythonpath", help="with --suite: PYTHONPATH of the spotting processes")
    parser.add_argument("--score-only", action="store_true", help="with --suite: score what --out holds")
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    if args.suite:
        if not args.out:
            parser.error("--suite needs --out")
        suite(args.suite, args.out, args.kinds, args.spot_pythonpath, not args.score_only)
        return 0
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
