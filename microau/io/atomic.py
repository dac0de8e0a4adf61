"""Writing a file under a temporary name and moving it into place.

A killed job, or a reader running beside the writer, then never sees half a file under the final
name: Snakemake reruns a job whose output is missing, never one whose output is truncated.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` (its folder is created) to write to; it replaces `path` when
    the block ends without an exception and is removed when it raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """`open(path, mode, **kwargs)` on a temporary name, moved into place as `atomic_path` does."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
