"""MEGC's spotting score: a spotted interval is a true positive when its intersection over union
with a ground-truth interval of the same kind is at least IOU_THRESHOLD, each ground truth matched
once; precision, recall and F1 are pooled over every video of a dataset (counts summed, then the
ratios), per kind and over both kinds (`overall`), with subject-level bootstrap intervals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from microau.evaluation.bootstrap import Bootstrap
from microau.io.intervals import Interval

IOU_THRESHOLD = 0.5
OVERALL = "overall"


def iou(a: Interval, b: Interval) -> float:
    """Intersection over union of two inclusive frame intervals."""
    inter = min(a.offset, b.offset) - max(a.onset, b.onset) + 1
    if inter <= 0:
        return 0.0
    return inter / (a.length + b.length - inter)


class Counts(NamedTuple):
    """True positives, false positives (spotted, unmatched), false negatives (truth, unmatched)."""

    tp: int
    fp: int
    fn: int


def matched_pairs(
    spotted: Sequence[Interval], truth: Sequence[Interval], threshold: float = IOU_THRESHOLD
) -> list[tuple[int, int]]:
    """(spotted index, truth index) of one video and kind: pairs taken greedily by IoU, highest
    first, each ground truth and each spotted interval used once, a pair counting when its IoU >=
    threshold."""
    pairs = sorted(((iou(s, t), i, j) for i, s in enumerate(spotted) for j, t in enumerate(truth)), reverse=True)
    used_s, used_t, out = set(), set(), []
    for value, i, j in pairs:
        if value < threshold:
            break
        if i not in used_s and j not in used_t:
            used_s.add(i)
            used_t.add(j)
            out.append((i, j))
    return out


def match(spotted: Sequence[Interval], truth: Sequence[Interval], threshold: float = IOU_THRESHOLD) -> Counts:
    """TP/FP/FN of one video and kind (`matched_pairs`)."""
    tp = len(matched_pairs(spotted, truth, threshold))
    return Counts(tp, len(spotted) - tp, len(truth) - tp)


def f1_parts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 of pooled counts (0 where undefined: nothing spotted or no truth)."""
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return precision, recall, f1


def video_counts(
    spotted: Iterable[Interval], truth: Iterable[Interval], kinds: Sequence[str], threshold: float = IOU_THRESHOLD
) -> dict[tuple[str, str, str], Counts]:
    """(subject, video, kind) -> Counts of every video that has truth or spotted intervals."""
    grouped: dict[tuple[str, str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    for interval in spotted:
        if interval.kind in kinds:
            grouped[(interval.subject, interval.video, interval.kind)][0].append(interval)
    for interval in truth:
        if interval.kind in kinds:
            grouped[(interval.subject, interval.video, interval.kind)][1].append(interval)
    return {key: match(s, t, threshold) for key, (s, t) in grouped.items()}


def spotting_rows(
    counts: dict[tuple[str, str, str], Counts],
    kinds: Sequence[str],
    subjects: Sequence[str],
    bootstrap: Bootstrap | None = None,
) -> list[dict[str, object]]:
    """One row per kind and `overall`: TP, FP, FN (truth intervals), precision, recall, F1 and,
    with `bootstrap`, percentile intervals over subject resamples (`subjects`: every subject of
    the dataset, including those with nothing spotted)."""
    index = {s: i for i, s in enumerate(subjects)}
    rows = []
    for kind in [*kinds, OVERALL] if len(kinds) > 1 else list(kinds):
        per_subject = np.zeros((len(subjects), 3))
        for (subject, _video, k), c in counts.items():
            if kind == OVERALL or k == kind:
                per_subject[index[subject]] += (c.tp, c.fp, c.fn)
        tp, fp, fn = per_subject.sum(axis=0)
        precision, recall, f1 = f1_parts(tp, fp, fn)
        row: dict[str, object] = {
            "kind": kind,
            "truth": int(tp + fn),
            "spotted": int(tp + fp),
            "TP": int(tp),
            "precision": float(precision),
            "recall": float(recall),
            "F1": float(f1),
        }
        if bootstrap:
            pooled = bootstrap.multiplicities(len(subjects)) @ per_subject
            for name, values in zip(("precision", "recall", "F1"), f1_parts(*pooled.T)):
                row[f"{name}_lo"], row[f"{name}_hi"] = bootstrap.interval(values)
        rows.append(row)
    return rows
