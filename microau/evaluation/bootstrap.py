"""Subject-level bootstrap of pooled LOSO scores: how sure a table is with so few subjects.

A resample draws the held-out subjects with replacement, pools their predictions and scores them
exactly as the table does (per AU the two-class F1, the positive-class F1 and accuracy; macro-F1
and UAR for zero-shot MER). It is vectorised: each subject's confusion counts are summed
once, and a resample's pooled counts are its subject multiplicities times those counts. Paired
comparisons reuse the same resamples, so both runs see the same subjects.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bootstrap:
    resamples: int
    seed: int
    confidence: float

    def describe(self, n_subjects: int) -> str:
        return (
            f"{self.confidence:.0%} percentile intervals of a subject-level bootstrap: {self.resamples} resamples "
            f"of the {n_subjects} held-out subjects with replacement, seed {self.seed}"
        )

    def multiplicities(self, n_subjects: int) -> np.ndarray:
        """[resamples, subjects]: how often each subject is drawn in each resample."""
        rng = np.random.default_rng(self.seed)
        draws = rng.integers(0, n_subjects, size=(self.resamples, n_subjects))
        counts = np.zeros((self.resamples, n_subjects), dtype=np.int64)
        np.add.at(counts, (np.arange(self.resamples)[:, None], draws), 1)
        return counts

    def interval(self, values: np.ndarray) -> tuple[float, float]:
        """Percentile interval of per-resample values."""
        if np.isnan(values).any():
            raise ValueError("a bootstrap resample has no score: resample only subjects with scored samples")
        tail = (1 - self.confidence) / 2 * 100
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)


def per_subject_counts(subject_of: list[str], subjects: list[str], truth: np.ndarray, pred: np.ndarray) -> dict:
    """Per subject and AU: true positives, false positives, false negatives, correct, samples.
    truth and pred are [samples, AUs] 0/1 arrays."""
    index = {s: i for i, s in enumerate(subjects)}
    rows = np.array([index[s] for s in subject_of])
    out = {}
    for name, mask in (
        ("tp", (truth == 1) & (pred == 1)),
        ("fp", (truth == 0) & (pred == 1)),
        ("fn", (truth == 1) & (pred == 0)),
        ("correct", truth == pred),
    ):
        summed = np.zeros((len(subjects), truth.shape[1]))
        np.add.at(summed, rows, mask.astype(float))
        out[name] = summed
    out["n"] = np.bincount(rows, minlength=len(subjects)).astype(float)
    return out


def class_f1(tp: np.ndarray | int, fp: np.ndarray | int, fn: np.ndarray | int, empty: float) -> np.ndarray:
    """F1 of one class from its counts; `empty` where the class has no true and no predicted sample."""
    tp, fp, fn = (np.asarray(count, dtype=float) for count in (tp, fp, fn))
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, empty)


def au_scores(counts: dict, multiplicities: np.ndarray) -> dict[str, np.ndarray]:
    """[resamples, AUs] two-class F1, positive-class F1 and accuracy of every resample, with the
    empty-class rules of `aggregate.two_class_f1` and `aggregate.binary_f1`."""
    tp, fp, fn = (multiplicities @ counts[k] for k in ("tp", "fp", "fn"))
    n = (multiplicities @ counts["n"])[:, None]
    tn = n - tp - fp - fn
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = (multiplicities @ counts["correct"]) / n
    return {
        "F1_2class": (class_f1(tp, fp, fn, 1.0) + class_f1(tn, fn, fp, 1.0)) / 2,
        "F1_pos": class_f1(tp, fp, fn, 0.0),
        "ACC": acc,
    }


def multiclass_resamples(
    subject_of: list[str],
    subjects: list[str],
    truth: list[str],
    pred: list[str],
    classes: list[str],
    multiplicities: np.ndarray,
) -> dict[str, np.ndarray]:
    """[resamples] macro-F1 (over `classes`), UAR (over the classes present in the resample's
    truth) and accuracy, as `aggregate.multiclass_scores` computes them on one pooled set."""
    t, p = np.asarray(truth), np.asarray(pred)
    one_hot_truth = np.stack([(t == c) for c in classes], axis=1).astype(float)
    one_hot_pred = np.stack([(p == c) for c in classes], axis=1).astype(float)
    counts = per_subject_counts(subject_of, subjects, one_hot_truth, one_hot_pred)
    tp, fp, fn = (multiplicities @ counts[k] for k in ("tp", "fp", "fn"))
    n_true = tp + fn
    total = multiplicities @ counts["n"]
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample without scored samples is NaN
        f1 = class_f1(tp, fp, fn, 0.0)
        uar = np.nanmean(np.where(n_true > 0, tp / n_true, np.nan), axis=1)
        accuracy = tp.sum(axis=1) / total
    f1_macro = np.where(total > 0, f1.mean(axis=1), np.nan)
    return {"f1_macro": f1_macro, "uar": uar, "accuracy": np.where(total > 0, accuracy, np.nan)}
