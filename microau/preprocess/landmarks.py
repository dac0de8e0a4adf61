"""`microau landmarks`: 68 iBUG/dlib landmarks of the apex crop, in flow-image pixels.

Two methods give the same 68-point convention (0-based: 0-16 jaw, 17-21 right brow, 22-26 left
brow, 27-35 nose, 36-41 right eye, 42-47 left eye, 48-59 outer lip, 60-67 inner lip; "right" is
the subject's right, the image's left), so Table I's indices mean the same under either:

- `dlib` (default, the paper's tool): dlib's 68-point shape predictor
  (`shape_predictor_68_face_landmarks.dat`, shipped by the face-recognition-models package), run
  on the face box the pipeline detected (box.json of `microau frames`), not on a second detector's.
  The model was trained on iBUG 300-W, whose licence excludes commercial use.
- `mediapipe`: mediapipe's 468-point face mesh (it ships with its wheel, Apache licence; an
  optional extra, `pip install -e .[mediapipe]`) on the whole crop, its vertices mapped to the 68
  points by the table below.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.landmarks_csv import write_landmarks
from microau.preprocess.crop import FaceNotFoundError, read_face_in_crop
from microau.preprocess.images import read_image
from microau.preprocess.mediapipe_solution import QuietSolution, import_mediapipe
from microau.preprocess.stage import parse_stage_args, process_shared

if TYPE_CHECKING:
    import dlib

PROG = "microau landmarks"
METHODS = ("dlib", "mediapipe")
DLIB_MODEL = "shape_predictor_68_face_landmarks.dat"


class LandmarkError(MicroauError):
    """The landmark method or the face box it was given cannot be used; the message says why."""


# Face-mesh vertex of each of the 68 iBUG points, after the correspondence published in
# PeizhiYan/Mediapipe_2_Dlib_Landmarks, where a few points average two vertices. Here each point is
# one vertex, so: nose 27 -> 168 and 28 -> 197, jaw 3 -> 132, 4 -> 58, 5 -> 172 (mirrored 13 -> 361,
# 12 -> 288, 11 -> 397), which keeps the jaw points evenly spaced; nose base 31-35 -> 98, 97, 2, 326,
# 327. Checked by drawing the numbered points on skimage's astronaut face.
# fmt: off
MEDIAPIPE_TO_IBUG68: tuple[int, ...] = (
    127, 234, 93, 132, 58, 172, 150, 176, 152, 400, 379, 397, 288, 361, 323, 454, 356,  # jaw 0-16
    70, 63, 105, 66, 107,  # right brow 17-21
    336, 296, 334, 293, 300,  # left brow 22-26
    168, 197, 5, 4,  # nose bridge 27-30
    98, 97, 2, 326, 327,  # nose base 31-35
    33, 160, 158, 133, 153, 144,  # right eye 36-41
    362, 385, 387, 263, 373, 380,  # left eye 42-47
    61, 39, 37, 0, 267, 269, 291, 321, 314, 17, 84, 91,  # outer lip 48-59
    78, 82, 13, 312, 308, 317, 14, 87,  # inner lip 60-67
)
# fmt: on


class FaceMesh68(QuietSolution):
    """One mediapipe face mesh (static images, one face), reused for many images."""

    def __init__(self) -> None:
        mp = import_mediapipe()
        super().__init__(lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1))

    def detect(self, image_bgr: np.ndarray) -> np.ndarray | None:
        """(68, 2) float32 landmarks in the image's pixels, or None when no face is found."""
        height, width = image_bgr.shape[:2]
        result = self.process_bgr(image_bgr)
        if not result.multi_face_landmarks:
            return None
        mesh = result.multi_face_landmarks[0].landmark
        return np.array([[mesh[i].x * width, mesh[i].y * height] for i in MEDIAPIPE_TO_IBUG68], dtype=np.float32)


shared_mesh = process_shared(FaceMesh68)


