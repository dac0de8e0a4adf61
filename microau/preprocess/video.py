"""Video and frame-folder reading and writing, the one place it happens: clips, long videos, ELAN
media, table rows and the generators all decode, list and write through these functions. OpenCV
decodes; FFmpeg's own messages are silenced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.preprocess.stage import quiet_native_stderr

VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".m4v", ".wmv")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
_TRAILING_NUMBER = re.compile(r"(\d+)$")


class VideoError(MicroauError):
    """A video or frame folder that is not there or cannot be read or written; the message names it."""


def natural_key(name: str) -> list:
    """img2.jpg before img10.jpg: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def folder_images(folder: Path) -> list[Path]:
    """The image files of a folder in natural order of their names."""
    return sorted((p for p in folder.iterdir() if is_image(p)), key=lambda p: (natural_key(p.name), p.name))


def trailing_number(path: Path) -> int | None:
    """The number a file's name ends with before its suffix (`img12.jpg`: 12), or None."""
    match = _TRAILING_NUMBER.search(path.stem)
    return int(match.group(1)) if match else None


def numbered_images(folder: Path) -> tuple[dict[int, Path], list[tuple[int, Path, Path]]]:
    """Frame number (the trailing number of an image's name) -> image of a frame folder, and each
    (number, kept, other) where two images carry one number: the first in natural order is kept."""
    frames: dict[int, Path] = {}
    clashes: list[tuple[int, Path, Path]] = []
    for path in folder_images(folder):
        number = trailing_number(path)
        if number is None:
            continue
        if number in frames:
            clashes.append((number, frames[number], path))
            continue
        frames[number] = path
    return frames, clashes


def frame_files(folder: Path) -> list[Path]:
    """A frame folder's numbered images in the order of their numbers."""
    frames, _ = numbered_images(folder)
    if not frames:
        raise VideoError(f"{folder} holds no numbered frames ({', '.join(IMAGE_SUFFIXES)})")
    return [frames[number] for number in sorted(frames)]


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


class VideoSource:
    """A long video: a video file (its own frame rate) or a folder of numbered frames (`fps` given).
    Frames are numbered from 0 in order; `read(stride)` yields every stride-th as BGR."""

    def __init__(self, path: Path, fps: float | None = None) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            if not fps:
                raise VideoError(f"{path} is a frame folder: give its frame rate")
            self.files: list[Path] | None = frame_files(self.path)
            self.fps, self.count = float(fps), len(self.files)
            return
        if not self.path.is_file():
            raise VideoError(f"cannot read video {path}: no such file or folder")
        self.files = None
        with quiet_native_stderr():
            capture = cv2.VideoCapture(str(self.path))
        self.fps = float(fps or capture.get(cv2.CAP_PROP_FPS))
        self.count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        if self.count <= 0 or self.fps <= 0:
            raise VideoError(f"cannot read video {path}: not a video OpenCV can decode")

    def read(self, stride: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        if self.files is not None:
            for number in range(0, self.count, stride):
                frame = cv2.imread(str(self.files[number]), cv2.IMREAD_COLOR)
                if frame is None:
                    raise VideoError(f"cannot read frame {self.files[number]}")
                yield number, frame
            return
        for number, frame in video_frames(self.path):
            if number % stride == 0:
                yield number, frame


class VideoWriter:
    """An MJPG AVI written frame by frame (what a webcam or a lab camera often writes): the one
    writer of the generators, the benches and the photograph clips. OpenCV's FFmpeg backend takes
    no quality setting for MJPG (VIDEOWRITER_PROP_QUALITY leaves the bytes unchanged), so none is set."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
        if not self._writer.isOpened():
            raise VideoError(f"OpenCV cannot write MJPG video to {path}")

    def write(self, frame: np.ndarray) -> None:
        self._writer.write(np.ascontiguousarray(frame))

    def close(self) -> None:
        self._writer.release()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """A list of frames as one MJPG AVI."""
    with VideoWriter(path, fps, frames[0].shape[1::-1]) as writer:
        for frame in frames:
            writer.write(frame)
    return path
