"""`microau magnify`: a sub-pixel translation comes out about `factor` times larger."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from microau.preprocess import magnify
from microau.preprocess.flow import Tvl1, tvl1_flow
from microau.preprocess.images import read_image, to_gray, write_image
from microau.preprocess.magnify import MagnifyError, collapse_pyramid, laplacian_pyramid, magnify_pair
from tests.helpers import schema_config

SIZE = 256
TVL1 = Tvl1.of(schema_config()["flow"])  # the flow stage's TV-L1
# Displacement magnified by `microau magnify` x3, as a share of 3 x the shift (see the known-answer test).
KNOWN_ANSWER_SHIFTS_PX = (0.25, 0.5, 1.0, 2.0)


def texture(dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """A smooth random texture (8-bit), translated by (dx, dy) exactly (Fourier shift, periodic)."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2.0)
    fy, fx = np.fft.fftfreq(SIZE)[:, None], np.fft.fftfreq(SIZE)[None, :]
    moved = np.real(np.fft.ifft2(np.fft.fft2(base) * np.exp(-2j * np.pi * (fx * dx + fy * dy))))
    return np.clip(np.rint(128 + moved * (35 / base.std())), 0, 255).astype(np.uint8)


def face_sized_texture(dx: float = 0.0) -> np.ndarray:
    """A 256 x 256 smooth random texture translated by dx exactly: shifted in the Fourier domain on a
    larger canvas and cropped, so the crop's edges are not periodic (as a face crop's are not)."""
    canvas = 320
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.standard_normal((canvas, canvas)).astype(np.float32), (0, 0), 1.5)
    fx = np.fft.fftfreq(canvas)[None, :]
    moved = np.real(np.fft.ifft2(np.fft.fft2(base) * np.exp(-2j * np.pi * fx * dx)))
    start = (canvas - SIZE) // 2
    crop = moved[start : start + SIZE, start : start + SIZE]
    return np.clip(np.rint(128 + crop * (35 / base.std())), 0, 255).astype(np.uint8)


def magnified_displacement_ratios(method: str, tmp_path: Path) -> list[float]:
    """Median TV-L1 displacement from onset to the apex magnified x3 by the `microau magnify`
    command, divided by 3 x the true shift, for each of KNOWN_ANSWER_SHIFTS_PX."""
    onset = tmp_path / "onset.png"
    write_image(onset, face_sized_texture())
    ratios = []
    for shift in KNOWN_ANSWER_SHIFTS_PX:
        apex, out = tmp_path / f"apex_{shift}.png", tmp_path / f"{method}_{shift}.png"
        write_image(apex, face_sized_texture(shift))
        args = ["--onset", str(onset), "--apex", str(apex), "--method", method, "--factor", "3", "--levels", "4"]
        args += ["--out", str(out)]
        assert magnify.main(args) == 0
        u, v = tvl1_flow(to_gray(read_image(onset)), to_gray(read_image(out)), TVL1)
        assert abs(float(np.median(v))) < 0.05
        ratios.append(float(np.median(u)) / (3.0 * shift))
    print(f"{method}:", ", ".join(f"{shift} px {ratio:.2f}" for shift, ratio in zip(KNOWN_ANSWER_SHIFTS_PX, ratios)))
    return ratios


def test_the_measuring_flow_is_accurate_on_the_texture() -> None:
    for shift in (0.75, 1.5, 3.0, 6.0):
        u, _ = tvl1_flow(face_sized_texture(), face_sized_texture(shift), TVL1)
        assert float(np.median(u)) == pytest.approx(shift, abs=0.05)


def test_phase_magnifies_a_translation_by_the_factor_up_to_one_pixel(tmp_path: Path) -> None:
    ratios = magnified_displacement_ratios("phase", tmp_path)
    for shift, ratio in zip(KNOWN_ANSWER_SHIFTS_PX, ratios):
        if shift <= 1.0:
            assert ratio == pytest.approx(1.0, abs=0.15), shift
    assert ratios[-1] > 0.8