def installed_methods() -> tuple[str, ...]:
    """The landmark methods this environment can run: mediapipe only where its extra is installed."""
    return tuple(method for method in METHODS if method != "mediapipe" or importlib.util.find_spec("mediapipe"))


def dlib_model_path() -> Path:
    """Where face-recognition-models installed dlib's 68-point model. The package is located, not
    imported: its __init__ imports pkg_resources, which current setuptools no longer has."""
    spec = importlib.util.find_spec("face_recognition_models")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "models" / DLIB_MODEL
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"dlib's 68-point model {DLIB_MODEL} is not installed: pip install face-recognition-models "
        "(or set landmarks.method: mediapipe)"
    )


@functools.cache
def shared_shape_predictor() -> dlib.shape_predictor:
    """dlib's 68-point shape predictor, loaded once per process (0.4 s)."""
    import dlib

    return dlib.shape_predictor(str(dlib_model_path()))


def dlib_landmarks68(image: np.ndarray, face: tuple[int, int, int, int]) -> np.ndarray:
    """(68, 2) float32 landmarks of a BGR image, from dlib's predictor on the face box (left, top,
    right, bottom) in the image's pixels."""
    import dlib

    left, top, right, bottom = face
    if right <= left or bottom <= top:
        raise LandmarkError(f"the face box {face} is empty")
    rgb = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    shape = shared_shape_predictor()(rgb, dlib.rectangle(left, top, right, bottom))
    return np.array([[part.x, part.y] for part in shape.parts()], dtype=np.float32)


def face_landmarks68(
    image: np.ndarray,
    method: str,
    face: tuple[int, int, int, int] | None = None,
    mesh: FaceMesh68 | None = None,
    name: str = "image",
) -> np.ndarray:
    """(68, 2) landmarks of a BGR image in its own pixels. `dlib` needs the face box `face`;
    `mediapipe` finds the face itself, and FaceNotFoundError names `name` when it cannot."""
    if method == "dlib":
        if face is None:
            raise LandmarkError(f"dlib landmarks of {name} need its face box")
        return dlib_landmarks68(image, face)
    if method != "mediapipe":
        raise LandmarkError(f"unknown landmark method {method!r} (choose from {', '.join(METHODS)})")
    points = (mesh or shared_mesh()).detect(image)
    if points is None:
        raise FaceNotFoundError(f"no face found by the face mesh in {name}")
    return points


def flow_image_landmarks(
    apex_crop: np.ndarray,
    method: str,
    face: tuple[int, int, int, int] | None,
    image_size: int,
    mesh: FaceMesh68 | None = None,
    name: str = "the apex crop",
) -> np.ndarray:
    """The landmarks step of the per-sample chain: the 68 points of the apex crop scaled to the
    `image_size` flow image (x by its width, y by its height), as the stage command writes them."""
    points = face_landmarks68(apex_crop, method, face, mesh, name=name)
    height, width = apex_crop.shape[:2]
    return points * np.array([image_size / width, image_size / height], dtype=np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--apex", type=Path, required=True, help="apex crop (PNG from `microau frames`)")
    parser.add_argument("--method", choices=METHODS, required=True, help="landmark detector")
    parser.add_argument("--box", type=Path, help="box.json of the crop (`microau frames`); needed by dlib")
    parser.add_argument("--image-size", type=int, required=True, help="side of the flow image the points are scaled to")
    parser.add_argument("--out", type=Path, required=True, help="CSV with columns point,x,y")
    args = parse_stage_args(parser, argv)
    if args.method == "dlib" and args.box is None:
        parser.error("--method dlib needs --box (the box.json written with the crop)")
    apex = read_image(args.apex)
    face = read_face_in_crop(args.box) if args.method == "dlib" else None
    write_landmarks(args.out, flow_image_landmarks(apex, args.method, face, args.image_size, name=str(args.apex)))
    return 0
