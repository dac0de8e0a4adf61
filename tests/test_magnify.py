"""`microau magnify`: a sub-pixel translation comes out about `factor` times larger."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from microau.preprocess import magnify
from microau.preprocess.flow import tvl1_flow
from microau.preprocess.images import read_image, write_image
from microau.preprocess.magnify import collapse_pyramid, laplacian_pyramid, magnify_pair

SIZE = 256


def texture(dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """A smooth random texture (8-bit), translated by (dx, dy) exactly (Fourier shift, periodic)."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2.0)
    fy, fx = np.fft.fftfreq(SIZE)[:, None], np.fft.fftfreq(SIZE)[None, :]
    moved = np.real(np.fft.ifft2(np.fft.fft2(base) * np.exp(-2j * np.pi * (fx * dx + fy * dy))))
    return np.clip(np.rint(128 + moved * (35 / base.std())), 0, 255).astype(np.uint8)


def test_pyramid_collapses_back_to_the_image() -> None:
    image = texture().astype(np.float32)
    np.testing.assert_allclose(collapse_pyramid(laplacian_pyramid(image, 4)), image, atol=1e-3)


@pytest.mark.parametrize("factor", [2.0, 3.0])
def test_subpixel_translation_is_amplified_by_the_factor(factor: float) -> None:
    onset, apex = texture(), texture(0.3, 0.0)
    magnified = magnify_pair(onset, apex, factor, 4, "linear_eulerian")
    u, v = tvl1_flow(onset, magnified)
    assert float(np.median(u)) == pytest.approx(0.3 * factor, rel=0.15)
    assert abs(float(np.median(v))) < 0.05


def test_none_and_factor_one_are_identity() -> None:
    onset, apex = texture(), texture(0.4, -0.2)
    np.testing.assert_array_equal(magnify_pair(onset, apex, 3.0, 4, "none"), apex)
    np.testing.assert_array_equal(magnify_pair(onset, apex, 1.0, 4, "linear_eulerian"), apex)


def test_flicker_is_not_amplified() -> None:
    onset = texture()
    brighter = np.clip(np.rint(onset * 1.04), 0, 255).astype(np.uint8)
    magnified = magnify_pair(onset, brighter, 3.0, 4, "linear_eulerian")
    assert float(np.abs(magnified.astype(np.float32) - onset).mean()) < 1.0


def test_bad_arguments_raise() -> None:
    image = texture()
    with pytest.raises(ValueError, match="unknown magnification method"):
        magnify_pair(image, image, 3.0, 4, "learned")
    with pytest.raises(ValueError, match="levels"):
        magnify_pair(image, image, 3.0, 12, "linear_eulerian")


def test_cli_writes_the_magnified_colour_apex(tmp_path: Path) -> None:
    onset, apex = (cv2.cvtColor(t, cv2.COLOR_GRAY2BGR) for t in (texture(), texture(0.3, 0.0)))
    write_image(tmp_path / "onset.png", onset)
    write_image(tmp_path / "apex.png", apex)
    out = tmp_path / "mag.png"
    args = [
        "--onset",
        str(tmp_path / "onset.png"),
        "--apex",
        str(tmp_path / "apex.png"),
        "--method",
        "linear_eulerian",
        "--factor",
        "3",
        "--levels",
        "4",
        "--out",
        str(out),
    ]
    assert magnify.main(args) == 0
    result = read_image(out)
    assert result.shape == (SIZE, SIZE, 3) and result.dtype == np.uint8
    np.testing.assert_array_equal(result, magnify_pair(onset, apex, 3.0, 4, "linear_eulerian"))
