"""`microau landmarks`: 68 iBUG/dlib landmarks of the apex crop, in flow-image pixels.

The paper uses dlib's 68-point predictor, whose model file is not redistributable here; mediapipe's
468-point face mesh ships with its wheel, so its points are mapped to the 68-point convention
(0-based: 0-16 jaw, 17-21 right brow, 22-26 left brow, 27-35 nose, 36-41 right eye, 42-47 left
eye, 48-59 outer lip, 60-67 inner lip; "right" is the subject's right, the image's left).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from microau.preprocess import QuietSolution, parse_stage_args, process_shared
from microau.preprocess.crop import FaceNotFoundError
from microau.preprocess.images import read_image

PROG = "microau landmarks"

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
        import mediapipe as mp

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


def face_landmarks68(image: np.ndarray, mesh: FaceMesh68 | None = None, name: str = "image") -> np.ndarray:
    """(68, 2) landmarks of a BGR image in its own pixels; FaceNotFoundError names `name`."""
    points = (mesh or shared_mesh()).detect(image)
    if points is None:
        raise FaceNotFoundError(f"no face found by the face mesh in {name}")
    return points


def write_landmarks_csv(path: Path, points: np.ndarray) -> None:
    """`point,x,y` with 68 rows, the format the feature cache reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["point,x,y"] + [f"{i},{x:.3f},{y:.3f}" for i, (x, y) in enumerate(points)]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--apex", type=Path, required=True, help="apex crop (PNG from `microau frames`)")
    parser.add_argument("--image-size", type=int, default=224, help="side of the flow image the points are scaled to")
    parser.add_argument("--out", type=Path, required=True, help="CSV with columns point,x,y")
    args = parse_stage_args(parser, argv)
    try:
        apex = read_image(args.apex)
        points = face_landmarks68(apex, name=str(args.apex))
        height, width = apex.shape[:2]
        points = points * np.array([args.image_size / width, args.image_size / height], dtype=np.float32)
        write_landmarks_csv(args.out, points)
    except (ValueError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
