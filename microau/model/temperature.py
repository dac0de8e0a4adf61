"""The temperature of the contrastive logits (Eq. 9-11), `train.temperature`.

- `model`: the CLIP weights' own, exp(-logit_scale), kept fixed (0.01 for OpenAI's ViT-B/32, whose
  logit_scale is ln 100; 0.07 for a random init, where open_clip sets ln(1/0.07)).
- `learned`: starts at the weights' own and is trained further with the encoder blocks, its scale
  clamped to [1, 100] after each step as open_clip's training clamps it.
- a number: that temperature, fixed.
"""

from __future__ import annotations

import argparse
import math

TEMPERATURE_READINGS = ("model", "learned")
MAX_LOGIT_SCALE = math.log(100)
"""open_clip's training clamps logit_scale to [0, ln 100]; a learned scale is held there too."""


def check_temperature(setting: object) -> None:
    """A reading in TEMPERATURE_READINGS or a positive number; anything else is a ValueError."""
    if isinstance(setting, str):
        if setting not in TEMPERATURE_READINGS:
            raise ValueError(
                f"temperature must be one of {list(TEMPERATURE_READINGS)} or a positive number, got '{setting}'"
            )
    elif isinstance(setting, bool) or not isinstance(setting, (int, float)) or not setting > 0:
        raise ValueError(
            f"temperature must be one of {list(TEMPERATURE_READINGS)} or a positive number, got {setting!r}"
        )


def is_learned(setting: object) -> bool:
    return setting == "learned"


def initial_logit_scale(setting: object, weights_logit_scale: float) -> float:
    """ln(1 / temperature) at the first step: the weights' own logit_scale, or that of a fixed number."""
    check_temperature(setting)
    if isinstance(setting, str):
        return weights_logit_scale
    return math.log(1.0 / setting)


def temperature_flag(text: str) -> str | float:
    """A `--temperature` flag: a reading or a positive number, else argparse's one-line error."""
    try:
        setting: str | float = float(text)
    except ValueError:
        setting = text
    try:
        check_temperature(setting)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return setting


def describe_temperature(setting: object) -> str:
    """The metadata line of a table: which temperature the contrastive loss used."""
    check_temperature(setting)
    if setting == "model":
        return "model: the CLIP weights' own exp(-logit_scale), fixed (0.01 for OpenAI ViT-B/32, 0.07 at random init)"
    if setting == "learned":
        return "learned: starts at the CLIP weights' own exp(-logit_scale), trained at the encoder learning rate"
    return f"{setting} (fixed)"
