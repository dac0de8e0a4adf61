"""`microau bench`: measured costs of every stage, in one process and one run.

Writes JSON files under --out: preprocessing time per sample and stage, TV-L1's error and seconds
per real pair for each setting tried (`microau.bench.flow_warps`), a cached training step against
the naive one (the same model re-running its frozen visual and text blocks every step) and in each
precision the device has, the bytes of review pages alone and sharing plotly's script, peak memory
of a training job, HDF5 cache size per sample, and, where CUDA is available, the wall time of a
CASME II-sized LOSO run (26 subjects, 255 samples, 80 epochs, batch 8).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import platform
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from microau.datasets.index import IndexResult

from microau.io.atomic import atomic_open
from microau.version import __version__

BENCH_DATASET = "bench"
BENCH_AUS = [1, 2, 4, 7, 12, 14, 15, 17]
PARTS = ("real_faces", "tvl1", "pages", "synthetic")
"""Clips of real photographs step by step, TV-L1's settings on the known answer of real faces, review
pages' bytes, and the rest (synthetic preprocessing, features, training step by precision, memory,
LOSO)."""


def _now() -> float:
    return time.perf_counter()


def bench_config() -> dict:
    """The schema's defaults around one dataset of CASME II's AUs: the settings the bench times,
    so a changed default is measured without editing the bench."""
    from microau.datasets.generators.synthetic import emotion_classes
    from microau.plan.config import config_around

    entry = {"reader": "casme2", "generated": True, "aus": BENCH_AUS, "class3": emotion_classes("casme2")}
    return config_around(BENCH_DATASET, entry)


def bench_train_settings(config: dict, **changes: object) -> dict:
    """Every TrainSettings field of the main variant on the bench dataset, with `changes` applied."""
    from microau.plan.workflow import train_settings

    return {**train_settings(config, BENCH_DATASET, config["variant"], config["train"]["seed"]), **changes}


def bench_model_options(config: dict):
    from microau.model.micro_au_clip import ModelOptions
    from microau.plan.workflow import model_options

    return ModelOptions(**model_options(config, BENCH_DATASET, config["variant"]))


def synthesized_index(work: Path, config: dict, subjects: int, per_subject: int) -> tuple[IndexResult, float]:
    """The bench's synthetic release written under `work` and indexed with the demo's reader; the
    index and the synthesis seconds."""
    from microau.datasets import build_index
    from microau.datasets.generators.synthetic import synthesize

    start = _now()
    synthesize(
        work / "release", seed=config["synthetic"]["seed"], subjects=subjects, per_subject=per_subject, threads=1
    )
    synth_seconds = _now() - start
    dataset = config["datasets"][BENCH_DATASET]
    index = build_index(
        BENCH_DATASET,
        dataset["reader"],
        work / "release",
        frames_layout=dataset["frames_layout"],
        missing_apex=config["frames"]["missing_apex"],
        aus=dataset["aus"],
        class3=dataset["class3"],
    )
    return index, synth_seconds


def time_sample(
    row: tuple, work: Path, preprocess: dict, methods: dict[str, list[str]], times: dict[str, list[float]]
) -> None:
    """One sample's stages timed into `times`: the crop, then each magnification method with the
    flow after it and each landmark method; the default methods' outputs written under `work`."""
    from microau.io.landmarks_csv import write_landmarks
    from microau.preprocess.crop import crop_face_box, crop_pair
    from microau.preprocess.flow import Tvl1, flow_of_pair
    from microau.preprocess.images import write_image
    from microau.preprocess.landmarks import flow_image_landmarks
    from microau.preprocess.magnify import magnify_pair

    frames, magnify, flow = (preprocess[section] for section in ("frames", "magnify", "flow"))
    size = flow["image_size"]
    t0 = _now()
    onset, apex, info = crop_pair(
        row.sample, Path(row.onset_path), Path(row.apex_path), frames["size"], frames["margin"]
    )
    times["frames"].append(_now() - t0)
    face = crop_face_box(info)
    for method in methods["magnify"]:
        t0 = _now()
        magnified = magnify_pair(onset, apex, magnify["factor"], magnify["levels"], method)
        t1 = _now()
        *_, image = flow_of_pair(
            onset, magnified, flow["subtract_median"], size, flow["third_channel"], flow["clip_px"], Tvl1.of(flow)
        )
        t2 = _now()
        times.setdefault(f"magnify[{method}]", []).append(t1 - t0)
        times.setdefault(f"flow[after {method}]", []).append(t2 - t1)
        if method == magnify["method"]:
            write_image(work / "flow" / f"{row.sample}.png", image[:, :, ::-1])
    for method in methods["landmarks"]:
        t0 = _now()
        points = flow_image_landmarks(apex, method, face, size, name=row.sample)
        times.setdefault(f"landmarks[{method}]", []).append(_now() - t0)
        if method == preprocess["landmarks"]["method"]:
            write_landmarks(work / "landmarks" / f"{row.sample}.csv", points)


