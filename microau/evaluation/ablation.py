"""The paper's ablation tables (II-VIII, X) rebuilt from LOSO runs, with its published figures alongside.

Each row names a variant of the workflow config. Every run is scored as the main table is (pooled
over folds, per AU the two-class F1 and the positive-class F1, argmax of P_n, final epoch); repeats
over seeds give a mean and a sample standard deviation. The paper's F1 is compared with the
two-class F1, its comparators' metric (`aggregate.F1_DEFINITION`). The published figures are
CASME II and SAMM results: they are only comparable when the dataset is a real copy of one of those.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microau.errors import MicroauError
from microau.evaluation.aggregate import (
    AU_METRICS,
    add_bootstrap_arguments,
    au_resamples,
    au_table,
    bootstrap_of,
    fold_table,
    mer_resamples,
    mer_table,
    provenance_record,
    table_metadata,
)
from microau.evaluation.bootstrap import Bootstrap
from microau.io.fold_files import HISTORY_CSV, PREDICTIONS_CSV, read_history, read_predictions
from microau.io.result_tables import read_result_table, write_provenance, write_result_table
from microau.io.weights_record import read_weights_record
from microau.model.temperature import describe_temperature, temperature_flag
from microau.plan.paper_tables import PAPER_DATASETS, PAPER_TABLES

AU_F1S = ("F1_2class", "F1_pos")
"""The two F1s of `AU_METRICS`; the first is the paper's reading, which `paper_*` and `gap_*` use."""
RESAMPLED = (*AU_METRICS, "MER_F1")


class AblationError(MicroauError):
    """The runs given cannot make the ablation table; the message names what is missing or stray."""


def _mean_sd(values: list[float]) -> tuple[float, float | str]:
    """Mean, and the sample standard deviation when there is more than one seed."""
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else "")


def final_text_similarity(history: Path) -> float:
    return float(read_history(history)[-1]["text_similarity"])


@dataclass
class RunScores:
    """One run's tables, and its per-resample mean AU scores (`AU_METRICS`) and MER macro-F1 [resamples]."""

    au: list[dict[str, object]]
    mer: list[dict[str, object]]
    folds: list[dict[str, object]]
    text_similarity: float
    resampled: dict[str, np.ndarray]


def score_run(run_dir: Path, subjects: list[str], mer_reading: str, bootstrap: Bootstrap) -> RunScores:
    """One LOSO run (one variant, one seed): its folds pooled and scored like the main table, and
    over the bootstrap resamples of `subjects` (the same resamples for every run of a table)."""
    predictions = [run_dir / subject / PREDICTIONS_CSV for subject in subjects]
    rows = read_predictions(predictions)
    strays = sorted({r["subject"] for r in rows} - set(subjects))
    if strays:
        raise AblationError(f"{run_dir} holds predictions of subjects {strays} outside the table's {subjects}")
    similarity = float(np.mean([final_text_similarity(run_dir / s / HISTORY_CSV) for s in subjects]))
    resampled = {metric: values.mean(axis=1) for metric, values in au_resamples(rows, subjects, bootstrap).items()}
    resampled["MER_F1"] = mer_resamples(rows, mer_reading, subjects, bootstrap)["f1_macro"]
    return RunScores(au_table(rows), mer_table(rows, mer_reading), fold_table(rows), similarity, resampled)


def paired_comparison(
    table: list[dict[str, object]],
    resampled: list[dict[str, np.ndarray]],
    reference: int,
    metrics: tuple[str, ...],
    bootstrap: Bootstrap,
) -> None:
    """Each row against the reference (full-model) row over the same resampled subjects: for each
    of `metrics`, the interval of the difference and the share of resamples in which the row is better."""
    for row, values in zip(table, resampled):
        row["compared_with"] = table[reference]["row"]
        for metric in metrics:
            if row is table[reference]:
                row[f"d{metric}_lo"] = row[f"d{metric}_hi"] = row[f"share_better_{metric}"] = ""
                continue
            difference = values[metric] - resampled[reference][metric]
            row[f"d{metric}_lo"], row[f"d{metric}_hi"] = bootstrap.interval(difference)
            row[f"share_better_{metric}"] = float(np.mean(difference > 0))


def _mean_row(table: list[dict[str, object]], key: str, value: str, column: str) -> float:
    return float(next(r for r in table if r[key] == value)[column])


