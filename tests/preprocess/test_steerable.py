"""The complex steerable pyramid: a tight frame whose complex bands carry the real bands and their phase."""

from __future__ import annotations

import numpy as np
import pytest

from microau.preprocess.steerable import SteerablePyramid, steering_constant

SHAPE = (128, 96)


def band_limited_image() -> np.ndarray:
    """Sinusoids with wavelengths between the high-pass and the low-pass residual of 4 levels (5 to 32 px)."""
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    waves = (
        np.sin(2 * np.pi * 18 * x / SHAPE[1])
        + np.cos(2 * np.pi * (5 * x / SHAPE[1] + 9 * y / SHAPE[0]))
        + 0.5 * np.sin(2 * np.pi * 20 * y / SHAPE[0] + 0.3)
    )
    return waves.astype(np.float32)


@pytest.mark.parametrize("orientations", [1, 2, 4, 8])
def test_squared_steering_filters_sum_to_one(orientations: int) -> None:
    theta = np.linspace(0, 2 * np.pi, 721)
    alpha = steering_constant(orientations)
    total = sum(
        (alpha * np.abs(np.cos(theta - np.pi * k / orientations)) ** (orientations - 1)) ** 2
        for k in range(orientations)
    )
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_bands_of_a_band_limited_image_reconstruct_it() -> None:
    pyramid = SteerablePyramid(SHAPE, 4, 8)
    image = band_limited_image()
    np.testing.assert_allclose(pyramid.synthesise(pyramid.analyse(image)), image, atol=1e-4)


def test_band_sizes_halve_per_level() -> None:
    pyramid = SteerablePyramid(SHAPE, 3, 4)
    sizes = [band.shape for band in pyramid.analyse(np.zeros(SHAPE, np.float32))]
    assert sizes == [SHAPE] * 4 + [(64, 48)] * 4 + [(32, 24)] * 4


def test_a_translation_turns_each_band_phase_by_frequency_times_shift() -> None:
    """cos(w (x - d)) is the real part of exp(i w x) exp(-i w d): the band holding it (orientation 0
    keeps positive horizontal frequencies) turns by -w d everywhere, and its real part is the wave."""
    x = np.arange(SHAPE[1])[None, :].repeat(SHAPE[0], axis=0)
    frequency = 12 / SHAPE[1]  # wavelength 8 px
    onset, apex = (np.cos(2 * np.pi * frequency * (x - shift)).astype(np.float32) for shift in (0.0, 0.5))
    pyramid = SteerablePyramid(SHAPE, 4, 4)
    onset_bands, apex_bands = pyramid.analyse(onset), pyramid.analyse(apex)
    strongest = int(np.argmax([np.abs(band).mean() for band in onset_bands]))
    turn = np.angle(apex_bands[strongest] * np.conj(onset_bands[strongest]))
    assert strongest % 4 == 0
    np.testing.assert_allclose(turn, -2 * np.pi * frequency * 0.5, atol=1e-3)
    assert strongest // 4 == 1  # level 1 peaks at wavelength 8 px; its grid is every second pixel
    gain = np.abs(onset_bands[strongest]).max()
    np.testing.assert_allclose(onset_bands[strongest].real, onset[::2, ::2] * gain, atol=1e-3)


def test_bad_settings_and_shapes_raise() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        SteerablePyramid((16, 16), 4, 4)
    pyramid = SteerablePyramid(SHAPE, 2, 4)
    with pytest.raises(ValueError, match="built for"):
        pyramid.analyse(np.zeros((64, 64), np.float32))
    with pytest.raises(ValueError, match="bands"):
        pyramid.synthesise([])