def bench_preprocess(work: Path, subjects: int, per_subject: int) -> tuple[dict, Path]:
    """Per-sample seconds of each preprocessing stage with the default settings, each step the
    function its stage command runs (`microau.preprocess.chain`), in-process, models built once beforehand, on one
    OpenCV thread as in each pipeline job (so the figure is per core);
    the other magnification and landmark methods are timed on the same crops beside them."""
    import cv2

    from microau.io.sample_table import write_table
    from microau.plan.workflow import preprocess_settings
    from microau.preprocess import landmarks as landmark_methods
    from microau.preprocess import magnify as magnify_methods
    from microau.preprocess.crop import shared_detector
    from microau.preprocess.landmarks import shared_mesh, shared_shape_predictor

    config = bench_config()
    preprocess = preprocess_settings(config)
    magnify = preprocess["magnify"]
    landmark_method = preprocess["landmarks"]["method"]
    others = (m for m in magnify_methods.METHODS if m not in (magnify["method"], "none"))
    methods = {
        "magnify": [magnify["method"], *others],
        "landmarks": [landmark_method, *(m for m in landmark_methods.installed_methods() if m != landmark_method)],
    }
    cv2.setNumThreads(1)
    index, synth_seconds = synthesized_index(work, config, subjects, per_subject)
    samples_tsv = work / "samples.tsv"
    write_table(index.samples, samples_tsv)
    shared_detector(), shared_shape_predictor()
    if "mediapipe" in methods["landmarks"]:
        shared_mesh()
    times: dict[str, list[float]] = {"frames": []}
    (work / "flow").mkdir()
    (work / "landmarks").mkdir()
    for row in index.samples.itertuples():
        time_sample(row, work, preprocess, methods, times)
    per_sample = {stage: statistics.mean(values) for stage, values in times.items()}
    core_seconds = (
        per_sample[f"magnify[{magnify['method']}]"]
        + per_sample[f"flow[after {magnify['method']}]"]
        + per_sample[f"landmarks[{landmark_method}]"]
    )
    result = {
        "samples": len(index.samples),
        "synthesis_seconds": synth_seconds,
        "default_methods": {"magnify": magnify["method"], "landmarks": landmark_method},
        "landmark_methods_timed": methods["landmarks"],
        "seconds_per_sample": per_sample,
        "magnify_flow_landmarks_seconds_per_sample": core_seconds,
        "target": "magnify + flow + landmarks (default methods) under 1 s per sample per core",
        "opencv_threads": 1,
        "note": "in-process; each Snakemake job also pays about 0.5 s of process start-up",
    }
    return result, samples_tsv


