"""What one training run is given: the training settings the workflow fills from the config, and the
job around them (model options, output folder, device, checkpoints, the preprocessing record)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from microau.errors import MicroauError
from microau.model.device import PRECISIONS
from microau.model.losses import LABEL_MATRIX_TARGETS
from microau.model.micro_au_clip import ModelOptions
from microau.model.temperature import check_temperature

CONTRASTIVE = {"miaucl": "same_label", "local_origcl": "diagonal", "global_origcl": "global", "none": None}


@dataclass
class TrainSettings:
    """Every setting of one training run; the workflow fills each from the config (`microau.plan.workflow`)."""

    epochs: int
    batch_size: int
    lr_drop_epoch: int
    alpha: float
    beta: float
    seed: int
    momentum: float
    lr_encoder: float
    lr_head: float
    temperature: str | float
    contrastive: str
    label_matrix_target: str
    mer_classes: dict[str, list[int]]
    mer_combinations: dict[str, list[list[int]]]
    precision: str

    def __post_init__(self) -> None:
        check_temperature(self.temperature)
        if self.contrastive not in CONTRASTIVE:
            raise ValueError(f"contrastive must be one of {list(CONTRASTIVE)}, got '{self.contrastive}'")
        if self.label_matrix_target not in LABEL_MATRIX_TARGETS:
            raise ValueError(
                f"label_matrix_target must be one of {list(LABEL_MATRIX_TARGETS)}, got '{self.label_matrix_target}'"
            )
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}, got '{self.precision}'")


@dataclass
class TrainingJob:
    """One run's settings and where it runs: `device` (`microau.model.device.claimed_device`) is
    recorded in model.pt; `preprocess` (the frames, magnify, flow and landmarks settings) is stored
    there so that `microau predict` prepares a new clip as the training data was; the state is saved
    for a resume every `checkpoint_seconds` (`microau.training.loop.fit`)."""

    settings: TrainSettings
    options: ModelOptions
    out_dir: Path
    device: torch.device
    checkpoint_seconds: float
    log: Callable[[str], None] = print
    preprocess: dict | None = None


class SettingsError(MicroauError):
    """--settings, --options or --preprocess is not JSON, or names a field or value the run does not have."""