def group_table(
    group: str, runs: dict[str, dict], subjects: list[str], paper_dataset: str | None, bootstrap: Bootstrap
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Rows laid out like the paper's table `group`, plus an always-positive (or majority) baseline
    row, and the per-fold figures of every run. `runs` maps each variant to the variant whose folds
    were trained for it (`trained_as`) and its run directory per seed (`seeds`).

    Intervals and paired comparisons are over subject-level resamples of the figure averaged over
    seeds (each seed's run scored on the same resamples); the `_sd` columns give the seed spread.
    `paper_dataset` (casme2, samm) adds the paper's figures of that dataset beside each row; None, none."""
    paper = PAPER_TABLES[group]
    compare = paper_dataset
    table: list[dict[str, object]] = []
    folds: list[dict[str, object]] = []
    baseline: dict[str, object] = {}
    resampled: list[dict[str, np.ndarray]] = []
    for row in paper.rows:
        run = runs[row.variant]
        scores = {
            int(seed): score_run(Path(path), subjects, row.mer_texts, bootstrap)
            for seed, path in sorted(run["seeds"].items())
        }
        resampled.append({key: np.mean([s.resampled[key] for s in scores.values()], axis=0) for key in RESAMPLED})
        means = {metric: [_mean_row(s.au, "au", "mean", metric) for s in scores.values()] for metric in AU_METRICS}
        mer_f1 = [_mean_row(s.mer, "metric", "f1_macro", "zero_shot") for s in scores.values()]
        out: dict[str, object] = {
            "row": row.label,
            "variant": row.variant,
            "trained_as": run["trained_as"],
            "seeds": " ".join(str(seed) for seed in scores),
        }
        if paper.mer:
            out["mer_texts"] = row.mer_texts
            out["MER_F1"], out["MER_F1_sd"] = _mean_sd(mer_f1)
            out["MER_F1_lo"], out["MER_F1_hi"] = bootstrap.interval(resampled[-1]["MER_F1"])
            for metric in AU_F1S:
                out[f"AU_{metric}"], out[f"AU_{metric}_sd"] = _mean_sd(means[metric])
            out["paper_CASME2_MER_F1"], out["paper_SAMM_MER_F1"] = row.casme2[0], row.samm[0]
            if compare:
                out["gap_MER_F1"] = out["MER_F1"] - getattr(row, compare)[0]
        else:
            for metric in AU_METRICS:
                out[metric], out[f"{metric}_sd"] = _mean_sd(means[metric])
                out[f"{metric}_lo"], out[f"{metric}_hi"] = bootstrap.interval(resampled[-1][metric])
            out["paper_CASME2_F1"], out["paper_CASME2_ACC"] = row.casme2
            out["paper_SAMM_F1"], out["paper_SAMM_ACC"] = row.samm
            if compare:
                out[f"gap_{AU_F1S[0]}"] = out[AU_F1S[0]] - getattr(row, compare)[0]
        if paper.text_similarity:
            out["text_similarity"], out["text_similarity_sd"] = _mean_sd([s.text_similarity for s in scores.values()])
            out["paper_text_similarity"] = row.text_similarity
        table.append(out)
        for seed, s in scores.items():
            folds += [{"row": row.label, "variant": row.variant, "seed": seed, **f} for f in s.folds]
        first = next(iter(scores.values()))
        if paper.mer:
            label = next(k for k in first.mer[0] if k.startswith("baseline_majority_"))
            baseline = {"row": f"baseline majority {label[len('baseline_majority_') :]}", "MER_F1": first.mer[0][label]}
        else:
            mean = next(r for r in first.au if r["au"] == "mean")
            baseline = {"row": "baseline always positive"} | {m: mean[f"baseline_{m}"] for m in AU_METRICS}
    full = runs[paper.base]["trained_as"]
    for mer_texts in dict.fromkeys(r.mer_texts for r in paper.rows):
        rows = [i for i, r in enumerate(paper.rows) if r.mer_texts == mer_texts]
        group_rows, group_resampled = [table[i] for i in rows], [resampled[i] for i in rows]
        reference = next((k for k, i in enumerate(rows) if table[i]["trained_as"] == full), None)
        if reference is None:  # e.g. a sweep without the dataset's own alpha: compare with the base run itself
            base = {
                int(seed): score_run(Path(path), subjects, mer_texts, bootstrap)
                for seed, path in sorted(runs[paper.base]["seeds"].items())
            }
            group_rows.append({"row": f"variant {paper.base}"})
            group_resampled.append(
                {key: np.mean([s.resampled[key] for s in base.values()], axis=0) for key in RESAMPLED}
            )
            reference = len(group_rows) - 1
        paired_comparison(group_rows, group_resampled, reference, ("MER_F1",) if paper.mer else AU_F1S, bootstrap)
    table.append({key: baseline.get(key, "") for key in table[0]})
    return table, folds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="microau ablation", description="one ablation table of the paper")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--group", required=True, choices=list(PAPER_TABLES))
    parser.add_argument("--runs", required=True, help="JSON: variant -> {trained_as, seeds: {seed: run dir}}")
    parser.add_argument("--subjects", nargs="+", required=True, help="held-out subjects (one fold directory each)")
    parser.add_argument("--weights", type=Path, required=True, help="JSON written by `microau weights`")
    parser.add_argument(
        "--config-json", default="{}", help="the workflow config, as JSON (its preprocessing is named in the metadata)"
    )
    parser.add_argument("--config-hash", default="")
    parser.add_argument(
        "--paper-dataset",
        choices=PAPER_DATASETS,
        help="the dataset, a real copy of it, whose published figures go beside each row (none when absent)",
    )
    parser.add_argument(
        "--temperature",
        type=temperature_flag,
        required=True,
        help="train.temperature the runs were trained with (model, learned or a number), named in the metadata",
    )
    add_bootstrap_arguments(parser)
    parser.add_argument("--table", type=Path, required=True)
    parser.add_argument("--folds", type=Path, required=True, help="per-fold figures of every run")
    args = parser.parse_args(argv)
    runs = json.loads(args.runs)
    missing = [v for v in PAPER_TABLES[args.group].variants_needed if v not in runs]
    if missing:
        raise AblationError(f"table {args.group} needs runs of variants {missing}")
    weights = read_weights_record(args.weights)
    bootstrap = bootstrap_of(args)
    table, folds = group_table(args.group, runs, args.subjects, args.paper_dataset, bootstrap)
    paper = PAPER_TABLES[args.group]
    provenance = {
        **provenance_record(weights, json.loads(args.config_json), args.config_hash),
        "temperature": describe_temperature(args.temperature),
    }
    notes = {
        "seeds": "mean and sample standard deviation over the seeds listed in each row",
        "paired": "d<metric>_lo/hi: interval of the row minus the compared_with (full-model) row over the same "
        "resamples; share_better_<metric>: share of resamples in which the row is higher",
        "paper": "published CASME II and SAMM figures of the paper; comparable only on a real copy of those",
        "gap": (
            f"gap_<metric>: the row minus the paper's {args.paper_dataset} figure (the dataset is a real copy of it)"
            if args.paper_dataset
            else "none: the dataset is not a real copy of CASME II or SAMM"
        ),
    }
    metadata = table_metadata(
        {"table": f"{args.group} ({paper.title})", "dataset": args.dataset},
        provenance,
        {"n_subjects": len(args.subjects)},
        bootstrap.describe(len(args.subjects)) + " (of the seed-averaged figure)",
        notes=notes,
    )
    write_result_table(args.table, table, metadata)
    write_result_table(args.folds, folds, metadata)
    scores = ("MER_F1",) if paper.mer else AU_F1S
    for row in table[:-1]:
        print(f"{args.dataset} table {args.group} {row['row']}: " + ", ".join(f"{m} {row[m]:.3f}" for m in scores))
    return 0


def ablation_table_main(argv: list[str]) -> int:
    """Stack the group tables into one file, each row prefixed by its table, columns united."""
    parser = argparse.ArgumentParser(prog="microau ablation-table", description="stack ablation tables into one")
    parser.add_argument("--groups", type=Path, nargs="+", required=True, help="tables written by `microau ablation`")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weights", type=Path, required=True, help="JSON written by `microau weights`")
    parser.add_argument("--config-json", default="{}", help="the workflow config, as JSON")
    parser.add_argument("--config-hash", default="")
    parser.add_argument("--provenance", type=Path, required=True, help="JSON provenance written next to the table")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    metadata: dict[str, object] = {}
    for path in args.groups:
        header, group_rows = read_result_table(path, keys=("table",))
        group = header["table"].split(" ", 1)[0]
        metadata.update({key: value for key, value in header.items() if key != "table"})
        rows += [{"table": group, **row} for row in group_rows]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    metadata["tables"] = " ".join(dict.fromkeys(str(r["table"]) for r in rows))
    write_result_table(args.out, [{key: row.get(key, "") for key in columns} for row in rows], metadata)
    provenance = provenance_record(read_weights_record(args.weights), json.loads(args.config_json), args.config_hash)
    write_provenance(args.provenance, provenance)
    return 0
