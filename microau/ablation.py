"""The paper's ablation tables (II-VIII, X) rebuilt from LOSO runs, with its published figures alongside.

Each row names a variant of the workflow config. Every run is scored as the main table is (pooled
over folds, per AU the two-class F1 and the positive-class F1, argmax of P_n, final epoch); repeats
over seeds give a mean and a sample standard deviation. The paper's F1 is compared with the
two-class F1, its comparators' metric (`evaluate.F1_DEFINITION`). The published figures are
CASME II and SAMM results: they are only comparable when the dataset is a real copy of one of those.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microau.bootstrap import Bootstrap
from microau.errors import MicroauError
from microau.evaluate import (
    AU_METRICS, DECISION_RULE, F1_DEFINITION, POOLING, add_bootstrap_arguments, au_resamples, au_table, bootstrap_of,
    fold_table, mer_resamples, mer_table, provenance_record,
)
from microau.features import read_weights_record
from microau.fold_files import HISTORY_CSV, PREDICTIONS_CSV, read_history, read_predictions
from microau.result_tables import read_result_table, write_provenance, write_result_table
from microau.temperature import describe_temperature, temperature_flag


AU_F1S = ("F1_2class", "F1_pos")
"""The two F1s of `AU_METRICS`; the first is the paper's reading, which `paper_*` and `gap_*` use."""
RESAMPLED = (*AU_METRICS, "MER_F1")


class AblationError(MicroauError):
    """The runs given cannot make the ablation table; the message names what is missing or stray."""


@dataclass(frozen=True)
class PaperRow:
    """One row: its label in the paper, the config variant that reproduces it, and the published
    (F1, ACC) on CASME II and SAMM (MER F1 alone for Table X)."""

    label: str
    variant: str
    casme2: tuple[float, ...]
    samm: tuple[float, ...]
    text_similarity: float | None = None
    mer_texts: str = "combinations"


@dataclass(frozen=True)
class PaperTable:
    """`base` is the variant of the model the table varies (its full-model row): the paper's own
    figures show Tables III, IV and VI ran on the Add+MLP model, the others on the full model."""

    title: str
    rows: tuple[PaperRow, ...]
    mer: bool = False
    text_similarity: bool = False
    base: str = "micro_au_clip"

    @property
    def variants_needed(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(r.variant for r in self.rows), self.base]))


def _sweep(key: str, figures: dict[float, tuple[tuple[float, float], tuple[float, float]]]) -> tuple[PaperRow, ...]:
    return tuple(PaperRow(f"{key}={value}", f"{key}_{value}", casme2, samm) for value, (casme2, samm) in figures.items())


