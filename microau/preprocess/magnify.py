"""`microau magnify`: two-frame motion magnification of the apex crop against the onset crop.

The paper magnifies with Oh et al. (ECCV 2018) learning-based motion magnification, factor 3.
Those trained weights are not available here, so the default is linear Eulerian magnification
(Wu et al., SIGGRAPH 2012) reduced to two frames: with a Laplacian pyramid of each frame, every
band-pass level of the apex becomes apex + (factor - 1) * (apex - onset). To first order, a band
that moved by d between the frames then moves by factor * d, i.e. the result is the apex shifted
further by (factor - 1) * d. The low-pass residual is the apex's own: it carries illumination
change rather than fine motion. For the same reason the apex's gain is first matched to the
onset's (`match_gain`): a flicker left in would be amplified into false motion at every edge.
The approximation holds while factor * d is small against a band's wavelength; the finest band
fails first, as with any linear Eulerian method.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from microau.preprocess import parse_stage_args
from microau.preprocess.images import match_gain, read_image, write_image

PROG = "microau magnify"
METHODS = ("linear_eulerian", "none")


def laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """`levels` band-pass images, finest first, then the low-pass residual (float32)."""
    bands = []
    current = image.astype(np.float32)
    for _ in range(levels):
        down = cv2.pyrDown(current)
        up = cv2.pyrUp(down, dstsize=(current.shape[1], current.shape[0]))
        bands.append(current - up)
        current = down
    bands.append(current)
    return bands


def collapse_pyramid(bands: list[np.ndarray]) -> np.ndarray:
    """Inverse of `laplacian_pyramid`."""
    current = bands[-1]
    for band in reversed(bands[:-1]):
        current = cv2.pyrUp(current, dstsize=(band.shape[1], band.shape[0])) + band
    return current


def magnify_pair(onset: np.ndarray, apex: np.ndarray, factor: float, levels: int, method: str) -> np.ndarray:
    """8-bit apex with the onset->apex motion magnified `factor` times (`none`: the apex itself)."""
    if onset.shape != apex.shape:
        raise ValueError(f"onset {onset.shape} and apex {apex.shape} differ in shape")
    if method == "none":
        return apex.copy()
    if method != "linear_eulerian":
        raise ValueError(f"unknown magnification method {method!r} (choose from {', '.join(METHODS)})")
    if factor < 1.0:
        raise ValueError(f"magnification factor must be >= 1, got {factor}")
    max_levels = int(np.log2(min(apex.shape[:2])))
    if not 1 <= levels <= max_levels:
        raise ValueError(
            f"levels must be within 1..{max_levels} for a {apex.shape[1]}x{apex.shape[0]} image, got {levels}"
        )
    onset_bands = laplacian_pyramid(onset, levels)
    apex_bands = laplacian_pyramid(match_gain(onset, apex), levels)
    gain = factor - 1.0
    bands = [a + gain * (a - o) for a, o in zip(apex_bands[:-1], onset_bands[:-1])] + [apex_bands[-1]]
    return np.clip(np.rint(collapse_pyramid(bands)), 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--onset", type=Path, required=True, help="onset crop (PNG)")
    parser.add_argument("--apex", type=Path, required=True, help="apex crop (PNG)")
    parser.add_argument("--method", choices=METHODS, default="linear_eulerian")
    parser.add_argument(
        "--factor", type=float, default=3.0, help="motion magnification factor (total motion = factor x original)"
    )
    parser.add_argument("--levels", type=int, default=4, help="Laplacian band-pass levels that are magnified")
    parser.add_argument("--out", type=Path, required=True, help="magnified apex (PNG)")
    args = parse_stage_args(parser, argv)
    try:
        result = magnify_pair(read_image(args.onset), read_image(args.apex), args.factor, args.levels, args.method)
        write_image(args.out, result)
    except (ValueError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
