"""Which torch device a job runs on: one convention for `microau train`, `features` and `predict`.

`--device` takes `auto`, `cpu`, `cuda` or `cuda:N`:

- `cpu` is the CPU; `cuda:N` is GPU N as this process sees it, taken as given.
- `cuda` and `auto` take a GPU this job may use, and `auto` takes the CPU where torch sees no GPU
  (`cuda` then is an error). Which GPU:
  - when CUDA_VISIBLE_DEVICES is set (SLURM sets it to the GPUs it gave the job; a user may set it
    too), the job uses the first GPU it was given, `cuda:0`: the scheduler already chose it;
  - otherwise every GPU of the machine is visible, and the job claims a free one: it takes an
    exclusive, non-blocking `flock` on `gpu<N>.lock` in LOCK_DIR_ENV's folder (default
    `<tempdir>/microau-gpu-locks`), trying N = 0, 1, ... in turn, and holds it for its life. So
    concurrent jobs on one workstation (`snakemake --resources gpu=N`) take different GPUs; the
    kernel drops the lock when the process ends, killed or not, so no claim outlives its job.
    With every GPU claimed the job stops with DeviceError rather than share one.

The device decides where a job computes, not what it computes: it is no training setting (a
changed device retrains nothing), and `model.pt` records where it was made (`describe`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import torch

from microau.errors import MicroauError

CHOICES = "auto, cpu, cuda or cuda:N"
LOCK_DIR_ENV = "MICROAU_GPU_LOCK_DIR"
VISIBLE_ENV = "CUDA_VISIBLE_DEVICES"


class DeviceError(MicroauError):
    """--device names no device this job can use; the message names the flag and the reason."""


def lock_dir() -> Path:
    """The folder of the per-GPU claim files: $MICROAU_GPU_LOCK_DIR, else one in the temp folder
    (local to the machine, shared by its users)."""
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "microau-gpu-locks")


def parse_device(name: str) -> tuple[str, int | None]:
    """('auto'|'cpu'|'cuda', index or None) of a --device value; anything else is a DeviceError."""
    match = re.fullmatch(r"(auto|cpu|cuda)(?::(\d+))?", name)
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise DeviceError(f"--device {name!r}: choose {CHOICES}")
    index = match.group(2)
    return match.group(1), None if index is None else int(index)


def open_claim(index: int, folder: Path) -> int | None:
    """An open descriptor holding the exclusive lock of GPU `index`, or None when another job holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gpu{index}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    with contextlib.suppress(PermissionError):  # let other users' jobs open the file too
        os.fchmod(descriptor, 0o666)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{os.getpid()}\n".encode())
    return descriptor


@contextlib.contextmanager
def claimed_device(name: str) -> Iterator[torch.device]:
    """The device `--device name` gives this job (module docstring), held until the block ends."""
    kind, index = parse_device(name)
    if kind == "cpu":
        yield torch.device("cpu")
        return
    if not torch.cuda.is_available():
        if kind == "auto":
            yield torch.device("cpu")
            return
        raise DeviceError(f"--device {name}: torch sees no CUDA device (use --device auto or cpu)")
    count = torch.cuda.device_count()
    if index is not None:
        if index >= count:
            raise DeviceError(f"--device {name}: this process sees {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
        yield torch.device("cuda", index)
        return
    if os.environ.get(VISIBLE_ENV):
        yield torch.device("cuda", 0)
        return
    folder = lock_dir()
    for candidate in range(count):
        descriptor = open_claim(candidate, folder)
        if descriptor is None:
            continue
        try:
            torch.cuda.set_device(candidate)
            yield torch.device("cuda", candidate)
        finally:
            os.close(descriptor)
        return
    raise DeviceError(
        f"--device {name}: all {count} GPUs are claimed by other jobs (locks in {folder}); "
        f"run at most {count} GPU jobs at once (snakemake --resources gpu={count})"
    )


def describe(device: torch.device) -> str:
    """Where a result was made, as model.pt records it: `cpu`, or `cuda:N (<GPU name>)` and, when
    set, the CUDA_VISIBLE_DEVICES that numbers the GPUs."""
    if device.type != "cuda":
        return str(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    visible = os.environ.get(VISIBLE_ENV)
    given = f", {VISIBLE_ENV}={visible}" if visible else ""
    return f"cuda:{index} ({torch.cuda.get_device_name(index)}{given})"