def bench_real_faces(work: Path, count: int) -> dict:
    """Per-clip seconds of each step before the model (`microau.preprocess.chain.STEPS`) on clips of real
    photographs (`microau.bench.photo_clips`: 640x360 MJPG video, apex not given), through
    `microau.inference.analyse.prepare_clip` as `microau analyse` runs it, on one OpenCV thread; and how far
    the apex search lands from the known apex."""
    import cv2

    from microau.bench.photo_clips import photo_clips
    from microau.inference.analyse import Clip, prepare_clip
    from microau.plan.workflow import preprocess_settings
    from microau.preprocess.chain import STEPS
    from microau.preprocess.crop import shared_detector
    from microau.preprocess.landmarks import shared_shape_predictor
    from microau.preprocess.video import write_video

    cv2.setNumThreads(1)
    settings = preprocess_settings(bench_config())
    clips = photo_clips(count)
    shared_detector(), shared_shape_predictor()
    steps: dict[str, list[float]] = {}
    apex_errors, frames = [], []
    for clip in clips:
        path = write_video(work / "real_faces" / f"{clip.name}.avi", clip.frames, 30.0)
        prepared = prepare_clip((Clip(clip.name, path), settings))
        if prepared.pair is None:
            raise RuntimeError(f"{clip.name}: {prepared.status}")
        for step, seconds in (prepared.seconds | prepared.pair.seconds).items():
            steps.setdefault(step, []).append(seconds)
        apex_errors.append(abs(int(prepared.row["apex"]) - clip.apex))
        frames.append(len(clip.frames))
    per_clip = {step: statistics.mean(steps[step]) for step in STEPS if step in steps}
    return {
        "clips": len(clips),
        "frames_per_clip_mean": statistics.mean(frames),
        "frame_size": [640, 360],
        "source": "microau.bench.photo_clips: skimage's astronaut and matplotlib's grace_hopper.jpg, "
        "brows or mouth moved",
        "seconds_per_clip": per_clip,
        "seconds_per_clip_total": sum(per_clip.values()),
        "apex_error_frames_mean": statistics.mean(apex_errors),
        "apex_error_frames_max": max(apex_errors),
        "opencv_threads": 1,
        "note": "the model's step is not here: `microau analyse` prints it per run",
    }


TVL1_TRIALS = {
    "scales 3": {"scales": 3},
    "scales 1": {"scales": 1},
    "warps 2": {"warps": 2},
    "warps 1": {"warps": 1},
    "epsilon 0.02": {"epsilon": 0.02},
    "epsilon 0.05": {"epsilon": 0.05},
    "inner iterations 15": {"inner_iterations": 15},
    "outer iterations 3": {"outer_iterations": 3},
    "size 224": {"size": 224},
    "size 192": {"size": 192},
    "size 128": {"size": 128},
    "scales 3, warps 1": {"scales": 3, "warps": 1},
    "scales 1, warps 2": {"scales": 1, "warps": 2},
    "epsilon 0.02, scales 2": {"epsilon": 0.02, "scales": 2},
    "warps 1, size 224": {"warps": 1, "size": 224},
    "warps 2, size 208": {"warps": 2, "size": 208},
    "warps 2, size 192": {"warps": 2, "size": 192},
    "warps 2, size 224": {"warps": 2, "size": 224},
    "start dis, size 224": {"start": "dis", "size": 224},
    "start dis, scales 1, warps 1, size 224": {"start": "dis", "scales": 1, "warps": 1, "size": 224},
    "start dis, scales 1, warps 2, size 224": {"start": "dis", "scales": 1, "warps": 2, "size": 224},
    "start dis, scales 2, warps 1, size 224": {"start": "dis", "scales": 2, "warps": 1, "size": 224},
    "start dis, scales 2, warps 2, size 224": {"start": "dis", "scales": 2, "warps": 2, "size": 224},
    "start dis, scales 1, warps 2": {"start": "dis", "scales": 1, "warps": 2},
}
"""TV-L1 settings the bench tries beside OpenCV's defaults and the config's, each a change of OpenCV's
defaults (`microau.preprocess.flow.OPENCV_DEFAULTS`): the single changes and the cheapest combinations
of the choices in docs/performance.md."""
TVL1_HELD_OUT = ("warps 2, size 224", "start dis, scales 1, warps 2, size 224")
"""The settings chosen on the development cases, scored on the held-out ones beside OpenCV's defaults
and the config's (docs/performance.md)."""


