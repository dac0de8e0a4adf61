"""The decision rule: an AU is on when the model's P(on) exceeds AU_THRESHOLD.

This is the argmax of the two-way softmax P_n of Eq. 9 (on vs off), fixed and never tuned on a
held-out subject; every table, CSV row, review page and ELAN export takes its AUs on from here.
"""

from collections.abc import Mapping

import numpy as np

AU_THRESHOLD = 0.5


def is_on(probability: float) -> bool:
    """Whether one AU with this P(on) is on."""
    return probability > AU_THRESHOLD


def active_aus(probabilities: Mapping[str, float]) -> list[str]:
    """The AUs on, in the order given: {AU name: P(on)} -> names."""
    return [au for au, p in probabilities.items() if is_on(p)]


def on_matrix(probabilities: np.ndarray) -> np.ndarray:
    """0/1 (int) of an array of P(on), element by element."""
    return (np.asarray(probabilities) > AU_THRESHOLD).astype(int)
