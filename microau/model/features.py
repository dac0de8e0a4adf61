"""CLIP loading (tags, local files, random init), the weights record of the `weights` rule, and the
features stage, which computes the frozen visual states of every sample for the feature cache
(`microau.io.feature_cache`).

The cache holds the hidden states that enter the last k visual blocks, so training runs only the
trainable tail and never the frozen blocks again. The frozen blocks run under `train.precision`'s
autocast (`microau.model.device`); the cache stores float16 states whatever the precision.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from microau.aus import au_name, au_token_indices, parse_aus
from microau.errors import MicroauError
from microau.io.feature_cache import FeatureCache, write_cache
from microau.io.landmarks_csv import read_landmarks
from microau.io.sample_table import read_rows
from microau.io.weights_record import write_weights_record

if TYPE_CHECKING:
    import torch

HUB_HOST = "huggingface.co"
TINY_CONFIG_DIR = Path(__file__).parent.parent / "model_configs"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
RANDOM_INIT_SEED = 0


class WeightsError(MicroauError):
    """The configured CLIP weights cannot be had; the message names the alternatives."""


class FeaturesError(MicroauError):
    """The features stage cannot use its input: no sample, an unreadable flow image, or more
    trainable blocks than the encoder has."""


@dataclass
class ClipSpec:
    model: str
    pretrained: str

    @property
    def kind(self) -> str:
        if self.pretrained.lower() == "none":
            return "none"
        if os.path.sep in self.pretrained or Path(self.pretrained).suffix:
            return "file"
        return "tag"


def _alternatives(spec: ClipSpec) -> str:
    return (
        f"set clip.pretrained to a local weights file (e.g. --config clip='{{model: {spec.model}, "
        f"pretrained: /path/to/open_clip_pytorch_model.bin}}') or to none for random initialisation "
        f"(--config clip='{{model: {spec.model}, pretrained: none}}')"
    )


def _hub_reachable(timeout: float = 5.0) -> bool:
    try:
        socket.create_connection((HUB_HOST, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_id(spec: ClipSpec) -> str:
    """Provenance string for tables: tag, file hash, or random init."""
    if spec.kind == "none":
        return f"none (random init, torch seed {RANDOM_INIT_SEED})"
    if spec.kind == "file":
        return f"file {Path(spec.pretrained).name} sha256:{file_sha256(Path(spec.pretrained))[:16]}"
    return f"open_clip tag {spec.pretrained}"


def load_clip(spec: ClipSpec, allow_download: bool = False):
    """Build the open_clip model; downloads only when allowed (the local `weights` rule)."""
    if spec.kind == "tag" and not allow_download:
        os.environ["HF_HUB_OFFLINE"] = "1"
    if spec.kind == "tag" and allow_download and not _hub_reachable():
        os.environ["HF_HUB_OFFLINE"] = "1"
    import open_clip
    import torch

    open_clip.add_model_config(TINY_CONFIG_DIR)
    if spec.model not in open_clip.list_models():
        raise WeightsError(f"unknown CLIP model '{spec.model}' (clip.model); open_clip knows e.g. ViT-B-32, ViT-B-16")
    kwargs = {}
    if spec.kind == "tag" and spec.pretrained == "openai" and "quickgelu" not in spec.model:
        kwargs["force_quick_gelu"] = True
    if spec.kind == "none":
        torch.manual_seed(RANDOM_INIT_SEED)
        model = open_clip.create_model(spec.model, pretrained=None, **kwargs)
    elif spec.kind == "file":
        if not Path(spec.pretrained).is_file():
            raise WeightsError(f"CLIP weights file '{spec.pretrained}' (clip.pretrained) does not exist")
        model = open_clip.create_model(spec.model, pretrained=spec.pretrained, **kwargs)
    else:
        if spec.pretrained not in open_clip.list_pretrained_tags_by_model(spec.model):
            known = ", ".join(open_clip.list_pretrained_tags_by_model(spec.model)) or "none"
            raise WeightsError(f"open_clip has no tag '{spec.pretrained}' for {spec.model} (known: {known})")
        try:
            model = open_clip.create_model(spec.model, pretrained=spec.pretrained, **kwargs)
        except RuntimeError as error:
            where = "the hub is unreachable" if os.environ.get("HF_HUB_OFFLINE") == "1" else "the download failed"
            raise WeightsError(
                f"CLIP weights '{spec.pretrained}' for {spec.model} are not in the local cache and {where}; "
                + _alternatives(spec)
            ) from error
    model.eval()
    return model


def flow_tensor(image_rgb: np.ndarray):
    """uint8 HxWx3 flow image -> CLIP-normalised 3xHxW float tensor."""
    import torch

    x = torch.from_numpy(image_rgb.astype(np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor(CLIP_MEAN).view(3, 1, 1)
    std = torch.tensor(CLIP_STD).view(3, 1, 1)
    return (x - mean) / std


def frozen_visual_states(model, images, trainable_blocks: int):
    """Hidden states entering the last `trainable_blocks` visual blocks (batch-first, [B, 1+h*w, width])."""
    visual = model.visual
    x = visual._embeds(images)
    for block in visual.transformer.resblocks[: len(visual.transformer.resblocks) - trainable_blocks]:
        x = block(x)
    return x


def patch_grid(model) -> tuple[int, int]:
    return tuple(model.visual.grid_size)


def build_cache(
    samples_tsv: Path,
    flow_dir: Path,
    landmarks_dir: Path,
    spec: ClipSpec,
    trainable_blocks: int,
    aus: list[int],
    config_hash: str,
    out: Path,
    device: torch.device,
    precision: str,
    batch_size: int = 32,
) -> int:
    """Write the feature cache of one dataset (`microau.io.feature_cache`), running the frozen blocks on
    `device` (`microau.model.device.claimed_device`) in `precision`; returns the number of samples."""
    import cv2
    import torch

    from microau.model.device import autocast, check_precision

    samples = read_rows(samples_tsv)[1]
    if not samples:
        raise FeaturesError(f"{samples_tsv} holds no samples")
    check_precision(device, precision)
    model = load_clip(spec).to(device)
    grid = patch_grid(model)
    blocks = len(model.visual.transformer.resblocks)
    if not 1 <= trainable_blocks < blocks:
        raise FeaturesError(
            f"clip.trainable_blocks must be in 1..{blocks - 1} for {spec.model}, got {trainable_blocks}"
        )
    n = len(samples)
    tokens_list, au_tokens, labels = [], [], []
    image_size = None
    for start in range(0, n, batch_size):
        chunk = samples[start : start + batch_size]
        images = []
        for row in chunk:
            path = flow_dir / f"{row['sample']}.png"
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if bgr is None:
                raise FeaturesError(f"cannot read flow image {path}")
            image_size = bgr.shape[0]
            images.append(flow_tensor(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
            landmarks = read_landmarks(landmarks_dir / f"{row['sample']}.csv")
            au_tokens.append(au_token_indices(landmarks, aus, image_size, grid))
            labels.append([int(row[au_name(au)]) for au in aus])
        with torch.no_grad(), autocast(device, precision):
            states = frozen_visual_states(model, torch.stack(images).to(device), trainable_blocks)
        tokens_list.append(states.to(torch.float16).cpu().numpy())
    cache = FeatureCache(
        tokens=np.concatenate(tokens_list),
        au_tokens=np.stack(au_tokens),
        labels=np.array(labels, dtype=np.uint8),
        subjects=[row.get("subject", "") for row in samples],
        samples=[row.get("sample", "") for row in samples],
        class3=[row.get("class3", "") for row in samples],
        encoder=spec.model,
        pretrained=spec.pretrained,
        weights=weights_id(spec),
        k=trainable_blocks,
        aus=aus,
        grid=grid,
        image_size=image_size,
        config_hash=config_hash,
    )
    write_cache(out, cache)
    return n


def weights_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="microau weights", description="resolve (and fetch) CLIP weights")
    parser.add_argument("--model", required=True)
    parser.add_argument("--pretrained", required=True, help="open_clip tag, local file, or none")
    parser.add_argument("--out", type=Path, required=True, help="JSON provenance record")
    args = parser.parse_args(argv)
    spec = ClipSpec(args.model, args.pretrained)
    load_clip(spec, allow_download=True)
    record = {"model": spec.model, "pretrained": spec.pretrained, "weights": weights_id(spec)}
    write_weights_record(args.out, record)
    print(f"CLIP {spec.model}: {record['weights']}")
    return 0


def features_main(argv: list[str]) -> int:
    import torch

    from microau.model.device import CHOICES as DEVICE_CHOICES
    from microau.model.device import PRECISIONS, claimed_device

    parser = argparse.ArgumentParser(prog="microau features", description="cache frozen CLIP states in HDF5")
    parser.add_argument("--samples", type=Path, required=True)
    parser.add_argument("--flow-dir", type=Path, required=True)
    parser.add_argument("--landmarks-dir", type=Path, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--pretrained", required=True)
    parser.add_argument("--trainable-blocks", type=int, required=True, help="last visual blocks left trainable (k)")
    parser.add_argument("--aus", required=True, help="comma-separated AU numbers")
    parser.add_argument("--config-hash", default="")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--device", required=True, help=f"{DEVICE_CHOICES} (microau.model.device: auto claims a free GPU, else cpu)"
    )
    parser.add_argument(
        "--precision", choices=PRECISIONS, required=True, help="number format of the frozen blocks (train.precision)"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    aus = parse_aus(args.aus)
    with claimed_device(args.device) as device:
        n = build_cache(
            args.samples,
            args.flow_dir,
            args.landmarks_dir,
            ClipSpec(args.model, args.pretrained),
            args.trainable_blocks,
            aus,
            args.config_hash,
            args.out,
            device,
            args.precision,
        )
    print(f"cached {n} samples of {args.samples} -> {args.out}")
    return 0
