"""Preparing many clips on every core: worker processes run a model-free function on each item
and hand the results back in the items' order, so the model, loaded once in the parent, is fed as
a one-job run feeds it and the output is the same.

Workers are spawned, not forked: the parent holds torch's thread pools, which a fork does not
carry safely. Each worker runs OpenCV on one thread, so N jobs use N cores rather than N times
OpenCV's pool; a one-job run stays in process with OpenCV's threads as they are (TV-L1's own
parallelism: docs/performance.md).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a batch scheduler sets it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def one_opencv_thread() -> None:
    import cv2

    cv2.setNumThreads(1)


def job_count(text: str) -> int:
    """The argparse type of --jobs: a whole number of at least 1 (0 or less is refused, not read as 1)."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, got '{text}'") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {jobs}")
    return jobs


def ordered_map(function: Callable[[Item], Result], items: Iterable[Item], jobs: int) -> Iterator[Result]:
    """function(item) for each item, in order: in this process for one job (or one item), else in
    up to `jobs` spawned workers, at most 2 * jobs items ahead of the one handed back. `function`
    must be importable by name (a module-level function) and catch what one item may fail with."""
    if jobs < 1:
        raise ValueError(f"jobs must be 1 or more, got {jobs}")
    items = list(items)
    jobs = min(jobs, len(items))
    if jobs <= 1:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=one_opencv_thread) as pool:
        waiting = iter(items)
        pending = deque(pool.submit(function, item) for item in islice(waiting, 2 * jobs))
        while pending:
            result = pending.popleft().result()
            for item in islice(waiting, 1):
                pending.append(pool.submit(function, item))
            yield result
