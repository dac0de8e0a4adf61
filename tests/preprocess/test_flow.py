"""`microau flow`: TV-L1 recovers known motion; the flow image has a fixed, sample-independent scale."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from microau.preprocess import flow
from microau.preprocess.flow import (
    OPENCV_DEFAULTS,
    STRAIN_LENGTH_PX,
    FlowError,
    Tvl1,
    crop_flow,
    flow_image,
    optical_strain,
    subtract_median,
    tvl1_flow,
)
from microau.preprocess.images import write_image
from tests.helpers import schema_config

SIZE = 256


def texture(shift: tuple[np.ndarray, np.ndarray] | tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """A smooth random texture whose content moved by `shift` (constant or per-pixel field)."""
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.standard_normal((SIZE, SIZE)).astype(np.float32), (0, 0), 2.0)
    base = 128 + base * (35 / base.std())
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    moved = cv2.remap(
        base, xs - np.float32(shift[0]), ys - np.float32(shift[1]), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )
    return np.clip(np.rint(moved), 0, 255).astype(np.uint8)


def bump(peak: float, x: float, y: float, sigma: float) -> np.ndarray:
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    return peak * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))


def test_recovers_a_known_shift() -> None:
    u, v = tvl1_flow(texture(), texture((0.8, -0.5)), OPENCV_DEFAULTS)
    assert u.dtype == np.float32 and u.shape == (SIZE, SIZE)
    assert float(np.median(u)) == pytest.approx(0.8, abs=0.1)
    assert float(np.median(v)) == pytest.approx(-0.5, abs=0.1)


def test_median_subtraction_removes_global_shift_and_keeps_local_motion() -> None:
    local = bump(1.0, 128, 128, 12)
    u, v, median = crop_flow(texture(), texture((0.6 + local, 0.3)), True, OPENCV_DEFAULTS)
    assert median == pytest.approx((0.6, 0.3), abs=0.1)
    assert abs(float(np.median(u))) < 1e-6 and abs(float(np.median(v))) < 1e-6
    assert float(u[120:137, 120:137].mean()) > 0.5
    assert float(np.abs(u[:40, :40]).mean()) < 0.1
    u_raw, _, none = crop_flow(texture(), texture((0.6 + local, 0.3)), False, OPENCV_DEFAULTS)
    assert none == (0.0, 0.0) and float(np.median(u_raw)) == pytest.approx(0.6, abs=0.1)


def test_subtract_median_is_exact() -> None:
    u = np.full((4, 4), 2.0, np.float32)
    v = np.arange(16, dtype=np.float32).reshape(4, 4)
    u2, v2, median = subtract_median(u, v)
    assert median == (2.0, 7.5)
    assert not u2.any() and float(np.median(v2)) == 0.0


def tvl1_flags(tvl1: Tvl1) -> list[str]:
    """`microau flow`'s TV-L1 arguments, as the flow rule passes them."""
    return [
        *("--tvl1-scales", str(tvl1.scales), "--tvl1-warps", str(tvl1.warps), "--tvl1-epsilon", str(tvl1.epsilon)),
        *("--tvl1-inner-iterations", str(tvl1.inner_iterations), "--tvl1-outer-iterations", str(tvl1.outer_iterations)),
        *("--tvl1-size", "none" if tvl1.size is None else str(tvl1.size), "--tvl1-start", tvl1.start),
    ]


@pytest.mark.parametrize("size", [None, 128, 192])
def test_each_setting_reaches_opencv_and_a_smaller_size_still_gives_crop_pixels(size) -> None:
    onset, apex = texture(), texture((bump(1.2, 128, 128, 20), 0.3))
    tvl1 = Tvl1(scales=2, warps=1, epsilon=0.02, inner_iterations=30, outer_iterations=10, size=size)
    u, v = tvl1_flow(onset, apex, tvl1)
    assert u.shape == v.shape == (SIZE, SIZE) and u.dtype == v.dtype == np.float32
    assert float(u[122:135, 122:135].mean()) == pytest.approx(1.15, abs=0.15)
    assert float(np.median(v)) == pytest.approx(0.3, abs=0.1)
    made = tvl1.create()
    assert (made.getScalesNumber(), made.getWarpingsNumber(), made.getEpsilon()) == (2, 1, 0.02)
    other = tvl1_flow(onset, apex, OPENCV_DEFAULTS)[0]
    assert not np.array_equal(u, other)


