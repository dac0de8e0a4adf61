"""`microau flow`: TV-L1 optical flow from the onset crop to the (magnified) apex crop.

TV-L1 is OpenCV's DualTVL1 with the config's pyramid and stopping settings (`Tvl1`, the schema's
`flow.tvl1_*` keys, chosen on sub-pixel warps of real face photographs: docs/performance.md),
computed on the crop resized to `flow.tvl1_size` and brought back to crop pixels, from zero or
(`flow.tvl1_start: dis`) from OpenCV's DIS flow.

The apex's gain is matched to the onset's first (lamp flicker is not motion); the median flow,
which on a face crop is the head's global shift, is subtracted unless --no-subtract-median.

Writes the raw flow (u, v float32 at crop resolution, npz) and the 3-channel flow image the
visual encoder sees. The image is encoded with a fixed scale, never a per-sample min-max, so a
pixel value means the same motion in every sample:
  R = 128 + 127 * clip(u / clip_px, -1, 1), G = the same for v (flow-image pixels),
  B = 255 * clip(|flow| / clip_px, 0, 1) for `magnitude`, or
  B = 255 * clip(strain / (clip_px / STRAIN_LENGTH_PX), 0, 1) for `strain`, where strain is the
      optical strain magnitude sqrt(exx^2 + eyy^2 + 2 exy^2) of the flow-image flow (Shreve et al.
      2011): a flow of clip_px that builds up over STRAIN_LENGTH_PX pixels saturates it.
The PNG stores those channels as R, G, B (OpenCV readers get B, G, R and must convert).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.preprocess.images import match_gain, read_image, to_gray, write_image
from microau.preprocess.stage import parse_stage_args

PROG = "microau flow"
THIRD_CHANNELS = ("magnitude", "strain")
STRAIN_LENGTH_PX = 10.0
TVL1_STARTS = ("none", "dis")  # flow.tvl1_start's values, as the schema's enum lists them


class FlowError(MicroauError):
    """The frames or the settings cannot give a flow image; the message says which and why."""


@dataclass(frozen=True)
class Tvl1:
    """The TV-L1 settings the config chooses (`flow.tvl1_<field>`): pyramid scales, warps per scale,
    the stopping threshold epsilon and the inner and outer iteration limits, the side of the
    square image it runs at (None: the crop's own), and where it starts (`none`: from zero at the
    coarsest scale, OpenCV's way; `dis`: from OpenCV's DIS flow, medium preset, at that side, which
    takes the place of the coarse scales). OpenCV's other parameters (tau, lambda, theta, scale step,
    median filtering) stay its defaults."""

    scales: int
    warps: int
    epsilon: float
    inner_iterations: int
    outer_iterations: int
    size: int | None
    start: str = "none"

    @classmethod
    def of(cls, flow: dict) -> Tvl1:
        """The settings in a config's flow section; a key the section lacks (a model.pt of a microau
        that had no such key) means what that microau computed: OPENCV_DEFAULTS' value."""
        return cls(
            **{field: flow.get(f"tvl1_{field}", getattr(OPENCV_DEFAULTS, field)) for field in cls.__dataclass_fields__}
        )

    def create(self) -> cv2.optflow.DualTVL1OpticalFlow:
        tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
        tvl1.setScalesNumber(self.scales)
        tvl1.setWarpingsNumber(self.warps)
        tvl1.setEpsilon(self.epsilon)
        tvl1.setInnerIterations(self.inner_iterations)
        tvl1.setOuterIterations(self.outer_iterations)
        tvl1.setUseInitialFlow(self.start != "none")
        return tvl1

    def calc(self, onset_gray: np.ndarray, apex_gray: np.ndarray) -> np.ndarray:
        """TV-L1 from onset to apex at the images' own size, started as `start` says."""
        if self.start == "none":
            return self.create().calc(onset_gray, apex_gray, None)
        if self.start != "dis":
            raise FlowError(f"flow.tvl1_start must be one of {', '.join(TVL1_STARTS)}, got {self.start!r}")
        start = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(onset_gray, apex_gray, None)
        return self.create().calc(onset_gray, apex_gray, start)


