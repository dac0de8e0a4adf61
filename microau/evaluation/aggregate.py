"""Pool every held-out prediction over the LOSO folds, then score: the community's protocol.

Each AU gets two F1s: `F1_2class`, the mean of the F1 of the on and the off class (scikit-learn's
`f1_score(y_n, p_n, average="macro")`, MEB's `MultiTaskF1`: the metric of the paper's comparators,
against which the paper's figures are compared), and `F1_pos`, the F1 of the positive class alone,
which reads far lower. The decision rule is fixed (argmax of P_n, i.e. P_n(on) above
`microau.model.decision.AU_THRESHOLD`, final epoch).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from microau.errors import MicroauError
from microau.evaluation.bootstrap import Bootstrap, au_scores, class_f1, multiclass_resamples, per_subject_counts
from microau.io.fold_files import (
    au_truth_and_probs,
    mer_classes,
    mer_predictions,
    read_predictions,
    run_devices,
    write_pooled_predictions,
)
from microau.io.result_tables import write_provenance, write_result_table
from microau.io.sample_table import read_rows
from microau.io.weights_record import read_weights_record
from microau.model.decision import AU_THRESHOLD, on_matrix
from microau.model.temperature import describe_temperature
from microau.version import __version__

DECISION_RULE = (
    f"argmax of P_n (AU on when P_n(on) > {AU_THRESHOLD}), final epoch, nothing tuned on the held-out subject"
)
MER_READINGS = {
    "combinations": "combinations (one label text per AU combination of the AU-emotion correspondence, "
    "each AU's own positive or negative prompt)",
    "joined": "joined (one label text per class joining its AUs' positive descriptions)",
}
POOLING = "predictions of every held-out subject pooled over all LOSO folds, then scored once"
F1_DEFINITION = (
    "F1_2class: per AU the mean of the F1 of the AU-on and the AU-off class (scikit-learn "
    "f1_score(y_n, p_n, average='macro'), MEB's MultiTaskF1, the metric of the paper's comparators), a class with "
    "no true and no predicted sample counting 1.0 (what scikit-learn's macro average gives then), then the mean "
    "over AUs; F1_pos: per AU the F1 of the AU-on class (f1_score(y_n, p_n)), 0.0 without a true or predicted "
    "positive (scikit-learn's default value), then the mean over AUs; the paper's F1 is read as F1_2class: "
    "paper_*, gap_* and paired differences use it"
)


class EvaluationError(MicroauError):
    """The predictions or settings cannot be scored; the message says why."""


def confusion(truth: np.ndarray, pred: np.ndarray) -> tuple[int, int, int, int]:
    """True positives, false positives, false negatives and true negatives of 0/1 arrays."""
    tp, fp = int(np.sum((truth == 1) & (pred == 1))), int(np.sum((truth == 0) & (pred == 1)))
    fn = int(np.sum((truth == 1) & (pred == 0)))
    return tp, fp, fn, len(truth) - tp - fp - fn


def binary_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    """F1 of the positive class (`F1_pos`); 0 when there is neither a true nor a predicted positive,
    the value scikit-learn's `f1_score` gives then by default."""
    tp, fp, fn, _ = confusion(truth, pred)
    return float(class_f1(tp, fp, fn, 0.0))


def two_class_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    """Mean of the F1 of the on and the off class (`F1_2class`). A class with no true and no predicted
    sample counts 1.0: scikit-learn's `average="macro"` then averages over the other class alone,
    which every sample then belongs to and is predicted as, so both give 1.0, without a warning."""
    tp, fp, fn, tn = confusion(truth, pred)
    return float((class_f1(tp, fp, fn, 1.0) + class_f1(tn, fn, fp, 1.0)) / 2)


def accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(truth == pred)) if len(truth) else float("nan")


AU_METRICS = {"F1_2class": two_class_f1, "F1_pos": binary_f1, "ACC": accuracy}
"""Every AU table's scores, in column order; `bootstrap.au_scores` resamples the same ones."""