def bench_tvl1(work: Path, photos: Path | None, held_out: bool) -> dict:
    """TV-L1 on the known answer of `microau.bench.flow_warps` (real face photographs warped by known
    sub-pixel fields, through the pipeline's crop and magnification): per setting, the mean end-point
    errors and the CPU seconds of one pair on one OpenCV thread, over the development cases and, with
    `held_out`, for OpenCV's defaults and the config's over the held-out cases too. Without `photos`
    (face_recognition's tests/test_images) only the cases of the photographs `photo_clips` ships run;
    the MJPG clips of `photo_clips` (`flow_warps.clip_pairs`) are development pairs too."""
    import dataclasses

    import cv2

    from microau.bench.flow_warps import (
        DEVELOPMENT,
        FACE_RECOGNITION_PHOTOS,
        HELD_OUT,
        clip_pairs,
        known_pair,
        score,
    )
    from microau.plan.workflow import preprocess_settings
    from microau.preprocess.flow import OPENCV_DEFAULTS, Tvl1

    cv2.setNumThreads(1)
    settings = preprocess_settings(bench_config())
    configured = Tvl1.of(settings["flow"])
    factor = settings["magnify"]["factor"] if settings["magnify"]["method"] != "none" else 1.0
    trials = {"OpenCV's defaults": OPENCV_DEFAULTS, "the config's": configured}
    trials |= {name: dataclasses.replace(OPENCV_DEFAULTS, **change) for name, change in TVL1_TRIALS.items()}
    keys = ("raw_epe_moving_px", "raw_epe_crop_px", "magnified_epe_moving_px", "magnified_epe_crop_px", "cpu_seconds")

    def usable(cases: tuple) -> list:
        return [case for case in cases if photos is not None or case.photo not in FACE_RECOGNITION_PHOTOS]

    def run(pairs: list, tried: dict) -> dict:
        """Each setting's mean scores over `pairs` (none without the photographs: an empty record)."""
        if not pairs:
            return {}
        scores: dict[str, list[dict]] = {name: [] for name in tried}
        for pair in pairs:
            for name, tvl1 in tried.items():
                scores[name].append(score(pair, tvl1, factor))
        base = scores["OpenCV's defaults"]
        return {
            name: {
                "settings": dataclasses.asdict(tried[name]),
                **{key: statistics.mean(row[key] for row in rows) for key in keys},
                "cpu_ratio_to_opencv_defaults": sum(row["cpu_seconds"] for row in rows)
                / sum(row["cpu_seconds"] for row in base),
            }
            for name, rows in scores.items()
        }

    def known(cases: list) -> list:
        return [known_pair(case, settings, photos, seed=index) for index, case in enumerate(cases)]

    development = usable(DEVELOPMENT)
    clips = clip_pairs(settings, work / "tvl1_clips")
    result = {
        "development_cases": [case.name for case in development],
        "development": run(known(development), trials),
        "development_clips": [pair.case.name for pair in clips],
        "development_clip_pairs": run(clips, trials),
        "magnification_factor": factor,
        "error": "mean end-point error (crop px, medians subtracted) where the known field moves over 0.25 px "
        "(raw pair) or factor x 0.25 px (magnified pair, against factor x field), and over the crop",
        "seconds": "CPU seconds of TV-L1 on the magnified pair (what the flow stage computes), one OpenCV thread",
    }
    if held_out:
        cases = usable(HELD_OUT)
        chosen = {name: trials[name] for name in ("OpenCV's defaults", "the config's", *TVL1_HELD_OUT)}
        result |= {"held_out_cases": [case.name for case in cases], "held_out": run(known(cases), chosen)}
    return result


def bench_pages(work: Path, pages: int) -> dict:
    """Bytes of `pages` review pages (`microau.inference.review`, no entries: the script dominates)
    written each carrying plotly's script, and written into one folder sharing one copy."""
    from microau.inference.review import ReviewPage

    alone, shared = work / "pages_alone", work / "pages_shared"
    for number in range(pages):
        page = ReviewPage(f"bench page {number}", None)
        page.write(alone / f"page{number}.html")
        page.write(shared / f"page{number}.html", share_script=True)

    def size(folder: Path) -> int:
        return sum(path.stat().st_size for path in folder.iterdir())

    return {
        "pages": pages,
        "self_contained_bytes": size(alone),
        "shared_script_bytes": size(shared),
        "files_shared": sorted(path.name for path in shared.iterdir()),
        "note": "pages without entries; each entry adds its images (JPEG data URIs) to either kind alike",
    }


def bench_features(work: Path, samples_tsv: Path, model: str) -> dict:
    import torch

    from microau.model.features import ClipSpec, build_cache

    config = bench_config()
    out = work / "features.h5"
    start = _now()
    n = build_cache(
        samples_tsv,
        work / "flow",
        work / "landmarks",
        ClipSpec(model, "none"),
        config["clip"]["trainable_blocks"],
        config["datasets"][BENCH_DATASET]["aus"],
        "bench",
        out,
        torch.device("cpu"),
    )
    seconds = _now() - start
    return {
        "samples": n,
        "seconds_per_sample": seconds / n,
        "bytes_per_sample": out.stat().st_size / n,
        "note": "includes building the CLIP model once",
    }


