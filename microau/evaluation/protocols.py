"""Composite and cross-dataset protocols scored: per dataset and overall, against each dataset's own LOSO run.

A composite pools several datasets on the AUs they share and leaves out one `<dataset>/<subject>`
per fold; a cross-dataset run trains on every subject of one dataset and tests every subject of
another. Both are scored as the main tables are (predictions pooled, binary F1 of the positive
class, argmax of P_n, final epoch), once per tested dataset and, for a composite, over all of
them, with subject-level bootstrap intervals. The mean F1 of each scope is compared with the same
subjects' predictions from their dataset's own LOSO run, cut to the shared AUs, over the same
resamples (a paired difference). Each run's training_set.json is checked against the subjects it
predicts, so a table cannot be written from a run that saw a test subject.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from microau.evaluation.aggregate import (
    AU_METRICS,
    MER_READINGS,
    POOLING,
    EvaluationError,
    add_bootstrap_arguments,
    add_table_arguments,
    au_resamples,
    au_table,
    bootstrap_of,
    fold_table,
    mer_table,
    provenance_record,
    table_metadata,
)
from microau.evaluation.bootstrap import Bootstrap
from microau.io.feature_cache import DATASET_SEPARATOR, dataset_of, qualified
from microau.io.fold_files import Rows, au_names, read_fold_predictions, read_predictions, read_training_set
from microau.io.result_tables import write_provenance, write_result_table
from microau.io.weights_record import read_weights_record

OVERALL = "overall"
CROSS_POOLING = (
    "predictions of the one run (trained on every subject of the other dataset) on every tested subject, scored once"
)
COMPARISON = (
    "d<F1>: mean F1 (F1_2class, F1_pos) of the protocol minus that of the same subjects' predictions from their "
    "dataset's own LOSO run (main variant, train.seed) on the shared AUs, over the same subject-level resamples; "
    "share_better_<F1>: share of resamples in which the protocol is higher"
)


class ProtocolError(EvaluationError):
    """A protocol's runs leak a test subject into training, or do not match its reference runs."""


def check_training_sets(predictions: Sequence[Path], training_sets: Sequence[Path]) -> dict[str, dict[str, list[str]]]:
    """Each run's training subjects grouped by dataset, keyed by what it held out; the files of one
    run come in the same position of both lists. A run that trained on a subject it predicts is a
    ProtocolError."""
    if [path.parent for path in predictions] != [path.parent for path in training_sets]:
        raise ProtocolError("--predictions and --training-sets must name the same runs' folders, in one order")
    training: dict[str, dict[str, list[str]]] = {}
    for path, training_set in zip(predictions, training_sets):
        record = read_training_set(training_set)
        tested = {r["subject"] for r in read_fold_predictions(path)}
        seen = tested.intersection(record["training_subjects"])
        if seen:
            raise ProtocolError(
                f"the run that held out '{record['held_out']}' trained on test subject(s) {sorted(seen)}"
            )
        grouped: dict[str, list[str]] = {}
        for subject in record["training_subjects"]:
            grouped.setdefault(dataset_of(subject), []).append(subject.split(DATASET_SEPARATOR, 1)[1])
        training[record["held_out"]] = grouped
    return training


def reference_rows(dataset: str, paths: Sequence[Path], aus: list[str]) -> Rows:
    """A dataset's own LOSO predictions, named as the protocol names them and cut to its AUs."""
    rows = read_predictions(paths)
    missing = [au for au in aus if f"{au}_true" not in rows[0]]
    if missing:
        raise ProtocolError(f"the LOSO run of '{dataset}' has no predictions of {', '.join(missing)}")
    kept = ("class3", *(f"{au}_{kind}" for au in aus for kind in ("true", "prob")))
    return [
        {
            "sample": qualified(dataset, r["sample"]),
            "subject": qualified(dataset, r["subject"]),
            **{key: r[key] for key in kept},
        }
        for r in rows
    ]


def scopes(rows: Rows, datasets: list[str]) -> dict[str, Rows]:
    """Rows of each tested dataset, and with more than one of them all rows as `overall`."""
    scoped = {dataset: [r for r in rows if dataset_of(r["subject"]) == dataset] for dataset in datasets}
    empty = [dataset for dataset, part in scoped.items() if not part]
    if empty:
        raise ProtocolError(f"no prediction of dataset(s) {', '.join(empty)}")
    if len(datasets) > 1:
        scoped[OVERALL] = rows
    return scoped


F1_METRICS = tuple(metric for metric in AU_METRICS if metric.startswith("F1"))
"""The scores the paired comparison covers: both F1s of the AU tables."""


def compared_au_table(rows: Rows, reference: Rows, bootstrap: Bootstrap) -> list[dict[str, object]]:
    """`au_table` with intervals, its mean row compared with `reference` (the same subjects' own
    LOSO predictions) over the same resamples: for each of F1_METRICS `reference_<F1>`, the
    interval `d<F1>_lo`, `d<F1>_hi` of the difference and `share_better_<F1>`."""
    subjects = sorted({r["subject"] for r in rows})
    if sorted({r["subject"] for r in reference}) != subjects:
        raise ProtocolError(
            f"the reference LOSO runs predict subjects {sorted({r['subject'] for r in reference})}, "
            f"the protocol {subjects}"
        )
    table = au_table(rows, bootstrap)
    resampled = au_resamples(rows, subjects, bootstrap)
    resampled_reference = au_resamples(reference, subjects, bootstrap)
    reference_mean = next(r for r in au_table(reference) if r["au"] == "mean")
    for row in table:
        for metric in F1_METRICS:
            row.update(
                {f"reference_{metric}": "", f"d{metric}_lo": "", f"d{metric}_hi": "", f"share_better_{metric}": ""}
            )
            if row["au"] == "mean":
                difference = resampled[metric].mean(axis=1) - resampled_reference[metric].mean(axis=1)
                row[f"reference_{metric}"] = reference_mean[metric]
                row[f"d{metric}_lo"], row[f"d{metric}_hi"] = bootstrap.interval(difference)
                row[f"share_better_{metric}"] = float(np.mean(difference > 0))
    return table


