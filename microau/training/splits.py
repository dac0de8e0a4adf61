"""Which samples a run trains on and which it predicts: leave one subject out, leave one dataset out
(cross-dataset), or every sample (the final model)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microau.errors import MicroauError
from microau.io.feature_cache import dataset_of


class SplitError(MicroauError):
    """The held-out subject has no sample in the features cache, or no other subject is left to train on."""


@dataclass(frozen=True)
class Split:
    """The training samples' indices, the tested ones' (None: the final model, nothing tested) and
    the name of what was left out (a subject, `<dataset>/<subject>`, a dataset; None for the final model)."""

    train: np.ndarray
    test: np.ndarray | None
    held_out: str | None


def group_split(groups: list[str], held_out: str, absent: str, alone: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the samples outside the `held_out` group (training) and in it (tested); the
    SplitError `absent` when no sample is in it, `alone` when no other sample is left."""
    groups_arr = np.asarray(groups)
    test = np.flatnonzero(groups_arr == held_out)
    if len(test) == 0:
        raise SplitError(absent)
    train = np.flatnonzero(groups_arr != held_out)
    if len(train) == 0:
        raise SplitError(alone)
    return train, test


def loso_split(subjects: list[str], held_out: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training samples (every other subject) and of the held-out subject's samples."""
    return group_split(
        subjects,
        held_out,
        f"subject '{held_out}' has no sample in the features cache",
        "leave-one-subject-out needs at least two subjects",
    )


def split_samples(subjects: list[str], held_out: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """`loso_split`, or with held_out None every sample for training and none held out (the final model)."""
    if held_out is None:
        return np.arange(len(subjects)), None
    return loso_split(subjects, held_out)


def dataset_split(subjects: list[str], dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the samples of every other dataset (training) and of `dataset`'s (tested), in a
    pooled cache whose subjects are `<dataset>/<subject>`."""
    return group_split(
        [dataset_of(subject) for subject in subjects],
        dataset,
        f"dataset '{dataset}' has no sample in the pooled features caches",
        "a cross-dataset run needs a dataset to train on besides the one tested",
    )
