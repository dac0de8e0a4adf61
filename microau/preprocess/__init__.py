"""Per-sample preprocessing stages: crop, magnify, flow, landmarks.

None of these modules imports torch: a preprocessing job should start in well under a second.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import cv2
import numpy as np

if TYPE_CHECKING:
    from mediapipe.python.solution_base import SolutionBase


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence file descriptor 2 while mediapipe builds and runs its graphs.

    mediapipe's C++ side (absl, TFLite) prints INFO/WARNING lines straight to fd 2 before any
    Python logging setting applies; a stage that fails must print one readable line, not those.
    Python exceptions are unaffected: they are printed after the descriptor is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


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


Solution = TypeVar("Solution", bound=QuietSolution)


def process_shared(cls: type[Solution]) -> Callable[[], Solution]:
    """A factory of one process-wide instance of `cls`, built on first use and closed at exit."""

    @functools.cache
    def shared() -> Solution:
        instance = cls()
        atexit.register(instance.close)
        return instance

    return shared


def parse_stage_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse a preprocessing command's arguments, adding --threads: OpenCV otherwise starts a
    thread per core in every job, and Snakemake's parallel per-sample jobs oversubscribe the cores."""
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads of this job (default 1)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    return args
