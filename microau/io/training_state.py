"""A training run's saved state, so that a killed run resumes: `training_state.pt` in its run folder.

`microau train` writes it (atomically) at the end of the first epoch `train.checkpoint_seconds` after
its last save (0: every epoch), reads it back when the same run starts again, and removes it once
the run's own files (`microau.io.fold_files`) are written, so a finished run folder holds only
those. A state saved under other settings, options, held-out subject or feature cache (its
fingerprint differs) is not resumed: the run starts afresh.

The file is no declared output of the train or final_model rule, so Snakemake keeps it: before
rerunning a job, Snakemake deletes that job's declared outputs (the four files, which are written
only when training has finished) and nothing else in the folder; `rerun-incomplete` reruns such a
job the same way.

Layout: a `torch.save`d dict with
- `fingerprint`: `run_fingerprint` of the run;
- `epoch`: the last finished epoch, and `history`: the history rows of epochs 1 to `epoch`;
- `model`, `optimizer`, `scheduler`: their state_dicts;
- `logit_scale`: the contrastive logit scale (trained under `train.temperature: learned`);
- `rng`: the random generators' states (`capture_rng`): torch's CPU and CUDA generators, the
  generator that orders each epoch's samples, numpy's and Python's.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from microau.errors import MicroauError
from microau.io.atomic import atomic_path

STATE_PT = "training_state.pt"


class TrainingStateError(MicroauError):
    """A run folder's training_state.pt cannot be read; the message names it."""


@dataclass
class TrainingState:
    """What a run needs to go on after its epoch `epoch` (layout in the module docstring)."""

    fingerprint: str
    epoch: int
    history: list[dict]
    model: dict
    optimizer: dict
    scheduler: dict
    logit_scale: torch.Tensor
    rng: dict


def run_fingerprint(caches: Sequence[Path], held_out: str | None, settings: dict, options: dict) -> str:
    """sha256 of what decides a run's training: its settings, model options, held-out subject (or
    dataset) and the bytes of its feature caches, in order (one, or several pooled for a protocol);
    the device is not among them: it does not change the run."""
    digest = hashlib.sha256(json.dumps([settings, options, held_out], sort_keys=True).encode())
    for cache in caches:
        with open(cache, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def capture_rng(order: torch.Generator) -> dict:
    """The states of every random generator training draws from; `order` shuffles the epochs."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "order": order.get_state(),
        "numpy": numpy_state(),
        "python": random.getstate(),
    }


def numpy_state() -> dict:
    """numpy's global generator state, in types `torch.load(weights_only=True)` reads back."""
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    return {
        "name": name,
        "keys": torch.from_numpy(keys.astype(np.int64)),
        "position": int(position),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached_gaussian),
    }


def restore_rng(rng: dict, order: torch.Generator) -> None:
    """Put back the generator states `capture_rng` took."""
    torch.set_rng_state(rng["torch"])
    if rng["cuda"]:
        torch.cuda.set_rng_state_all(rng["cuda"])
    order.set_state(rng["order"])
    saved = rng["numpy"]
    np.random.set_state(
        (
            saved["name"],
            saved["keys"].numpy().astype(np.uint32),
            saved["position"],
            saved["has_gauss"],
            saved["cached_gaussian"],
        )
    )
    random.setstate(rng["python"])


def write_state(out_dir: str | Path, state: TrainingState) -> None:
    """training_state.pt of a run folder, replaced atomically: a kill leaves the previous epoch's."""
    # Not dataclasses.asdict: its deep copy rebuilds a Counter (the schedule's milestones) from
    # (key, count) pairs, which counts the pairs instead.
    with atomic_path(Path(out_dir) / STATE_PT) as tmp:
        torch.save({field.name: getattr(state, field.name) for field in fields(state)}, tmp)


def read_state(out_dir: str | Path, fingerprint: str) -> TrainingState | None:
    """The saved state of the run with `fingerprint`, or None when the folder holds none of it
    (no file, or one saved by a run with other settings or inputs)."""
    path = Path(out_dir) / STATE_PT
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many types (pickle, zip, EOF) for a foreign file
        raise TrainingStateError(
            f"cannot read {path} ({type(error).__name__}): not a state `microau train` saved; delete it to start afresh"
        ) from error
    if not isinstance(saved, dict) or saved.get("fingerprint") != fingerprint:
        return None
    return TrainingState(**saved)


def remove_state(out_dir: str | Path) -> None:
    """Remove a finished run's saved state."""
    (Path(out_dir) / STATE_PT).unlink(missing_ok=True)
