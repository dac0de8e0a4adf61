"""Reading a video's frames and frame rate through OpenCV, FFmpeg's own messages silenced: the one
place clips, long videos, ELAN media and table rows are decoded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.preprocess.stage import quiet_native_stderr


class VideoError(MicroauError):
    """A video that is not there; the message names it."""


def video_fps(path: Path) -> float:
    """A video's frame rate as its container states it (0.0 when OpenCV cannot open it)."""
    with quiet_native_stderr():
        capture = cv2.VideoCapture(str(path))
    try:
        return float(capture.get(cv2.CAP_PROP_FPS)) if capture.isOpened() else 0.0
    finally:
        capture.release()


def video_frames(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """(number, BGR frame) of a video in order, from 0: seeking is not frame-exact with every codec,
    and micro-expression clips are short. A file OpenCV cannot decode gives no frame."""
    if not path.is_file():
        raise VideoError(f"cannot read video {path}: no such file")
    with quiet_native_stderr():  # FFmpeg reports a bad file on fd 2 before OpenCV returns
        capture = cv2.VideoCapture(str(path))
    try:
        number = 0
        while capture.isOpened():
            with quiet_native_stderr():
                ok, frame = capture.read()
            if not ok:
                return
            yield number, frame
            number += 1
    finally:
        capture.release()