PAPER_TABLES: dict[str, PaperTable] = {
    "II": PaperTable(
        "LSI and GSD",
        (
            PaperRow("LSI only", "lsi_only", (0.761, 0.904), (0.714, 0.846)),
            PaperRow("GSD only", "gsd_only", (0.730, 0.898), (0.638, 0.812)),
            PaperRow("LSI + GSD", "micro_au_clip", (0.782, 0.917), (0.730, 0.863)),
        ),
    ),
    "III": PaperTable(
        "text encoder fixed or fine-tuned",
        (
            PaperRow("fixed", "text_fixed", (0.769, 0.898), (0.702, 0.812), 0.994),
            PaperRow("finetune", "add_mlp", (0.776, 0.912), (0.716, 0.853), -0.902),
        ),
        text_similarity=True,
        base="add_mlp",
    ),
    "IV": PaperTable(
        "alpha (weight of the MiAUC loss)",
        _sweep(
            "alpha",
            {
                0.2: ((0.770, 0.908), (0.712, 0.852)),
                0.4: ((0.776, 0.908), (0.687, 0.833)),
                0.6: ((0.776, 0.912), (0.715, 0.849)),
                0.8: ((0.764, 0.911), (0.696, 0.849)),
                1.0: ((0.767, 0.912), (0.716, 0.853)),
            },
        ),
        base="add_mlp",
    ),
    "V": PaperTable(
        "beta (weight of the GD loss)",
        _sweep(
            "beta",
            {
                0.2: ((0.780, 0.914), (0.704, 0.848)),
                0.4: ((0.775, 0.912), (0.712, 0.852)),
                0.6: ((0.776, 0.914), (0.730, 0.863)),
                0.8: ((0.769, 0.911), (0.693, 0.843)),
                1.0: ((0.782, 0.917), (0.711, 0.855)),
            },
        ),
    ),
    "VI": PaperTable(
        "LSI pooling",
        (
            PaperRow("meanpool", "meanpool", (0.754, 0.902), (0.680, 0.837)),
            PaperRow("maxpool", "maxpool", (0.765, 0.909), (0.709, 0.849)),
            PaperRow("PTA", "add_mlp", (0.776, 0.912), (0.716, 0.853)),
        ),
        base="add_mlp",
    ),
    "VII": PaperTable(
        "GSD fusion",
        (
            PaperRow("Cat+MLP", "cat_mlp", (0.771, 0.909), (0.641, 0.833)),
            PaperRow("Add+MLP", "add_mlp", (0.776, 0.912), (0.716, 0.853)),
            PaperRow("GDA", "micro_au_clip", (0.782, 0.917), (0.730, 0.863)),
        ),
    ),
    "VIII": PaperTable(
        "contrastive loss",
        (
            PaperRow("No CL", "no_cl", (0.759, 0.902), (0.725, 0.853)),
            PaperRow("global OrigCL", "global_origcl", (0.730, 0.898), (0.638, 0.812)),
            PaperRow("local OrigCL", "local_origcl", (0.756, 0.907), (0.691, 0.848)),
            PaperRow("MiAUCL", "micro_au_clip", (0.782, 0.917), (0.730, 0.863)),
        ),
    ),
    "X": PaperTable(
        "zero-shot MER with and without GDA",
        (
            PaperRow("w/o GDA, AU combinations", "add_mlp", (0.872,), (0.696,)),
            PaperRow("Our method, AU combinations", "micro_au_clip", (0.889,), (0.747,)),
            PaperRow("w/o GDA, joined class texts", "add_mlp", (0.872,), (0.696,), mer_texts="joined"),
            PaperRow("Our method, joined class texts", "micro_au_clip", (0.889,), (0.747,), mer_texts="joined"),
        ),
        mer=True,
    ),
}


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
    table: list[dict[str, object]], resampled: list[dict[str, np.ndarray]], reference: int, metrics: tuple[str, ...],
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
    group: str, runs: dict[str, dict], subjects: list[str], dataset: str, bootstrap: Bootstrap
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Rows laid out like the paper's table `group`, plus an always-positive (or majority) baseline
    row, and the per-fold figures of every run. `runs` maps each variant to the variant whose folds
    were trained for it (`trained_as`) and its run directory per seed (`seeds`).

    Intervals and paired comparisons are over subject-level resamples of the figure averaged over
    seeds (each seed's run scored on the same resamples); the `_sd` columns give the seed spread."""
    paper = PAPER_TABLES[group]
    compare = dataset if dataset in ("casme2", "samm") else None
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
        out: dict[str, object] = {"row": row.label, "variant": row.variant, "trained_as": run["trained_as"],
                                  "seeds": " ".join(str(seed) for seed in scores)}
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
            baseline = {"row": f"baseline majority {label[len('baseline_majority_'):]}", "MER_F1": first.mer[0][label]}
        else:
            mean = next(r for r in first.au if r["au"] == "mean")
            baseline = {"row": "baseline always positive"} | {m: mean[f"baseline_{m}"] for m in AU_METRICS}
    full = runs[paper.base]["trained_as"]
    for mer_texts in dict.fromkeys(r.mer_texts for r in paper.rows):
        rows = [i for i, r in enumerate(paper.rows) if r.mer_texts == mer_texts]
        group_rows, group_resampled = [table[i] for i in rows], [resampled[i] for i in rows]
        reference = next((k for k, i in enumerate(rows) if table[i]["trained_as"] == full), None)
        if reference is None:  # e.g. a sweep without the dataset's own alpha: compare with the base run itself
            base = {int(seed): score_run(Path(path), subjects, mer_texts, bootstrap)
                    for seed, path in sorted(runs[paper.base]["seeds"].items())}
            group_rows.append({"row": f"variant {paper.base}"})
            group_resampled.append({key: np.mean([s.resampled[key] for s in base.values()], axis=0)
                                    for key in RESAMPLED})
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
    parser.add_argument("--config-hash", default="")
    parser.add_argument(
        "--temperature", type=temperature_flag, required=True,
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
    table, folds = group_table(args.group, runs, args.subjects, args.dataset, bootstrap)
    paper = PAPER_TABLES[args.group]
    metadata = {
        "table": f"{args.group} ({paper.title})",
        "dataset": args.dataset,
        "weights": weights.get("weights", ""),
        "encoder": weights.get("model", ""),
        "config_hash": args.config_hash,
        "n_subjects": len(args.subjects),
        "pooling": POOLING,
        "decision_rule": DECISION_RULE,
        "f1": F1_DEFINITION,
        "temperature": describe_temperature(args.temperature),
        "seeds": "mean and sample standard deviation over the seeds listed in each row",
        "intervals": bootstrap.describe(len(args.subjects)) + " (of the seed-averaged figure)",
        "paired": "d<metric>_lo/hi: interval of the row minus the compared_with (full-model) row over the same "
        "resamples; share_better_<metric>: share of resamples in which the row is higher",
        "paper": "published CASME II and SAMM figures of the paper; comparable only on a real copy of those",
    }
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
