"""Complex steerable pyramid (Portilla & Simoncelli 2000) with octave bands, built in the Fourier domain.

Phase-based magnification needs each band's local phase, hence complex (analytic) bands: each
orientation's filter keeps one half of the frequency plane, so a band's real part is the real
steerable band and its angle is the local phase. Radial bands are raised cosines on a log2 scale:
the high-pass residual covers radii pi/2..pi (in radians per pixel), level l peaks at pi / 2^(l+1)
(wavelength 4 * 2^l px) and spans an octave either side; the low-pass residual holds the rest. The
squared filters sum to one, so a pyramid reconstructs its image exactly. Level l >= 1 holds no
frequency above pi / 2^l and is computed on a correspondingly smaller grid (the centre of the
spectrum), which makes the whole pyramid cost about 1.33 times its finest level.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft


def raised_cosine(log_radius: np.ndarray, end: float) -> np.ndarray:
    """0 below log2 radius `end` - 1, 1 above `end`, cos-shaped in between (squared sums with
    its complement `sqrt(1 - raised_cosine**2)` to one)."""
    return np.cos(0.5 * np.pi * (end - np.clip(log_radius, end - 1.0, end)))


def steering_constant(orientations: int) -> float:
    """alpha_K with sum_k (alpha_K cos^(K-1)(theta - pi k / K))^2 = 1 for every theta."""
    k = orientations
    return 2.0 ** (k - 1) * math.factorial(k - 1) / math.sqrt(k * math.factorial(2 * (k - 1)))


@dataclass(frozen=True)
class Band:
    """One level and orientation: the spectrum rows and columns it keeps (FFT order, so the kept
    part is the spectrum of the band on its own smaller grid) and its filters there."""

    rows: np.ndarray
    cols: np.ndarray
    analytic: np.ndarray
    real: np.ndarray


def kept_frequencies(size: int, level: int) -> np.ndarray:
    """FFT indices of the frequencies below pi / 2^level along one axis (all of them at level 0)."""
    if level == 0:
        return np.arange(size)
    half = size >> (level + 1)
    return np.concatenate([np.arange(half), np.arange(size - half, size)])


class SteerablePyramid:
    """Filters for one image shape; `analyse` gives complex bands, `synthesise` turns bands back into an image."""

    def __init__(self, shape: tuple[int, int], levels: int, orientations: int) -> None:
        height, width = shape
        if levels < 1 or orientations < 1:
            raise ValueError(f"a steerable pyramid needs levels and orientations >= 1, got {levels}, {orientations}")
        if min(height, width) >> levels < 2:
            raise ValueError(f"{levels} pyramid levels do not fit a {width}x{height} image")
        self.shape = (height, width)
        wy, wx = np.meshgrid(2.0 * np.pi * np.fft.fftfreq(height), 2.0 * np.pi * np.fft.fftfreq(width), indexing="ij")
        radius = np.hypot(wx, wy)
        radius[0, 0] = 1e-9  # DC: log2 finite, every band zero there
        log_radius = np.log2(radius / np.pi)
        angle = np.arctan2(wy, wx)
        alpha = steering_constant(orientations)
        self.bands: list[Band] = []
        for level in range(levels):
            radial = raised_cosine(log_radius, -1.0 - level) * np.sqrt(
                1.0 - raised_cosine(log_radius, -float(level)) ** 2
            )
            rows, cols = kept_frequencies(height, level), kept_frequencies(width, level)
            for k in range(orientations):
                cosine = np.cos(angle - np.pi * k / orientations)
                real = (radial * alpha * np.abs(cosine) ** (orientations - 1))[np.ix_(rows, cols)]
                analytic = 2.0 * real * (cosine[np.ix_(rows, cols)] > 0)
                self.bands.append(Band(rows, cols, analytic.astype(np.float32), real.astype(np.float32)))

    @staticmethod
    @functools.lru_cache(maxsize=8)
    def for_shape(shape: tuple[int, int], levels: int, orientations: int) -> SteerablePyramid:
        """One pyramid per shape and settings in a process (building the filters costs more than using them)."""
        return SteerablePyramid(tuple(shape), levels, orientations)

    def analyse(self, image: np.ndarray) -> list[np.ndarray]:
        """Complex64 bands of a single-channel image, finest level first, orientations within a level."""
        if image.shape != self.shape:
            raise ValueError(f"the pyramid was built for {self.shape}, got an image of {image.shape}")
        spectrum = scipy.fft.fft2(image.astype(np.float32))
        bands = []
        for band in self.bands:
            part = spectrum[np.ix_(band.rows, band.cols)] * band.analytic
            bands.append(scipy.fft.ifft2(part, overwrite_x=True) * np.float32(part.size / image.size))
        return bands

    def synthesise(self, bands: list[np.ndarray]) -> np.ndarray:
        """Float32 image whose pyramid bands are the real parts of `bands` and whose residuals are zero."""
        if len(bands) != len(self.bands):
            raise ValueError(f"the pyramid has {len(self.bands)} bands, got {len(bands)}")
        spectrum = np.zeros(self.shape, np.complex64)
        size = spectrum.size
        for band, values in zip(self.bands, bands):
            part = scipy.fft.fft2(values.real) * band.real
            spectrum[np.ix_(band.rows, band.cols)] += part * np.float32(size / part.size)
        return scipy.fft.ifft2(spectrum, overwrite_x=True).real.astype(np.float32)