def scoped_mer_table(rows: Rows, reading: str, bootstrap: Bootstrap) -> list[dict[str, object]]:
    """`mer_table`, its majority baseline in one column whatever the majority class."""
    table = []
    for row in mer_table(rows, reading, bootstrap):
        (key,) = [k for k in row if k.startswith("baseline_majority_")]
        table.append(
            {
                **{k: v for k, v in row.items() if k != key},
                "majority_class": key[len("baseline_majority_") :],
                "baseline_majority": row[key],
            }
        )
    return table


def aggregate_protocol(
    protocol: str,
    datasets: list[str],
    predictions: list[Path],
    training_sets: list[Path],
    references: dict[str, list[Path]],
    provenance: dict[str, object],
    tables: dict[str, Path],
    bootstrap: Bootstrap,
    mer_reading: str,
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The protocol's AU, MER and fold tables (`tables`: table, mer, folds) and its provenance
    record, with every run's training subjects; returns the AU rows and the record."""
    rows = read_predictions(predictions)
    training = check_training_sets(predictions, training_sets)
    aus = au_names(rows)
    reference = [r for dataset in datasets for r in reference_rows(dataset, references[dataset], aus)]
    scoped = scopes(rows, datasets)
    scoped_reference = scopes(reference, datasets)
    n_subjects = len({r["subject"] for r in rows})
    metadata = table_metadata(
        {"protocol": protocol, "datasets": " ".join(datasets), "aus": " ".join(aus)},
        provenance,
        {"n_samples": len(rows), "n_subjects": n_subjects},
        bootstrap.describe(n_subjects) + ", within each scope",
        pooling=POOLING if len(predictions) > 1 else CROSS_POOLING,
        notes={"comparison": COMPARISON},
    )
    au_rows = [
        {"scope": scope, **row}
        for scope, part in scoped.items()
        for row in compared_au_table(part, scoped_reference[scope], bootstrap)
    ]
    mer_rows = [
        {"scope": scope, **row}
        for scope, part in scoped.items()
        for row in scoped_mer_table(part, mer_reading, bootstrap)
    ]
    write_result_table(tables["table"], au_rows, metadata)
    write_result_table(
        tables["mer"],
        mer_rows,
        {
            **metadata,
            "method": "zero-shot Eq. (13): argmax over label texts of summed AU cosine similarity, "
            "each dataset's AU-emotion correspondence cut to the shared AUs",
            "mer_texts": MER_READINGS[mer_reading],
        },
    )
    write_result_table(tables["folds"], fold_table(rows), metadata)
    record = {
        **provenance,
        "protocol": protocol,
        "datasets": datasets,
        "aus": aus,
        "training_sets": training,
        "reference_runs": {dataset: [str(path) for path in paths] for dataset, paths in references.items()},
    }
    return au_rows, record


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="microau aggregate-protocol", description="score a composite or cross-dataset protocol"
    )
    parser.add_argument("--protocol", required=True, help="name in the tables (composite_<name>, cross_<a>_to_<b>)")
    parser.add_argument("--datasets", nargs="+", required=True, help="the datasets whose subjects the runs test")
    parser.add_argument("--predictions", type=Path, nargs="+", required=True, help="predictions.csv of every run")
    parser.add_argument("--training-sets", type=Path, nargs="+", required=True, help="training_set.json of every run")
    parser.add_argument(
        "--reference",
        nargs="+",
        action="append",
        required=True,
        metavar=("DATASET", "PREDICTIONS"),
        help="a tested dataset, then the predictions.csv of its own LOSO run (once per dataset)",
    )
    add_table_arguments(parser)
    add_bootstrap_arguments(parser)
    args = parser.parse_args(argv)
    references = {values[0]: [Path(path) for path in values[1:]] for values in args.reference}
    if sorted(references) != sorted(args.datasets) or any(not paths for paths in references.values()):
        raise ProtocolError("--reference must give each of --datasets once, with its predictions")
    provenance = provenance_record(read_weights_record(args.weights), json.loads(args.config_json), args.config_hash)
    au_rows, record = aggregate_protocol(
        args.protocol,
        args.datasets,
        args.predictions,
        args.training_sets,
        references,
        provenance,
        {"table": args.table, "mer": args.mer_table, "folds": args.folds},
        bootstrap_of(args),
        args.mer_texts,
    )
    write_provenance(args.provenance, record)
    for row in au_rows:
        if row["au"] == "mean":
            print(
                f"{args.protocol} {row['scope']}: mean AU "
                + "; ".join(
                    f"{m} {row[m]:.3f} [{row[f'{m}_lo']:.3f}, {row[f'{m}_hi']:.3f}] (own LOSO "
                    f"{row[f'reference_{m}']:.3f}, "
                    f"d{m} [{row[f'd{m}_lo']:.3f}, {row[f'd{m}_hi']:.3f}])"
                    for m in F1_METRICS
                )
            )
    return 0
