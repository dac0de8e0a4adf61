"""mediapipe, the optional extra (`pip install -e .[mediapipe]`): imported only here, for
`landmarks.method: mediapipe` and `microau landmark-agreement`.

Its face mesh lives in mediapipe's legacy `solutions` API (releases up to 0.10.21 ship it; that
release needs numpy<2), so the default install detects faces and landmarks with dlib instead.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.preprocess.stage import quiet_native_stderr

if TYPE_CHECKING:
    from mediapipe.python.solution_base import SolutionBase

EXTRA = "pip install -e .[mediapipe]"


class MediapipeMissingError(MicroauError):
    """mediapipe (the optional extra) is not installed; the message names the extra."""


def import_mediapipe() -> ModuleType:
    """The mediapipe module, or a one-line MediapipeMissingError naming the extra."""
    try:
        import mediapipe
    except ImportError as error:
        raise MediapipeMissingError(
            f"landmarks.method: mediapipe needs mediapipe, an optional extra: {EXTRA} ({error})"
        ) from error
    return mediapipe


def warm_up(solution: SolutionBase) -> None:
    """Run a mediapipe solution once on a blank image, inside `quiet_native_stderr`.

    A graph initialises its models on a background thread after construction and logs while doing
    so; one blocking call makes that happen now, while fd 2 is silenced, instead of later.
    """
    solution.process(np.zeros((64, 64, 3), np.uint8))


class QuietSolution:
    """A mediapipe solution built, warmed up and run with fd 2 silenced, reused for many images."""

    def __init__(self, build: Callable[[], SolutionBase]) -> None:
        with quiet_native_stderr():
            self._solution = build()
            warm_up(self._solution)

    def process_bgr(self, image_bgr: np.ndarray):
        rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
        with quiet_native_stderr():
            return self._solution.process(rgb)

    def close(self) -> None:
        self._solution.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
