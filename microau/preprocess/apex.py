"""The apex of a clip whose apex is not coded (or is coded outside onset..offset): the frame of
largest motion from the onset, as the community replaces such apexes (e.g. MEB).

Each frame after the onset is compared with the onset by a cheap dense flow (Farneback, OpenCV's
documented parameters) on grey frames cut to the face box and reduced to ANALYSIS_SIDE px, which
averages sensor noise away while AU regions keep a few pixels. The frame's gain is matched to the
onset's first (flicker is not motion), the median flow is removed (head translation, as in the flow
stage), and the motion of the frame is the 90th percentile of the remaining magnitude: AU motion
covers a small part of the face, and a mean over the box would be diluted by still skin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from microau.preprocess.crop import Detection, FaceDetector, shared_detector, square_box
from microau.preprocess.images import match_gain, to_gray

ANALYSIS_SIDE = 96
BOX_MARGIN = 0.1
MOTION_PERCENTILE = 90


@dataclass
class MotionApex:
    """The chosen frame and its image (kept while reading, so a video is decoded once), each
    candidate's motion (frame number -> flow magnitude in analysis pixels), and whether the face
    box was found (else the whole frame was measured)."""

    frame: int
    image: np.ndarray
    motion: dict[int, float]
    face_found: bool


def analysis_box(onset: np.ndarray, detector: FaceDetector | None = None) -> tuple[tuple[int, int, int], bool]:
    """Square (x, y, side) around the face detected on the onset, or the whole frame's centre square."""
    height, width = onset.shape[:2]
    detection = (detector or shared_detector()).detect(onset)
    if detection is None:
        return square_box(Detection(0, 0, width, height, 0.0), 0.0, width, height), False
    return square_box(detection, BOX_MARGIN, width, height), True


def reduce(image: np.ndarray, box: tuple[int, int, int]) -> np.ndarray:
    """The box of a frame, grey, at ANALYSIS_SIDE px (area filter: it averages noise)."""
    x, y, side = box
    patch = to_gray(image)[y : y + side, x : x + side]
    return cv2.resize(patch, (ANALYSIS_SIDE, ANALYSIS_SIDE), interpolation=cv2.INTER_AREA)


def motion_from(onset: np.ndarray, frame: np.ndarray) -> float:
    """Local motion of a reduced grey frame against the reduced grey onset (see the module docstring)."""
    flow = cv2.calcOpticalFlowFarneback(onset, match_gain(onset, frame), None, 0.5, 3, 15, 3, 5, 1.2, 0)
    u = flow[..., 0] - np.median(flow[..., 0])
    v = flow[..., 1] - np.median(flow[..., 1])
    return float(np.percentile(np.hypot(u, v), MOTION_PERCENTILE))


def motion_apex(
    onset: np.ndarray, frames: Iterable[tuple[int, np.ndarray]], detector: FaceDetector | None = None
) -> MotionApex:
    """The frame of largest motion from the onset among `frames` ((number, BGR image) pairs, read
    one at a time so that a long clip is never held in memory); the earliest wins a tie."""
    box, face_found = analysis_box(onset, detector)
    reference = reduce(onset, box)
    motion: dict[int, float] = {}
    best: tuple[int, np.ndarray] | None = None
    for number, frame in frames:
        if frame.shape != onset.shape:
            sizes = [f"{image.shape[1]}x{image.shape[0]}" for image in (frame, onset)]
            raise ValueError(f"frame {number} is {sizes[0]} but the onset is {sizes[1]}")
        motion[number] = motion_from(reference, reduce(frame, box))
        if best is None or (motion[number], -number) > (motion[best[0]], -best[0]):
            best = number, frame
    if best is None:
        raise ValueError("no frame after the onset to find the apex in")
    return MotionApex(best[0], best[1], motion, face_found)