OPENCV_DEFAULTS = Tvl1(scales=5, warps=5, epsilon=0.01, inner_iterations=30, outer_iterations=10, size=None)
"""OpenCV's DualTVL1 defaults, which every flow of microau computed before the flow.tvl1_* keys."""


def tvl1_flow(onset_gray: np.ndarray, apex_gray: np.ndarray, tvl1: Tvl1) -> tuple[np.ndarray, np.ndarray]:
    """Dense TV-L1 flow from onset to apex: (u, v) float32 pixels of the images as given, computed at
    `tvl1.size` (area-resampled) and resampled back (bilinear, vectors rescaled) when that differs."""
    if onset_gray.shape != apex_gray.shape or onset_gray.ndim != 2:
        raise FlowError(
            f"flow needs two single-channel images of one shape, got {onset_gray.shape} and {apex_gray.shape}"
        )
    height, width = onset_gray.shape
    side = tvl1.size
    if side is None or (side, side) == (height, width):
        flow = tvl1.calc(onset_gray, apex_gray)
        return np.ascontiguousarray(flow[..., 0]), np.ascontiguousarray(flow[..., 1])
    interpolation = cv2.INTER_AREA if side < min(height, width) else cv2.INTER_CUBIC
    onset_small, apex_small = (
        cv2.resize(image, (side, side), interpolation=interpolation) for image in (onset_gray, apex_gray)
    )
    flow = tvl1.calc(onset_small, apex_small)
    u = cv2.resize(flow[..., 0], (width, height), interpolation=cv2.INTER_LINEAR) * np.float32(width / side)
    v = cv2.resize(flow[..., 1], (width, height), interpolation=cv2.INTER_LINEAR) * np.float32(height / side)
    return u, v


