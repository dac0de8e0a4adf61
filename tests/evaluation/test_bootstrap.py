"""Subject-level bootstrap: vectorised scores against a slow reference, and degenerate cases."""

import numpy as np
import pytest

from microau.evaluation.aggregate import (
    AU_METRICS,
    accuracy,
    au_resamples,
    au_table,
    binary_f1,
    mer_resamples,
    mer_table,
    multiclass_scores,
    two_class_f1,
)
from microau.evaluation.bootstrap import Bootstrap

CLASSES = ["positive", "negative", "surprise"]


def predictions(rng: np.random.Generator, subjects: list[str], per_subject: int, n_aus: int = 2) -> list[dict]:
    rows = []
    for subject in subjects:
        for i in range(per_subject):
            row = {"sample": f"{subject}_{i}", "subject": subject, "class3": str(rng.choice(CLASSES + [""]))}
            for n in range(n_aus):
                row[f"AU{n:02d}_true"] = str(int(rng.integers(0, 2)))
                row[f"AU{n:02d}_prob"] = f"{rng.uniform():.3f}"
            row.update({f"mer_combinations_{c}": "0" for c in CLASSES})
            row["mer_combinations_pred"] = str(rng.choice(CLASSES))
            rows.append(row)
    return rows


def slow_reference(rows: list[dict], subjects: list[str], bootstrap: Bootstrap) -> dict[str, list]:
    """Draw the subjects as the bootstrap does, pool their rows one resample at a time, score each
    pool with the table's own functions."""
    draws = np.random.default_rng(bootstrap.seed).integers(0, len(subjects), size=(bootstrap.resamples, len(subjects)))
    names = [c[:-5] for c in rows[0] if c.endswith("_true")]
    out = {"F1_2class": [], "F1_pos": [], "ACC": [], "f1_macro": [], "uar": []}
    for drawn in draws:
        pool = [r for s in drawn for r in rows if r["subject"] == subjects[s]]
        scores = {"F1_2class": [], "F1_pos": [], "ACC": []}
        for au in names:
            truth = np.array([int(r[f"{au}_true"]) for r in pool])
            pred = np.array([int(float(r[f"{au}_prob"]) > 0.5) for r in pool])
            scores["F1_2class"].append(two_class_f1(truth, pred))
            scores["F1_pos"].append(binary_f1(truth, pred))
            scores["ACC"].append(accuracy(truth, pred))
        for metric, values in scores.items():
            out[metric].append(values)
        scored = [r for r in pool if r["class3"]]
        mer = multiclass_scores([r["class3"] for r in scored], [r["mer_combinations_pred"] for r in scored], CLASSES)
        out["f1_macro"].append(mer["f1_macro"])
        out["uar"].append(mer["uar"])
    return out


def test_vectorised_resamples_equal_a_slow_reference():
    rng = np.random.default_rng(5)
    subjects = ["s1", "s2", "s3", "s4", "s5"]
    rows = predictions(rng, subjects, per_subject=4, n_aus=3)
    for row in rows:  # AU02 is on (and predicted) in one sample only: most resamples have neither
        on = row["sample"] == "s1_0"
        row["AU02_true"], row["AU02_prob"] = str(int(on)), "0.9" if on else "0.1"
    bootstrap = Bootstrap(60, 11, 0.9)
    reference = slow_reference(rows, subjects, bootstrap)
    resampled = au_resamples(rows, subjects, bootstrap)
    assert list(resampled) == list(AU_METRICS)
    for metric in AU_METRICS:
        np.testing.assert_allclose(resampled[metric], reference[metric])
    assert (resampled["F1_2class"][:, 2] == 1.0).any() and (resampled["F1_pos"][:, 2] == 0.0).any()
    mer = mer_resamples(rows, "combinations", subjects, bootstrap)
    np.testing.assert_allclose(mer["f1_macro"], reference["f1_macro"])
    np.testing.assert_allclose(mer["uar"], reference["uar"])
    table = {r["au"]: r for r in au_table(rows, bootstrap)}
    for metric in ("F1_2class", "F1_pos"):
        low, high = np.percentile(np.mean(reference[metric], axis=1), [5, 95])
        interval = (table["mean"][f"{metric}_lo"], table["mean"][f"{metric}_hi"])
        assert interval == (pytest.approx(low), pytest.approx(high))
    low, high = np.percentile(np.array(reference["ACC"])[:, 1], [5, 95])
    assert (table["AU01"]["ACC_lo"], table["AU01"]["ACC_hi"]) == (pytest.approx(low), pytest.approx(high))


def test_identical_subjects_give_zero_width_intervals():
    rng = np.random.default_rng(0)
    template = predictions(rng, ["x"], per_subject=5)
    rows = [{**r, "sample": f"{s}_{r['sample']}", "subject": s} for s in ("a", "b", "c", "d") for r in template]
    bootstrap = Bootstrap(200, 0, 0.95)
    for row in au_table(rows, bootstrap)[:-1]:
        for metric in AU_METRICS:
            assert row[f"{metric}_lo"] == pytest.approx(row[metric])
            assert row[f"{metric}_hi"] == pytest.approx(row[metric])
    for row in mer_table(rows, "combinations", bootstrap)[:2]:
        assert row["lo"] == pytest.approx(row["zero_shot"]) and row["hi"] == pytest.approx(row["zero_shot"])


def test_the_same_seed_draws_the_same_resamples_and_every_subject_count_sums_to_the_subjects():
    counts = Bootstrap(50, 3, 0.95).multiplicities(7)
    assert np.array_equal(counts, Bootstrap(50, 3, 0.95).multiplicities(7))
    assert (counts.sum(axis=1) == 7).all() and not np.array_equal(counts, Bootstrap(50, 4, 0.95).multiplicities(7))


def test_a_casme2_sized_table_is_scored_in_seconds():
    import time

    rng = np.random.default_rng(1)
    subjects = [f"sub{i:02d}" for i in range(26)]
    rows = predictions(rng, subjects, per_subject=10, n_aus=8)[:255]
    start = time.perf_counter()
    au_table(rows, Bootstrap(1000, 0, 0.95))
    mer_table(rows, "combinations", Bootstrap(1000, 0, 0.95))
    assert time.perf_counter() - start < 5
