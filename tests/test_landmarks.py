"""`microau landmarks`: mediapipe's mesh mapped to the 68-point iBUG convention, in flow-image pixels."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from microau.preprocess import landmarks
from microau.preprocess.crop import FaceNotFoundError
from microau.preprocess.images import write_image
from microau.preprocess.landmarks import MEDIAPIPE_TO_IBUG68, face_landmarks68


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def points(astronaut: np.ndarray) -> np.ndarray:
    return face_landmarks68(astronaut)


def test_table_has_68_unique_mesh_indices() -> None:
    assert len(MEDIAPIPE_TO_IBUG68) == 68
    assert len(set(MEDIAPIPE_TO_IBUG68)) == 68
    assert all(0 <= i < 468 for i in MEDIAPIPE_TO_IBUG68)


def test_geometry_on_a_real_face(points: np.ndarray) -> None:
    assert points.shape == (68, 2) and points.dtype == np.float32
    y = points[:, 1]
    brows, eyes, nose_tip, mouth, chin = y[17:27].mean(), y[36:48].mean(), y[30], y[48:68].mean(), y[8]
    assert brows < eyes < nose_tip < mouth < chin
    assert points[48, 0] < points[54, 0]
    assert points[36:42, 0].mean() < points[42:48, 0].mean()
    assert int(np.argmax(y[:17])) == 8
    assert points[0, 0] < points[8, 0] < points[16, 0]
    for left, right in ((17, 21), (22, 26), (36, 39), (42, 45)):
        assert points[left, 0] < points[right, 0]
    assert y[62] < y[66] and y[51] < y[57]


def test_cli_scales_to_flow_image_pixels(tmp_path: Path, astronaut: np.ndarray, points: np.ndarray) -> None:
    apex = tmp_path / "apex.png"
    write_image(apex, astronaut)
    out = tmp_path / "lm.csv"
    assert landmarks.main(["--apex", str(apex), "--image-size", "224", "--out", str(out)]) == 0
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["point"] for r in rows] == [str(i) for i in range(68)]
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    np.testing.assert_allclose(xy, points * 224 / 512, atol=0.01)


def test_no_face(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(FaceNotFoundError):
        face_landmarks68(np.zeros((256, 256, 3), np.uint8))
    blank = tmp_path / "blank.png"
    write_image(blank, np.zeros((256, 256, 3), np.uint8))
    assert landmarks.main(["--apex", str(blank), "--out", str(tmp_path / "lm.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("microau landmarks: error: no face") and str(blank) in err[0]