def subtract_median(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Remove the median flow: AU motion covers a small part of the crop, so the median is the head's shift."""
    median = (float(np.median(u)), float(np.median(v)))
    return u - np.float32(median[0]), v - np.float32(median[1]), median


def crop_flow(
    onset: np.ndarray, apex: np.ndarray, remove_median: bool, tvl1: Tvl1
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """The stage's flow: grayscale, apex gain matched to the onset (flicker), TV-L1, median removed."""
    onset_gray = to_gray(onset)
    u, v = tvl1_flow(onset_gray, match_gain(onset_gray, to_gray(apex)), tvl1)
    if not remove_median:
        return u, v, (0.0, 0.0)
    return subtract_median(u, v)


def optical_strain(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Optical strain magnitude sqrt(exx^2 + eyy^2 + 2 exy^2) from central differences (dimensionless)."""
    du_dy, du_dx = np.gradient(u)
    dv_dy, dv_dx = np.gradient(v)
    exy = 0.5 * (du_dy + dv_dx)
    return np.sqrt(du_dx**2 + dv_dy**2 + 2.0 * exy**2)


def resize_flow(u: np.ndarray, v: np.ndarray, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resample the flow to image_size x image_size and rescale the vectors to the new pixels."""
    height, width = u.shape
    size = (image_size, image_size)
    interpolation = cv2.INTER_AREA if image_size < min(height, width) else cv2.INTER_LINEAR
    u_r = cv2.resize(u, size, interpolation=interpolation) * np.float32(image_size / width)
    v_r = cv2.resize(v, size, interpolation=interpolation) * np.float32(image_size / height)
    return u_r, v_r


def encode_signed(value: np.ndarray, scale: float) -> np.ndarray:
    """-scale..scale -> 1..255 with 0 at 128; beyond the scale saturates."""
    return np.rint(128.0 + 127.0 * np.clip(value / scale, -1.0, 1.0)).astype(np.uint8)


def encode_positive(value: np.ndarray, scale: float) -> np.ndarray:
    """0..scale -> 0..255; beyond the scale saturates."""
    return np.rint(255.0 * np.clip(value / scale, 0.0, 1.0)).astype(np.uint8)


def flow_image(u: np.ndarray, v: np.ndarray, image_size: int, third_channel: str, clip_px: float) -> np.ndarray:
    """uint8 (image_size, image_size, 3) flow image, channels (u, v, magnitude or strain)."""
    if third_channel not in THIRD_CHANNELS:
        raise FlowError(f"unknown third channel {third_channel!r} (choose from {', '.join(THIRD_CHANNELS)})")
    if clip_px <= 0:
        raise FlowError(f"clip_px must be positive, got {clip_px}")
    u_r, v_r = resize_flow(u, v, image_size)
    if third_channel == "magnitude":
        third = encode_positive(np.hypot(u_r, v_r), clip_px)
    else:
        third = encode_positive(optical_strain(u_r, v_r), clip_px / STRAIN_LENGTH_PX)
    return np.dstack([encode_signed(u_r, clip_px), encode_signed(v_r, clip_px), third])


def flow_of_pair(
    onset: np.ndarray,
    apex: np.ndarray,
    subtract_median: bool,
    image_size: int,
    third_channel: str,
    clip_px: float,
    tvl1: Tvl1,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float], np.ndarray]:
    """The flow step of the per-sample chain: `crop_flow` (u, v at crop resolution and the median
    removed) and its RGB flow image, as the stage command, predict and the bench all compute it."""
    u, v, median = crop_flow(onset, apex, subtract_median, tvl1)
    return u, v, median, flow_image(u, v, image_size, third_channel, clip_px)


def optional_side(text: str) -> int | None:
    """--tvl1-size: a side in pixels, or none."""
    if text.lower() == "none":
        return None
    try:
        side = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a side in pixels or none, got {text!r}") from None
    if side < 16:
        raise argparse.ArgumentTypeError(f"a side of at least 16 pixels, got {side}")
    return side


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--onset", type=Path, required=True, help="onset crop (PNG)")
    parser.add_argument("--apex", type=Path, required=True, help="(magnified) apex crop (PNG)")
    parser.add_argument("--image-size", type=int, required=True, help="side of the flow image")
    parser.add_argument(
        "--third-channel", choices=THIRD_CHANNELS, required=True, help="third channel of the flow image"
    )
    parser.add_argument(
        "--clip-px", type=float, required=True, help="flow (flow-image pixels) that saturates the encoding"
    )
    parser.add_argument(
        "--subtract-median",
        action=argparse.BooleanOptionalAction,
        required=True,
        help="remove the global (median) motion, or keep it (--no-subtract-median)",
    )
    parser.add_argument("--tvl1-scales", type=int, required=True, help="TV-L1 pyramid scales")
    parser.add_argument("--tvl1-warps", type=int, required=True, help="TV-L1 warps per scale")
    parser.add_argument("--tvl1-epsilon", type=float, required=True, help="TV-L1 stopping threshold")
    parser.add_argument("--tvl1-inner-iterations", type=int, required=True, help="TV-L1 inner iteration limit")
    parser.add_argument("--tvl1-outer-iterations", type=int, required=True, help="TV-L1 outer iteration limit")
    parser.add_argument(
        "--tvl1-size", type=optional_side, required=True, help="side TV-L1 runs at (none: the crop's own)"
    )
    parser.add_argument(
        "--tvl1-start", choices=TVL1_STARTS, required=True, help="TV-L1's start: none (zero), dis (DIS's flow)"
    )
    parser.add_argument("--out-npz", type=Path, required=True, help="u, v float32 at crop resolution")
    parser.add_argument("--out-image", type=Path, required=True, help="flow image (PNG, channels R=u G=v B=third)")
    args = parse_stage_args(parser, argv)
    tvl1 = Tvl1(
        args.tvl1_scales,
        args.tvl1_warps,
        args.tvl1_epsilon,
        args.tvl1_inner_iterations,
        args.tvl1_outer_iterations,
        args.tvl1_size,
        args.tvl1_start,
    )
    u, v, median, image = flow_of_pair(
        read_image(args.onset),
        read_image(args.apex),
        args.subtract_median,
        args.image_size,
        args.third_channel,
        args.clip_px,
        tvl1,
    )
    meta = {"subtracted_median": median, "third_channel": args.third_channel, "clip_px": args.clip_px}
    with atomic_open(args.out_npz, "wb") as handle:
        np.savez(handle, u=u, v=v, meta=json.dumps(meta))
    write_image(args.out_image, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return 0