def test_the_config_names_every_tvl1_setting_and_a_model_of_an_earlier_microau_means_opencvs_defaults() -> None:
    flow_section = schema_config()["flow"]
    tvl1 = Tvl1.of(flow_section)
    assert [tvl1.scales, tvl1.warps, tvl1.epsilon, tvl1.size, tvl1.start] == [
        flow_section[f"tvl1_{key}"] for key in ("scales", "warps", "epsilon", "size", "start")
    ]
    # a model.pt of the microau before tvl1_start: its keys, and TV-L1 from zero as it computed
    before_start = {key: value for key, value in flow_section.items() if key != "tvl1_start"}
    assert Tvl1.of({**before_start, "tvl1_warps": 2}) == dataclasses.replace(tvl1, warps=2, start="none")
    earlier = {key: value for key, value in flow_section.items() if not key.startswith("tvl1_")}
    assert Tvl1.of(earlier) == OPENCV_DEFAULTS
    made = cv2.optflow.DualTVL1OpticalFlow_create()
    assert OPENCV_DEFAULTS == Tvl1(
        made.getScalesNumber(),
        made.getWarpingsNumber(),
        made.getEpsilon(),
        made.getInnerIterations(),
        made.getOuterIterations(),
        None,
    )


def test_a_start_from_dis_finds_the_shift_with_one_scale() -> None:
    """One scale from zero cannot reach a shift of several pixels; started from DIS's flow it does."""
    onset, apex = texture(), texture((bump(4.0, 128, 128, 30), 0.3))
    one_scale = Tvl1(scales=1, warps=2, epsilon=0.01, inner_iterations=30, outer_iterations=10, size=224)
    from_dis = dataclasses.replace(one_scale, start="dis")
    assert from_dis.create().getUseInitialFlow() and not one_scale.create().getUseInitialFlow()
    u, v = tvl1_flow(onset, apex, from_dis)
    assert u.shape == (SIZE, SIZE) and float(u[122:135, 122:135].mean()) == pytest.approx(3.9, abs=0.3)
    assert float(tvl1_flow(onset, apex, one_scale)[0][122:135, 122:135].mean()) < 3.0
    with pytest.raises(FlowError, match="flow.tvl1_start must be one of none, dis, got 'deep'"):
        tvl1_flow(onset, apex, dataclasses.replace(one_scale, start="deep"))


def test_flow_image_encoding_is_fixed_scale() -> None:
    clip = 3.0
    u = np.array([[-6.0, -3.0, 0.0, 1.5, 3.0, 6.0]] * 6, np.float32)
    image = flow_image(u, np.zeros_like(u), 6, "magnitude", clip)
    assert image.shape == (6, 6, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[0, :, 0], [1, 1, 128, 192, 255, 255])
    np.testing.assert_array_equal(image[0, :, 1], [128] * 6)
    np.testing.assert_array_equal(image[0, :, 2], [255, 255, 0, 128, 255, 255])


def test_resizing_scales_the_vectors() -> None:
    u = np.full((256, 256), 1.0, np.float32)
    v = np.full((256, 256), -2.0, np.float32)
    image = flow_image(u, v, 224, "magnitude", 3.0)
    assert image.shape == (224, 224, 3)
    expected_u, expected_v = 1.0 * 224 / 256, -2.0 * 224 / 256
    assert image[100, 100, 0] == round(128 + 127 * expected_u / 3.0)
    assert image[100, 100, 1] == round(128 + 127 * expected_v / 3.0)
    assert image[100, 100, 2] == round(255 * np.hypot(expected_u, expected_v) / 3.0)


def test_strain_channel() -> None:
    ys, xs = np.mgrid[0:224, 0:224].astype(np.float32)
    u = 0.05 * xs
    np.testing.assert_allclose(optical_strain(u, np.zeros_like(u)), 0.05, atol=1e-6)
    image = flow_image(u, np.zeros_like(u), 224, "strain", 3.0)
    assert image[50, 50, 2] == round(255 * 0.05 / (3.0 / STRAIN_LENGTH_PX))
    assert not optical_strain(np.ones_like(u), np.ones_like(u)).any()


def test_cli_writes_npz_and_rgb_png(tmp_path: Path) -> None:
    onset, apex = tmp_path / "onset.png", tmp_path / "apex.png"
    write_image(onset, texture())
    write_image(apex, texture((bump(1.5, 128, 128, 12), 0.0)))
    npz, png = tmp_path / "f.npz", tmp_path / "f.png"
    args = [
        "--onset",
        str(onset),
        "--apex",
        str(apex),
        "--image-size",
        "224",
        "--third-channel",
        "magnitude",
        "--clip-px",
        "3.0",
        "--subtract-median",
        *tvl1_flags(Tvl1.of(schema_config()["flow"])),
        "--out-npz",
        str(npz),
        "--out-image",
        str(png),
    ]
    assert flow.main(args) == 0
    data = np.load(npz)
    assert data["u"].shape == (SIZE, SIZE) and data["u"].dtype == np.float32
    assert json.loads(str(data["meta"]))["third_channel"] == "magnitude"
    rgb = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(rgb, flow_image(data["u"], data["v"], 224, "magnitude", 3.0))
    assert rgb[112, 112, 0] > 150 and rgb[112, 112, 2] > 40