def multiclass_scores(truth: list[str], pred: list[str], classes: list[str]) -> dict[str, float]:
    """Macro F1, UAR (mean per-class recall) and accuracy over the classes present in `classes`."""
    t, p = np.asarray(truth), np.asarray(pred)
    scores: dict[str, float] = {}
    recalls, f1s = [], []
    for name in classes:
        f1 = binary_f1((t == name).astype(int), (p == name).astype(int))
        scores[f"f1_{name}"] = f1
        f1s.append(f1)
        n_true = int(np.sum(t == name))
        if n_true:
            recalls.append(float(np.sum((t == name) & (p == name)) / n_true))
    scores["f1_macro"] = float(np.mean(f1s))
    scores["uar"] = float(np.mean(recalls)) if recalls else float("nan")
    scores["accuracy"] = accuracy(t, p)
    return scores


def au_decisions(rows: list[dict[str, str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """AU names, and the [samples, AUs] truth and decisions (argmax of P_n) of pooled predictions."""
    names, truth, probs = au_truth_and_probs(rows)
    return names, truth, on_matrix(probs)


def au_resamples(rows: list[dict[str, str]], subjects: list[str], bootstrap: Bootstrap) -> dict[str, np.ndarray]:
    """[resamples, AUs] scores of `AU_METRICS` over subject-level bootstrap resamples of `subjects`."""
    _, truth, pred = au_decisions(rows)
    counts = per_subject_counts([r["subject"] for r in rows], subjects, truth, pred)
    return au_scores(counts, bootstrap.multiplicities(len(subjects)))


def au_table(rows: list[dict[str, str]], bootstrap: Bootstrap | None = None) -> list[dict[str, object]]:
    """Per-AU scores (`AU_METRICS`), their mean and the always-positive baseline; with `bootstrap`,
    an interval (`*_lo`, `*_hi`) for each AU and for the mean over the held-out subjects."""
    names, truth, pred = au_decisions(rows)
    resampled = au_resamples(rows, sorted({r["subject"] for r in rows}), bootstrap) if bootstrap else {}
    table = []
    for n, au in enumerate(names):
        always = np.ones_like(truth[:, n])
        row: dict[str, object] = {"au": au, "n_pos": int(truth[:, n].sum())}
        for metric, score in AU_METRICS.items():
            row[metric] = score(truth[:, n], pred[:, n])
            if bootstrap:
                row[f"{metric}_lo"], row[f"{metric}_hi"] = bootstrap.interval(resampled[metric][:, n])
        row |= {f"baseline_{metric}": score(truth[:, n], always) for metric, score in AU_METRICS.items()}
        table.append(row)
    mean: dict[str, object] = {"au": "mean", "n_pos": sum(r["n_pos"] for r in table)}
    for key in table[0]:
        if key not in ("au", "n_pos"):
            mean[key] = float(np.mean([r[key] for r in table]))
    for metric, values in resampled.items():
        mean[f"{metric}_lo"], mean[f"{metric}_hi"] = bootstrap.interval(values.mean(axis=1))
    table.append(mean)
    table.append({key: "" for key in mean} | {"au": "baseline"} | {m: mean[f"baseline_{m}"] for m in AU_METRICS})
    return table


def fold_table(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Per-fold figures, for inspection only: the headline numbers are pooled."""
    names, truth, pred = au_decisions(rows)
    subjects = np.array([r["subject"] for r in rows])
    out = []
    for subject in sorted({r["subject"] for r in rows}):
        fold = subjects == subject
        for n, au in enumerate(names):
            t, p = truth[fold, n], pred[fold, n]
            out.append(
                {"subject": subject, "au": au, "n": int(fold.sum()), "n_pos": int(t.sum())}
                | {metric: score(t, p) for metric, score in AU_METRICS.items()}
            )
    return out


def mer_resamples(
    rows: list[dict[str, str]], reading: str, subjects: list[str], bootstrap: Bootstrap
) -> dict[str, np.ndarray]:
    """[resamples] macro-F1, UAR and accuracy of one reading over subject-level resamples of the
    `subjects` that have a three-class sample (the others add nothing to the MER table)."""
    scored = [r for r in rows if r["class3"]]
    subjects = [s for s in subjects if any(r["subject"] == s for r in scored)]
    return multiclass_resamples(
        [r["subject"] for r in scored],
        subjects,
        [r["class3"] for r in scored],
        mer_predictions(scored, reading),
        mer_classes(rows, reading),
        bootstrap.multiplicities(len(subjects)),
    )


def mer_table(rows: list[dict[str, str]], reading: str, bootstrap: Bootstrap | None = None) -> list[dict[str, object]]:
    """Zero-shot MER scores of one reading and the majority-class baseline; with `bootstrap`, an
    interval (`lo`, `hi`) for macro-F1, UAR and accuracy."""
    classes = mer_classes(rows, reading)
    scored = [r for r in rows if r["class3"]]
    if not scored:
        raise EvaluationError("no sample has a three-class label: the MER table cannot be computed")
    truth = [r["class3"] for r in scored]
    model = multiclass_scores(truth, mer_predictions(scored, reading), classes)
    majority = max(classes, key=truth.count)
    baseline = multiclass_scores(truth, [majority] * len(truth), classes)
    resampled = mer_resamples(rows, reading, sorted({r["subject"] for r in rows}), bootstrap) if bootstrap else {}
    order = ["f1_macro", "uar", "accuracy", *[f"f1_{c}" for c in classes]]
    table = []
    for metric in order:
        row: dict[str, object] = {"metric": metric, "zero_shot": model[metric]}
        if bootstrap:
            row["lo"], row["hi"] = bootstrap.interval(resampled[metric]) if metric in resampled else ("", "")
        table.append(row | {f"baseline_majority_{majority}": baseline[metric]})
    table.append(
        {key: len(scored) if key != "metric" else "n_samples" for key in table[0]}
        | ({"lo": "", "hi": ""} if bootstrap else {})
    )
    return table


def samples_without_face(report: Path | None) -> str:
    """Metadata line for the samples `frames.on_missing_face: skip` left out."""
    if report is None:
        return "not checked"
    missing = [row["sample"] for row in read_rows(report)[1]]
    return f"{len(missing)} left out ({' '.join(missing)}), reasons in {report}" if missing else "0"


def aggregate(
    dataset: str,
    predictions: list[Path],
    provenance: dict[str, object],
    table: Path,
    mer: Path,
    folds: Path,
    bootstrap: Bootstrap,
    faces_report: Path | None = None,
    mer_reading: str = "combinations",
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rows = read_predictions(predictions)
    n_subjects = len({r["subject"] for r in rows})
    counts = {
        "n_samples": len(rows),
        "n_subjects": n_subjects,
        "samples_without_face": samples_without_face(faces_report),
    }
    metadata = table_metadata({"dataset": dataset}, provenance, counts, bootstrap.describe(n_subjects))
    au_rows = au_table(rows, bootstrap)
    mer_rows = mer_table(rows, mer_reading, bootstrap)
    write_result_table(table, au_rows, metadata)
    write_result_table(
        mer,
        mer_rows,
        {
            **metadata,
            "n_samples": mer_rows[-1]["zero_shot"],
            "method": "zero-shot Eq. (13): argmax over label texts of summed AU cosine similarity",
            "mer_texts": MER_READINGS[mer_reading],
        },
    )
    write_result_table(folds, fold_table(rows), metadata)
    return au_rows, mer_rows


def table_metadata(
    scope: dict[str, object],
    provenance: dict[str, object],
    counts: dict[str, object],
    intervals: str,
    pooling: str = POOLING,
    notes: dict[str, object] | None = None,
) -> dict[str, object]:
    """The metadata every result table carries (its .meta.json sidecar), in one order: what it scores
    (`scope`), the weights and config hash of `provenance` (`provenance_record`), the counts, how it
    was scored, the preprocessing and temperature that made it, the table's own `notes`, the version."""
    return {
        **scope,
        "weights": provenance.get("weights", ""),
        "encoder": provenance.get("model", ""),
        "config_hash": provenance.get("config_hash", ""),
        **counts,
        "pooling": pooling,
        "decision_rule": DECISION_RULE,
        "f1": F1_DEFINITION,
        "intervals": intervals,
        "magnification": provenance.get("magnification", ""),
        "landmarks": provenance.get("landmarks", ""),
        "temperature": provenance.get("temperature", ""),
        **(notes or {}),
        "microau_version": __version__,
    }


def provenance_record(weights: dict, config: dict, config_hash: str) -> dict[str, object]:
    """What produced a table: weights, the full config and its hash, and the package versions."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    packages = ("torch", "open_clip_torch", "mediapipe", "dlib-bin", "opencv-contrib-python", "numpy", "snakemake")
    for package in packages:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    magnify = config.get("magnify", {})
    return {
        **weights,
        "config_hash": config_hash,
        "magnification": f"{magnify.get('method', '')} x{magnify.get('factor', '')}",
        "landmarks": config.get("landmarks", {}).get("method", ""),
        "temperature": describe_temperature(config["train"]["temperature"]) if "train" in config else "",
        "microau_version": __version__,
        "versions": versions,
        "config": config,
    }


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    """The interval settings (config section `evaluate`), shared by every command writing a table."""
    parser.add_argument("--resamples", type=int, required=True, help="subject-level bootstrap resamples")
    parser.add_argument("--resample-seed", type=int, required=True, help="seed of the resampling")
    parser.add_argument("--confidence", type=float, required=True, help="interval coverage, e.g. 0.95")


def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    """The weights, config and output flags of a command writing the AU, MER and fold tables."""
    parser.add_argument("--weights", type=Path, required=True, help="JSON written by `microau weights`")
    parser.add_argument("--config-json", default="{}", help="the workflow config, as JSON")
    parser.add_argument("--config-hash", default="")
    parser.add_argument("--table", type=Path, required=True)
    parser.add_argument("--mer-table", type=Path, required=True)
    parser.add_argument("--folds", type=Path, required=True)
    parser.add_argument("--provenance", type=Path, required=True, help="JSON provenance written next to the tables")
    parser.add_argument(
        "--mer-texts",
        choices=list(MER_READINGS),
        required=True,
        help="reading of Eq. 13 whose predictions make the MER table",
    )


def bootstrap_of(args: argparse.Namespace) -> Bootstrap:
    if args.resamples < 1 or not 0 < args.confidence < 1:
        raise EvaluationError(
            f"--resamples must be positive and --confidence in (0, 1), got {args.resamples}, {args.confidence}"
        )
    return Bootstrap(args.resamples, args.resample_seed, args.confidence)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="microau aggregate", description="pool LOSO predictions into tables")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--predictions", type=Path, nargs="+", required=True)
    add_table_arguments(parser)
    parser.add_argument(
        "--pooled-predictions",
        type=Path,
        help="also write every held-out sample's predictions here, one row per sample",
    )
    parser.add_argument("--faces-report", type=Path, help="samples without a face (microau faces --report)")
    add_bootstrap_arguments(parser)
    args = parser.parse_args(argv)
    weights = read_weights_record(args.weights)
    provenance = provenance_record(weights, json.loads(args.config_json), args.config_hash)
    au_rows, mer_rows = aggregate(
        args.dataset,
        args.predictions,
        provenance,
        args.table,
        args.mer_table,
        args.folds,
        bootstrap_of(args),
        args.faces_report,
        args.mer_texts,
    )
    write_provenance(args.provenance, {**provenance, "trained_on": run_devices(args.predictions)})
    if args.pooled_predictions:
        write_pooled_predictions(args.pooled_predictions, args.predictions)
    mean = next(r for r in au_rows if r["au"] == "mean")
    scores = ", ".join(
        f"{metric} {mean[metric]:.3f} [{mean[f'{metric}_lo']:.3f}, {mean[f'{metric}_hi']:.3f}] "
        f"(always-positive {mean[f'baseline_{metric}']:.3f})"
        for metric in AU_METRICS
    )
    print(
        f"{args.dataset}: mean AU {scores}; zero-shot MER F1 {mer_rows[0]['zero_shot']:.3f}, "
        f"UAR {mer_rows[1]['zero_shot']:.3f}"
    )
    return 0
