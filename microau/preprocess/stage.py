"""What every per-sample stage command shares: one OpenCV thread by default, native libraries' stderr
silenced, one process-wide instance of a detector."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

import cv2


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence file descriptor 2 while native code runs (FFmpeg opening a video, mediapipe's graphs).

    Native libraries (FFmpeg; mediapipe's absl and TFLite) print INFO/WARNING lines straight to
    fd 2 before any Python logging setting applies; a stage that fails must print one readable
    line, not those.
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


Shared = TypeVar("Shared")


def process_shared(cls: type[Shared]) -> Callable[[], Shared]:
    """A factory of one process-wide instance of `cls`, built on first use and closed at exit
    (when it has a `close`)."""

    @functools.cache
    def shared() -> Shared:
        instance = cls()
        if hasattr(instance, "close"):
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