def _training_step_factory(model_name: str, batch: int, device: str):
    """Step functions over the same model and batch: cached states (by precision) vs re-running frozen blocks."""
    import open_clip
    import torch

    from microau.aus import AU_PROMPTS
    from microau.model.device import autocast
    from microau.model.features import ClipSpec, frozen_visual_states, load_clip
    from microau.model.losses import contrastive_loss, gd_loss, multitask_loss
    from microau.model.micro_au_clip import MicroAUCLIP
    from microau.model.temperature import initial_logit_scale
    from microau.model.text import frozen_text_states
    from microau.training.settings import CONTRASTIVE

    config = bench_config()
    settings = bench_train_settings(config)
    aus = config["datasets"][BENCH_DATASET]["aus"]
    k = config["clip"]["trainable_blocks"]
    clip = load_clip(ClipSpec(model_name, "none")).to(device)
    tokenizer = open_clip.get_tokenizer(model_name)
    prompts = [AU_PROMPTS[au][side] for au in aus for side in (1, 0)]
    torch.manual_seed(0)
    model = MicroAUCLIP(clip, len(aus), k, bench_model_options(config)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings["lr_encoder"], momentum=settings["momentum"])
    images = torch.randn(batch, 3, 224, 224, device=device)
    au_tokens = torch.randint(1, 50, (batch, len(aus), 6), device=device)
    labels = torch.randint(0, 2, (batch, len(aus)), device=device)
    cached_states = frozen_visual_states(clip, images, k).detach()
    cached_text = {key: value.to(device) for key, value in frozen_text_states(clip, tokenizer, prompts, k).items()}
    prompt_tokens = tokenizer(prompts).to(device)
    temperature = math.exp(-initial_logit_scale(settings["temperature"], float(clip.logit_scale.detach())))

    def step(states, text_frozen, precision: str = "fp32") -> None:
        with autocast(torch.device(device), precision):
            out = model(states, au_tokens)
            text = model.encode_texts(text_frozen).view(len(aus), 2, -1)
            contrastive = contrastive_loss(
                out["features"].float(),
                text.float(),
                labels,
                temperature,
                CONTRASTIVE[settings["contrastive"]],
                settings["label_matrix_target"],
            )
            loss = (
                multitask_loss(out["logits"].float(), labels)
                + settings["alpha"] * contrastive
                + settings["beta"] * gd_loss(out["dependency"].float(), labels)
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def naive_text_states() -> dict:
        """The frozen text blocks over the full 77-token context, as a plain pipeline would."""
        x = clip.token_embedding(prompt_tokens) + clip.positional_embedding
        blocks = clip.transformer.resblocks
        for block in blocks[: len(blocks) - k]:
            x = block(x, attn_mask=clip.attn_mask)
        return {"states": x, "mask": clip.attn_mask, "end": prompt_tokens.argmax(dim=-1)}

    def cached(precision: str = "fp32") -> None:
        step(cached_states.float(), cached_text, precision)

    def naive() -> None:
        with torch.no_grad():
            states = frozen_visual_states(clip, images, k)
            text_frozen = naive_text_states()
        step(states, text_frozen)

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    return cached, naive, sync


def bench_training_step(model_name: str, batch: int, steps: int, device: str) -> dict:
    """Median seconds of the cached step and the naive one in fp32, and of the cached step in each
    precision the device has (`microau.model.device`), interleaved step by step so that a shared
    machine's load falls on each alike."""
    import torch

    from microau.model.device import PRECISIONS, PrecisionError, check_precision

    cached, naive, sync = _training_step_factory(model_name, batch, device)
    timings = {}
    for name, step in (("cached", cached), ("naive", naive)):
        step()
        sync()
        samples = []
        for _ in range(steps):
            start = _now()
            step()
            sync()
            samples.append(_now() - start)
        timings[name] = statistics.median(samples)
    precisions = []
    for precision in PRECISIONS:
        try:
            check_precision(torch.device(device), precision)
        except PrecisionError:
            continue
        precisions.append(precision)
        cached(precision)
        sync()
    wall: dict[str, list[float]] = {precision: [] for precision in precisions}
    cpu: dict[str, list[float]] = {precision: [] for precision in precisions}
    for _ in range(steps):
        for precision in precisions:
            start, start_cpu = _now(), time.process_time()
            cached(precision)
            sync()
            wall[precision].append(_now() - start)
            cpu[precision].append(time.process_time() - start_cpu)
    step_seconds = {precision: statistics.median(samples) for precision, samples in wall.items()}
    step_cpu = {precision: statistics.median(samples) for precision, samples in cpu.items()}
    return {
        "cached_step_seconds_by_precision": step_seconds,
        "cached_step_cpu_seconds_by_precision": step_cpu,
        "speedup_over_fp32": {precision: step_seconds["fp32"] / seconds for precision, seconds in step_seconds.items()},
        "cpu_speedup_over_fp32": {precision: step_cpu["fp32"] / seconds for precision, seconds in step_cpu.items()},
        "precision_note": "CPU seconds (every thread of this process) are the measure on a shared machine; wall "
        "seconds an upper bound",
        "model": model_name,
        "batch": batch,
        "device": device,
        "steps_timed": steps,
        "cached_step_seconds": timings["cached"],
        "naive_step_seconds": timings["naive"],
        "speedup": timings["naive"] / timings["cached"],
        "naive_means": "same model and batch, frozen visual and text blocks re-run under no_grad every step",
        "target": "cached step at least 2x faster than naive",
    }


def _train_child(cache: str, out_dir: str, queue) -> None:
    from microau.io.feature_cache import read_cache
    from microau.model.device import claimed_device
    from microau.training.run import train_fold
    from microau.training.settings import TrainingJob, TrainSettings

    held_out = read_cache(Path(cache)).subjects[0]
    config = bench_config()
    settings = TrainSettings(**bench_train_settings(config, epochs=2, lr_drop_epoch=1))
    start = _now()
    with claimed_device("auto") as device:
        train_fold(
            Path(cache),
            held_out,
            TrainingJob(
                settings,
                bench_model_options(config),
                Path(out_dir),
                device,
                config["train"]["checkpoint_seconds"],
                log=lambda m: None,
            ),
        )
    queue.put((_now() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))


def bench_training_memory(cache: Path, work: Path) -> dict:
    """Peak resident memory of one training fold, measured in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_train_child, args=(str(cache), str(work / "fold"), queue))
    process.start()
    seconds, peak = queue.get()
    process.join()
    return {"epochs": 2, "seconds": seconds, "peak_rss_bytes": peak, "peak_rss_mb": peak / 2**20}


def write_fake_cache(path: Path, model: str, subjects: int, per_subject: int, seed: int = 0) -> Path:
    """A feature cache of the right shapes with random states, for timing LOSO at any size."""
    from microau.io.feature_cache import FeatureCache, write_cache
    from microau.model.features import ClipSpec, load_clip, patch_grid, weights_id

    config = bench_config()
    spec = ClipSpec(model, "none")
    clip = load_clip(spec)
    rng = np.random.default_rng(seed)
    n = subjects * per_subject
    tokens_count = 1 + patch_grid(clip)[0] * patch_grid(clip)[1]
    width = clip.visual.transformer.width
    aus = config["datasets"][BENCH_DATASET]["aus"]
    au_tokens = rng.integers(1, tokens_count, (n, len(aus), 6))
    au_tokens[:, :, 4:] = -1
    tokens = rng.standard_normal((n, tokens_count, width)).astype(np.float16)
    labels = rng.integers(0, 2, (n, len(aus))).astype(np.uint8)
    subject_names = [f"sub{s + 1:02d}" for s in range(subjects) for _ in range(per_subject)]
    cache = FeatureCache(
        tokens=tokens,
        au_tokens=au_tokens,
        labels=labels,
        subjects=subject_names,
        samples=[f"{s}_{i}" for i, s in enumerate(subject_names)],
        class3=["negative"] * n,
        encoder=model,
        pretrained="none",
        weights=weights_id(spec),
        k=config["clip"]["trainable_blocks"],
        aus=aus,
        grid=patch_grid(clip),
        image_size=224,
        config_hash="bench",
    )
    write_cache(path, cache)
    return path


class _GpuSampler:
    """Polls nvidia-smi for utilisation while the LOSO run goes on."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                out = subprocess.run(
                    ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout
                self.samples.append(float(out.split()[0]))
            except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
                return

    def __enter__(self) -> _GpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bench_loso(work: Path, model: str, subjects: int, per_subject: int, epochs: int, device: str) -> dict:
    """Wall time of every LOSO fold in sequence, as one GPU would run them."""
    import torch

    from microau.training.run import train_fold
    from microau.training.settings import TrainingJob, TrainSettings

    config = bench_config()
    cache = write_fake_cache(work / "loso.h5", model, subjects, per_subject)
    settings = TrainSettings(**bench_train_settings(config, epochs=epochs, lr_drop_epoch=max(1, epochs // 2)))
    options = bench_model_options(config)
    start = _now()
    with _GpuSampler() as sampler:
        for s in range(subjects):
            train_fold(
                cache,
                f"sub{s + 1:02d}",
                TrainingJob(
                    settings,
                    options,
                    work / "loso" / str(s),
                    torch.device(device),
                    config["train"]["checkpoint_seconds"],
                    log=lambda m: None,
                ),
            )
    seconds = _now() - start
    return {
        "subjects": subjects,
        "samples": subjects * per_subject,
        "epochs": epochs,
        "batch": settings.batch_size,
        "device": device,
        "wall_seconds": seconds,
        "seconds_per_fold": seconds / subjects,
        "gpu_utilisation_mean_percent": statistics.mean(sampler.samples) if sampler.samples else None,
    }


def write_json(path: Path, record: dict) -> None:
    record = {**record, "host": platform.node(), "python": platform.python_version(), "microau": __version__}
    with atomic_open(path) as handle:
        handle.write(json.dumps(record, indent=2) + "\n")
    print(f"{path}: {json.dumps(record)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="microau bench", description="measure stage and training costs")
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    parser.add_argument("--model", help="open_clip model (default: the config schema's clip.model)")
    parser.add_argument("--subject-count", type=int, default=2, help="synthetic subjects for the preprocessing bench")
    parser.add_argument("--samples-per-subject", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5, help="timed training steps of each kind")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--loso",
        choices=["auto", "skip", "cpu", "cuda"],
        default="auto",
        help="CASME II-sized LOSO timing: auto runs it only where CUDA is available",
    )
    parser.add_argument("--loso-size", default="26,10,80", help="subjects,samples per subject,epochs")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to time (default all)")
    parser.add_argument("--real-clips", type=int, default=8, help="clips of real photographs for real_faces")
    parser.add_argument(
        "--photos", type=Path, help="face_recognition's tests/test_images, for tvl1's cases of its photographs"
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="tvl1: also score OpenCV's defaults and the config's on held-out cases",
    )
    parser.add_argument("--pages", type=int, default=10, help="review pages written for pages")
    args = parser.parse_args(argv)
    config = bench_config()
    model = args.model or config["clip"]["model"]
    batch = config["datasets"][BENCH_DATASET]["batch_size"]
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory(prefix="microau-bench-") as tmp:
        work = Path(tmp)
        if "real_faces" in args.parts:
            write_json(args.out / "real_faces.json", bench_real_faces(work, args.real_clips))
        if "tvl1" in args.parts:
            write_json(args.out / "tvl1.json", bench_tvl1(work, args.photos, args.held_out))
        if "pages" in args.parts:
            write_json(args.out / "pages.json", bench_pages(work, args.pages))
        if "synthetic" not in args.parts:
            return 0
        preprocess, samples_tsv = bench_preprocess(work, args.subject_count, args.samples_per_subject)
        write_json(args.out / "preprocess.json", preprocess)
        features = bench_features(work, samples_tsv, model)
        write_json(args.out / "features.json", features)
        write_json(args.out / "training_step.json", bench_training_step(model, batch, args.steps, device))
        memory = bench_training_memory(work / "features.h5", work)
        write_json(
            args.out / "memory.json", {**memory, "hdf5_bytes_per_sample": features["bytes_per_sample"], "model": model}
        )
        loso_device = {"auto": "cuda" if device == "cuda" else None, "skip": None}.get(args.loso, args.loso)
        if loso_device is None:
            write_json(
                args.out / "loso.json",
                {"skipped": f"no CUDA device here (device {device}); run with --loso cpu to time it on the CPU"},
            )
        else:
            subjects, per_subject, epochs = (int(x) for x in args.loso_size.split(","))
            write_json(args.out / "loso.json", bench_loso(work, model, subjects, per_subject, epochs, loso_device))
    return 0
