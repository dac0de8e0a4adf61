"""`microau magnify`: two-frame motion magnification of the apex crop against the onset crop.

The paper magnifies with Oh et al. (ECCV 2018) learning-based motion magnification, factor 3,
whose trained weights are not available here. Two classical methods, both reduced to two frames:

- `phase` (default): phase-based magnification (Wadhwa et al., SIGGRAPH 2013) on a complex
  steerable pyramid (`microau.preprocess.steerable`). A sub-pixel translation d shifts every
  band's local phase by (frequency x d); each band of the apex gets its onset -> apex phase
  difference, wrapped to (-pi, pi] and smoothed with an amplitude-weighted Gaussian (phase noise
  where a band has no structure is not amplified), multiplied by (factor - 1) and added to its
  phase, so the band moves by factor x d. Motion stays in the phase, so it holds until
  factor x d nears a band's wavelength, where linear Eulerian fails at a fraction of it.
  Luminance only: the change found on the grey image is added to the three colour channels alike,
  so chroma is the apex's own (the flow stage reads grey).
- `linear_eulerian`: linear Eulerian magnification (Wu et al., SIGGRAPH 2012): with a Laplacian
  pyramid of each frame, every band-pass level of the apex becomes
  apex + (factor - 1) * (apex - onset). To first order a band that moved by d then moves by
  factor x d; the approximation holds only while factor x d is small against a band's wavelength.
- `none`: the apex itself.

In both methods the residuals are the apex's own: the low-pass one carries illumination rather
than fine motion, and the steerable pyramid's high-pass one (wavelengths under 4 px) mostly sensor
noise and JPEG blocks. For the same reason the apex's gain is first matched to the onset's
(`match_gain`): a flicker left in would be amplified into false motion at every edge.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.preprocess.images import match_gain, read_image, to_gray, write_image
from microau.preprocess.stage import parse_stage_args
from microau.preprocess.steerable import SteerablePyramid

PROG = "microau magnify"
METHODS = ("phase", "linear_eulerian", "none")
ORIENTATIONS = 8
PHASE_SIGMA_PX = 1.0


class MagnifyError(MicroauError):
    """The frames or the settings cannot be magnified; the message says which and why."""


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


def amplitude_weighted_blur(values: np.ndarray, amplitude: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian average of `values` weighted by `amplitude`: where a band is weak its phase is
    noise, so it takes its strong neighbours' value instead of being amplified as it is."""
    weighted = cv2.GaussianBlur(values * amplitude, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    weights = cv2.GaussianBlur(amplitude, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    return weighted / np.maximum(weights, np.float32(1e-6))


def phase_change(onset_gray: np.ndarray, apex_gray: np.ndarray, factor: float, levels: int) -> np.ndarray:
    """Float32 image to add to the apex so that its motion from the onset is `factor` times larger.

    Reconstruction is linear and exact for an unchanged pyramid, so the magnified apex is the apex
    plus the reconstruction of each band's change, A (exp(i (factor - 1) dphi) - 1).
    """
    pyramid = SteerablePyramid.for_shape(onset_gray.shape, levels, ORIENTATIONS)
    onset_bands = pyramid.analyse(onset_gray)
    apex_bands = pyramid.analyse(apex_gray)
    gain = np.float32(factor - 1.0)
    changes = []
    for onset_band, apex_band in zip(onset_bands, apex_bands):
        product = apex_band * np.conj(onset_band)
        difference = np.arctan2(product.imag, product.real)
        difference = gain * amplitude_weighted_blur(difference, np.abs(apex_band), PHASE_SIGMA_PX)
        changes.append(apex_band * (np.cos(difference) - 1.0 + 1j * np.sin(difference)))
    return pyramid.synthesise(changes)


def magnify_pair(onset: np.ndarray, apex: np.ndarray, factor: float, levels: int, method: str) -> np.ndarray:
    """8-bit apex with the onset->apex motion magnified `factor` times (`none`: the apex itself)."""
    if onset.shape != apex.shape:
        raise MagnifyError(f"onset {onset.shape} and apex {apex.shape} differ in shape")
    if method == "none":
        return apex.copy()
    if method not in METHODS:
        raise MagnifyError(f"unknown magnification method {method!r} (choose from {', '.join(METHODS)})")
    if factor < 1.0:
        raise MagnifyError(f"magnification factor must be >= 1, got {factor}")
    max_levels = int(np.log2(min(apex.shape[:2])))
    if not 1 <= levels <= max_levels:
        raise MagnifyError(
            f"levels must be within 1..{max_levels} for a {apex.shape[1]}x{apex.shape[0]} image, got {levels}"
        )
    apex = match_gain(onset, apex)
    if method == "phase":
        change = phase_change(to_gray(onset).astype(np.float32), to_gray(apex).astype(np.float32), factor, levels)
        magnified = apex.astype(np.float32) + (change[..., None] if apex.ndim == 3 else change)
        return np.clip(np.rint(magnified), 0, 255).astype(np.uint8)
    onset_bands = laplacian_pyramid(onset, levels)
    apex_bands = laplacian_pyramid(apex, levels)
    gain = factor - 1.0
    bands = [a + gain * (a - o) for a, o in zip(apex_bands[:-1], onset_bands[:-1])] + [apex_bands[-1]]
    return np.clip(np.rint(collapse_pyramid(bands)), 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--onset", type=Path, required=True, help="onset crop (PNG)")
    parser.add_argument("--apex", type=Path, required=True, help="apex crop (PNG)")
    parser.add_argument("--method", choices=METHODS, required=True, help="magnification method")
    parser.add_argument(
        "--factor", type=float, required=True, help="motion magnification factor (total motion = factor x original)"
    )
    parser.add_argument(
        "--levels", type=int, required=True, help="pyramid levels magnified (steerable octaves or Laplacian levels)"
    )
    parser.add_argument("--out", type=Path, required=True, help="magnified apex (PNG)")
    args = parse_stage_args(parser, argv)
    result = magnify_pair(read_image(args.onset), read_image(args.apex), args.factor, args.levels, args.method)
    write_image(args.out, result)
    return 0
