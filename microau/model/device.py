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

The number format a job computes in is `train.precision` (PRECISIONS), a training setting: `fp32`,
or torch's autocast to `bf16` (a CPU with native bfloat16, AVX-512 BF16 or AMX, or a GPU that
has it) or to `fp16` (GPUs only, with a gradient scaler: fp16 gradients underflow unscaled).
`check_precision` refuses a format the device lacks rather than emulate it at a fraction of fp32's speed.
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
PRECISIONS = ("fp32", "bf16", "fp16")
LOCK_DIR_ENV = "MICROAU_GPU_LOCK_DIR"
VISIBLE_ENV = "CUDA_VISIBLE_DEVICES"


class DeviceError(MicroauError):
    """--device names no device this job can use; the message names the flag and the reason."""


class PrecisionError(MicroauError):
    """train.precision names a number format the job's device cannot compute in; the message says which."""


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX tiles), as torch's own kernels test it."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def check_precision(device: torch.device, precision: str) -> None:
    """PrecisionError unless `device` computes in `precision` (module docstring)."""
    if precision not in PRECISIONS:
        raise PrecisionError(f"train.precision {precision!r}: choose {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return
    if device.type == "cuda":
        if precision == "bf16" and not torch.cuda.is_bf16_supported():
            raise PrecisionError(f"train.precision bf16: {describe(device)} has no bfloat16 (choose fp16 or fp32)")
        return
    if precision == "fp16":
        raise PrecisionError(f"train.precision fp16 needs a CUDA GPU (this job runs on {device}); choose bf16 or fp32")
    if not cpu_has_bf16():
        raise PrecisionError("train.precision bf16: this CPU has no native bfloat16 (AVX-512 BF16 or AMX); choose fp32")


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """torch's autocast to `precision` on `device`; fp32 disables it (every operation as written)."""
    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    return torch.autocast(device.type, dtype=dtype, enabled=precision != "fp32")


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """The loss scaler of fp16 training; for fp32 and bf16 a disabled one (scale, step, update pass through)."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


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
