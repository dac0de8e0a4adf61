"""`microau landmarks`: dlib's predictor on the face box, or mediapipe's mesh mapped to the same 68
points, in flow-image pixels."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from microau import cli
from microau.io.landmarks_csv import read_landmarks
from microau.preprocess import landmarks
from microau.preprocess.crop import FaceNotFoundError, crop_pair, shared_detector
from microau.preprocess.images import write_image
from microau.preprocess.landmarks import MEDIAPIPE_TO_IBUG68, dlib_model_path, face_landmarks68

needs_mediapipe = pytest.mark.skipif(
    importlib.util.find_spec("mediapipe") is None, reason="the optional mediapipe extra is not installed"
)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def face(astronaut: np.ndarray) -> tuple[int, int, int, int]:
    """The pipeline's face box of the photograph (dlib's detector), as (left, top, right, bottom)."""
    detection = shared_detector().detect(astronaut)
    return (
        round(detection.x),
        round(detection.y),
        round(detection.x + detection.width),
        round(detection.y + detection.height),
    )


@pytest.fixture(scope="module", params=["dlib", pytest.param("mediapipe", marks=needs_mediapipe)])
def method(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def points(astronaut: np.ndarray, face: tuple[int, int, int, int], method: str) -> np.ndarray:
    return face_landmarks68(astronaut, method, face)


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


@needs_mediapipe
def test_the_methods_agree_closely_inside_the_face_and_loosely_on_the_jaw(astronaut: np.ndarray, face: tuple) -> None:
    """Distances in eye-corner distances (points 36 to 45): the jaw line is placed differently by
    the two models (the mesh follows the face outline further out), the inner points agree."""
    dlib_points = face_landmarks68(astronaut, "dlib", face)
    mesh_points = face_landmarks68(astronaut, "mediapipe")
    eye_distance = np.linalg.norm(dlib_points[45] - dlib_points[36])
    distances = np.linalg.norm(dlib_points - mesh_points, axis=1) / eye_distance
    assert distances[17:].max() < 0.1 and distances[:17].max() < 0.3


def test_the_dlib_model_is_located_without_importing_its_package() -> None:
    path = dlib_model_path()
    assert path.name == "shape_predictor_68_face_landmarks.dat" and path.stat().st_size > 90_000_000


def test_a_missing_dlib_model_names_the_package_and_the_alternative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install face-recognition-models .*landmarks.method: mediapipe"):
        dlib_model_path()


def crops_of(photo: np.ndarray, folder: Path) -> tuple[Path, Path]:
    """The astronaut cut to a 256 crop as `microau frames` cuts it: apex.png and its box.json."""
    source = folder / "photo.png"
    write_image(source, photo)
    _, apex, info = crop_pair("s", source, source, 256, 0.25)
    write_image(folder / "apex.png", apex)
    (folder / "box.json").write_text(json.dumps(info))
    return folder / "apex.png", folder / "box.json"


def test_cli_runs_dlib_on_the_crop_face_box(tmp_path: Path, astronaut: np.ndarray, face: tuple) -> None:
    apex, box = crops_of(astronaut, tmp_path)
    out = tmp_path / "lm.csv"
    assert (
        landmarks.main(
            ["--apex", str(apex), "--method", "dlib", "--box", str(box), "--image-size", "224", "--out", str(out)]
        )
        == 0
    )
    info = json.loads(box.read_text())
    scale = 224 / info["box"]["size"]
    in_photo = read_landmarks(out) / scale + np.array([info["box"]["x"], info["box"]["y"]])
    eye_distance = np.linalg.norm(in_photo[45] - in_photo[36])
    # The same predictor on the same face box, once in the 512 px photo and once in the 256 px crop.
    direct = face_landmarks68(astronaut, "dlib", face)
    assert np.linalg.norm(in_photo - direct, axis=1).max() < 0.05 * eye_distance


@needs_mediapipe
def test_cli_scales_mediapipe_points_to_flow_image_pixels(tmp_path: Path, astronaut: np.ndarray) -> None:
    apex = tmp_path / "apex.png"
    write_image(apex, astronaut)
    out = tmp_path / "lm.csv"
    assert landmarks.main(["--apex", str(apex), "--method", "mediapipe", "--image-size", "224", "--out", str(out)]) == 0
    np.testing.assert_allclose(read_landmarks(out), face_landmarks68(astronaut, "mediapipe") * 224 / 512, atol=0.01)


def test_dlib_without_a_box_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        landmarks.main(
            [
                "--apex",
                str(tmp_path / "apex.png"),
                "--method",
                "dlib",
                "--image-size",
                "224",
                "--out",
                str(tmp_path / "lm.csv"),
            ]
        )
    assert exit_.value.code == 2
    assert "--method dlib needs --box" in capsys.readouterr().err


def test_a_bad_box_file_gives_one_line(tmp_path: Path, astronaut: np.ndarray, capsys) -> None:
    apex, _ = crops_of(astronaut, tmp_path)
    for box, expected in ((tmp_path / "nope.json", "cannot read face box"), (apex, "is not a box.json")):
        argv = ["landmarks", "--apex", str(apex), "--method", "dlib", "--box", str(box), "--image-size", "224"]
        assert cli.main([*argv, "--out", str(tmp_path / "lm.csv")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("microau landmarks: error: ") and expected in err[0]


@needs_mediapipe
def test_no_face_for_the_mesh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(FaceNotFoundError):
        face_landmarks68(np.zeros((256, 256, 3), np.uint8), "mediapipe")
    blank = tmp_path / "blank.png"
    write_image(blank, np.zeros((256, 256, 3), np.uint8))
    argv = ["landmarks", "--apex", str(blank), "--method", "mediapipe", "--image-size", "224"]
    assert cli.main([*argv, "--out", str(tmp_path / "lm.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("microau landmarks: error: no face") and str(blank) in err[0]


def test_mediapipe_without_its_extra_is_one_line_naming_the_extra(
    tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # `import mediapipe` now raises ImportError
    landmarks.shared_mesh.cache_clear()
    apex = tmp_path / "apex.png"
    write_image(apex, astronaut)
    argv = ["landmarks", "--apex", str(apex), "--method", "mediapipe", "--image-size", "224"]
    assert cli.main([*argv, "--out", str(tmp_path / "lm.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("microau landmarks: error: landmarks.method: mediapipe needs mediapipe")
    assert "pip install -e .[mediapipe]" in err[0]
    landmarks.shared_mesh.cache_clear()