def test_linear_eulerian_falls_short_beyond_a_quarter_pixel(tmp_path: Path) -> None:
    ratios = magnified_displacement_ratios("linear_eulerian", tmp_path)
    assert ratios[0] == pytest.approx(1.0, abs=0.15)
    assert ratios == sorted(ratios, reverse=True) and ratios[-1] < 0.6


def test_phase_does_not_amplify_sensor_noise() -> None:
    """On a flat grey face patch the difference from the onset is noise; linear Eulerian makes it
    factor times larger, phase keeps it at the apex's own level."""
    rng = np.random.default_rng(2)
    flat = np.full((SIZE, SIZE), 128.0)
    onset, apex = (np.clip(np.rint(flat + rng.normal(0, 2, flat.shape)), 0, 255).astype(np.uint8) for _ in range(2))
    noise = float(np.std(apex.astype(np.float32) - onset))
    for method, most in (("phase", 1.1), ("linear_eulerian", 3.1)):
        magnified = magnify_pair(onset, apex, 3.0, 4, method)
        assert float(np.std(magnified.astype(np.float32) - onset)) < most * noise, method
    assert float(np.std(magnify_pair(onset, apex, 3.0, 4, "linear_eulerian").astype(np.float32) - onset)) > 2.5 * noise


def test_phase_keeps_colour_and_magnifies_luminance() -> None:
    onset = cv2.cvtColor(face_sized_texture(), cv2.COLOR_GRAY2BGR)
    apex = cv2.cvtColor(face_sized_texture(0.5), cv2.COLOR_GRAY2BGR)
    apex[..., 2] = np.clip(apex[..., 2].astype(np.int16) + 20, 0, 255).astype(np.uint8)
    magnified = magnify_pair(onset, apex, 3.0, 4, "phase")
    gray = magnify_pair(to_gray(onset), to_gray(apex), 3.0, 4, "phase")
    assert float(np.abs(to_gray(magnified).astype(np.float32) - gray).mean()) < 1.0
    red_minus_green = magnified[..., 2].astype(np.float32) - magnified[..., 1]
    assert float(np.median(red_minus_green)) == pytest.approx(20, abs=1)


def test_pyramid_collapses_back_to_the_image() -> None:
    image = texture().astype(np.float32)
    np.testing.assert_allclose(collapse_pyramid(laplacian_pyramid(image, 4)), image, atol=1e-3)


@pytest.mark.parametrize("method", ["phase", "linear_eulerian"])
@pytest.mark.parametrize("factor", [2.0, 3.0])
def test_subpixel_translation_is_amplified_by_the_factor(factor: float, method: str) -> None:
    onset, apex = texture(), texture(0.3, 0.0)
    magnified = magnify_pair(onset, apex, factor, 4, method)
    u, v = tvl1_flow(onset, magnified, TVL1)
    assert float(np.median(u)) == pytest.approx(0.3 * factor, rel=0.15)
    assert abs(float(np.median(v))) < 0.05


def test_none_and_factor_one_are_identity() -> None:
    onset, apex = texture(), texture(0.4, -0.2)
    np.testing.assert_array_equal(magnify_pair(onset, apex, 3.0, 4, "none"), apex)
    np.testing.assert_array_equal(magnify_pair(onset, apex, 1.0, 4, "linear_eulerian"), apex)
    np.testing.assert_array_equal(magnify_pair(onset, apex, 1.0, 4, "phase"), apex)


@pytest.mark.parametrize("method", ["phase", "linear_eulerian"])
def test_flicker_is_not_amplified(method: str) -> None:
    onset = texture()
    brighter = np.clip(np.rint(onset * 1.04), 0, 255).astype(np.uint8)
    magnified = magnify_pair(onset, brighter, 3.0, 4, method)
    assert float(np.abs(magnified.astype(np.float32) - onset).mean()) < 1.0


def test_bad_arguments_raise() -> None:
    image = texture()
    with pytest.raises(MagnifyError, match="unknown magnification method"):
        magnify_pair(image, image, 3.0, 4, "learned")
    with pytest.raises(MagnifyError, match="levels"):
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
        "phase",
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
    np.testing.assert_array_equal(result, magnify_pair(onset, apex, 3.0, 4, "phase"))
