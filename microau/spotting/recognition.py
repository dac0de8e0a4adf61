"""Spot-then-recognise scores (MEGC 2025's ME-STR task; definitions and sources in docs/spotting.md).

A spotted micro-expression that matches a ground-truth one (IoU >= 0.5, `microau.spotting.scoring`)
is recognised; recognition is scored over those matched pairs whose truth has one of the classes
(the dataset's emotions mapped by its class3), as the challenge's scorer does (Liong, See and
Chan's STRS metric, github.com/genbing99/STRS-Metric, `strs_metric.py`): per class c, TP_c the
pairs of truth c recognised as c, FP_c the pairs recognised as c whose truth is not c, FN_c the
pairs of truth c recognised as something else; TP, FP, FN are their sums. Per class, precision
TP_c / (TP_c + FP_c), recall TP_c / (TP_c + FN_c) and their F1, each 0 where undefined. Over all
the classes: precision and recall are the means, F1 is 2 P R / (P + R) of those two, UF1 the mean
of the classes' F1, and UAR what the scorer reports under that name, the mean of the classes'
precision (its published baseline rows print UAR equal to precision; the mean recall is `recall`).
STRS = spotting F1 (micro-expressions) x recognition F1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from microau.evaluation.bootstrap import Bootstrap


def recognition_counts(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """[classes, 3] TP_c, FP_c, FN_c of matched pairs (truth class, recognised class)."""
    out = np.zeros((len(classes), 3))
    for c, name in enumerate(classes):
        for t, p in zip(truth, predicted):
            out[c] += (t == name and p == name, t != name and p == name, t == name and p != name)
    return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator per class, 0 where the denominator is 0."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=float), where=denominator > 0)


def recognition_scores(counts: np.ndarray) -> dict[str, float]:
    """TP, FP, FN (summed) and the class means of `recognition_counts` (precision, recall, F1 of
    those two, UF1, the challenge's UAR), every class counted, 0 where nothing was matched."""
    tp, fp, fn = counts.sum(axis=0)
    per_precision = _ratio(counts[:, 0], counts[:, 0] + counts[:, 1])
    per_recall = _ratio(counts[:, 0], counts[:, 0] + counts[:, 2])
    per_f1 = _ratio(2 * per_precision * per_recall, per_precision + per_recall)
    precision, recall = float(np.mean(per_precision)), float(np.mean(per_recall))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "TP": int(tp),
        "FP": int(fp),
        "FN": int(fn),
        "precision": precision,
        "recall": recall,
        "F1": f1,
        "UF1": float(np.mean(per_f1)),
        "UAR": precision,
    }


def strs_row(
    spotting_f1: float,
    pairs: Sequence[tuple[str, str, str]],
    classes: Sequence[str],
    subjects: Sequence[str],
    spotting_f1_resamples: np.ndarray | None = None,
    bootstrap: Bootstrap | None = None,
) -> dict[str, object]:
    """The MEGC columns of one dataset: recognition over the matched `pairs` (subject, truth
    class, recognised class; pairs whose truth has no class left out by the caller) and STRS;
    with `bootstrap` and the spotting F1 of the same resamples, percentile intervals."""
    per_subject = np.zeros((len(subjects), len(classes), 3))
    index = {s: i for i, s in enumerate(subjects)}
    for subject, truth, predicted in pairs:
        per_subject[index[subject]] += recognition_counts([truth], [predicted], classes)
    scores = recognition_scores(per_subject.sum(axis=0))
    row: dict[str, object] = {f"recognition_{k}": v for k, v in scores.items()}
    row["STRS"] = spotting_f1 * scores["F1"]
    if bootstrap is not None and spotting_f1_resamples is not None:
        multiplicities = bootstrap.multiplicities(len(subjects))
        resampled = np.einsum("rs,sck->rck", multiplicities, per_subject)
        values = {name: [] for name in ("F1", "UF1", "UAR")}
        for counts in resampled:
            got = recognition_scores(counts)
            for name in values:
                values[name].append(got[name])
        for name, series in values.items():
            row[f"recognition_{name}_lo"], row[f"recognition_{name}_hi"] = bootstrap.interval(np.array(series))
        row["STRS_lo"], row["STRS_hi"] = bootstrap.interval(spotting_f1_resamples * np.array(values["F1"]))
    return row
