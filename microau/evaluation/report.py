"""`microau figures`: the figures of the Snakemake report, from files the pipeline already wrote.

Per dataset: per-AU F1/ACC against the always-positive baseline, the zero-shot MER confusion
matrix, PTA weights on apex frames (Fig. 5 of the paper), the visual-visual similarity matrix of
one AU (Fig. 6), a t-SNE of that AU's features (Fig. 7), loss curves, run times, provenance, and
the AU and MER tables as a page.
Every figure reads held-out outputs: a sample's features come from the fold that left its subject
out, so nothing shown was fitted on the sample drawn.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from microau.aus import AU_LANDMARKS, au_name
from microau.errors import MicroauError
from microau.evaluation.aggregate import AU_METRICS, MER_READINGS
from microau.io.atomic import atomic_open, atomic_path
from microau.io.feature_cache import cache_geometry
from microau.io.fold_files import (
    FEATURES_NPZ,
    HISTORY_CSV,
    PREDICTIONS_CSV,
    au_truth_and_probs,
    mer_classes,
    mer_predictions,
    read_fold_features,
    read_fold_predictions,
    read_history,
)
from microau.io.result_tables import metadata_path, read_provenance, read_result_table
from microau.model.attention import attention_map
from microau.model.decision import on_matrix

PROG = "microau figures"
DPI = 150
POSITIVE_COLOUR = "#d62728"
NEGATIVE_COLOUR = "#7f7f7f"
MODEL_COLOUR = "#1f77b4"
FIGURE_FILES = {
    "au_scores": "au_scores.png",
    "mer_confusion": "mer_confusion.png",
    "attention": "attention.png",
    "similarity": "similarity.png",
    "tsne": "tsne.png",
    "loss_curves": "loss_curves.png",
    "runtimes": "runtimes.png",
    "provenance": "provenance.html",
    "tables": "tables.html",
}


class FigureError(MicroauError):
    """The inputs of the figures are empty, unreadable or lack the AU asked for; the message says which."""


@dataclass
class PooledFolds:
    """Held-out outputs of every fold, one row per sample, in the folds' order."""

    samples: list[str]
    subjects: list[str]
    aus: list[str]
    labels: np.ndarray
    probs: np.ndarray
    class3: list[str]
    mer_pred: list[str]
    mer_classes: list[str]
    features: np.ndarray
    au_tokens: np.ndarray
    token_weights: np.ndarray | None


def load_folds(fold_dirs: list[Path], mer_reading: str) -> PooledFolds:
    """predictions.csv and features.npz of each fold directory, rows matched by sample id; the
    zero-shot MER predictions of the `mer_reading` reading of Eq. 13."""
    rows, features, au_tokens, weights = [], [], [], []
    for fold in map(Path, fold_dirs):
        fold_rows = read_fold_predictions(fold / PREDICTIONS_CSV)
        arrays = read_fold_features(fold / FEATURES_NPZ, [r["sample"] for r in fold_rows])
        rows += fold_rows
        features.append(arrays.features.astype(np.float32))
        au_tokens.append(arrays.au_tokens)
        weights.append(arrays.token_weights)
    if not rows:
        raise FigureError("the folds hold no prediction")
    aus, labels, probs = au_truth_and_probs(rows)
    return PooledFolds(
        samples=[r["sample"] for r in rows],
        subjects=[r["subject"] for r in rows],
        aus=aus,
        labels=labels,
        probs=probs,
        class3=[r["class3"] for r in rows],
        mer_pred=mer_predictions(rows, mer_reading),
        mer_classes=mer_classes(rows, mer_reading),
        features=np.concatenate(features),
        au_tokens=np.concatenate(au_tokens),
        token_weights=None if any(w is None for w in weights) else np.concatenate(weights),
    )


def _save(figure: Figure, out: Path) -> None:
    with atomic_path(out) as tmp:
        figure.savefig(tmp, dpi=DPI, bbox_inches="tight", format=out.suffix.lstrip("."))


def message_figure(out: Path, title: str, message: str) -> None:
    """A figure that says why a plot cannot be drawn: the report keeps one entry per figure."""
    figure = Figure(figsize=(6, 2))
    figure.text(0.5, 0.65, title, ha="center", va="center", fontsize=12, weight="bold")
    figure.text(0.5, 0.35, message, ha="center", va="center", fontsize=10, wrap=True)
    _save(figure, out)


def plot_au_scores(table: Path, out: Path) -> None:
    """Per-AU two-class F1, positive-class F1 and ACC of the pooled LOSO predictions next to the
    always-positive baseline, with the table's subject-level bootstrap intervals as error bars."""
    metrics = [
        f"{prefix}{metric}{suffix}"
        for metric in AU_METRICS
        for prefix, suffix in (("", ""), ("baseline_", ""), ("", "_lo"), ("", "_hi"))
    ]
    metadata, rows = read_result_table(table, columns=("au", "n_pos", *metrics))
    rows = [r for r in rows if r["au"] != "baseline"]
    names = [r["au"] if r["au"] == "mean" else f"{r['au']}\n{r['n_pos']}+" for r in rows]
    x = np.arange(len(rows))
    figure = Figure(figsize=(max(8, 1.0 * len(rows) + 2), 9), layout="constrained")
    axes = figure.subplots(len(AU_METRICS), 1, sharex=True)
    for ax, metric in zip(axes, AU_METRICS):
        model = [float(r[metric]) for r in rows]
        baseline = [float(r[f"baseline_{metric}"]) for r in rows]
        errors = np.array([[m - float(r[f"{metric}_lo"]), float(r[f"{metric}_hi"]) - m] for m, r in zip(model, rows)]).T
        bars = ax.bar(
            x - 0.2,
            model,
            0.4,
            color=MODEL_COLOUR,
            label="Micro-AU CLIP (pooled LOSO)",
            yerr=errors,
            capsize=3,
            error_kw={"linewidth": 0.8},
        )
        ax.bar(x + 0.2, baseline, 0.4, color=NEGATIVE_COLOUR, label="always positive")
        ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=1)
        ax.set_ylim(0, 1.12)
        ax.set_ylabel(metric)
        ax.axvline(len(rows) - 1.5, color="black", linewidth=0.5)
    # Under the axes: inside them the legend covered the labels of the first bars.
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=9)
    axes[-1].set_xticks(x, names)
    axes[-1].set_xlabel("AU (n+ = positive samples)")
    figure.suptitle(
        f"{metadata.get('dataset', '')}: AU detection, {metadata.get('n_samples', '?')} samples, "
        f"{metadata.get('n_subjects', '?')} subjects\nweights: {metadata.get('weights', '?')}; "
        f"error bars: {metadata.get('intervals', '?').split(':')[0]}",
        fontsize=10,
    )
    _save(figure, out)


def plot_mer_confusion(folds: PooledFolds, out: Path) -> None:
    """Zero-shot MER (Eq. 13): true three-class label against the predicted label text."""
    scored = [(t, p) for t, p in zip(folds.class3, folds.mer_pred) if t]
    if not scored:
        message_figure(out, "Zero-shot MER", "no sample has a three-class label")
        return
    classes = folds.mer_classes
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for truth, pred in scored:
        counts[classes.index(truth), classes.index(pred)] += 1
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure = Figure(figsize=(5.2, 4.4), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            colour = "white" if share[i, j] > 0.6 else "black"
            ax.text(j, i, f"{counts[i, j]}\n{share[i, j]:.0%}", ha="center", va="center", color=colour, fontsize=9)
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted (argmax of summed AU-text similarity)")
    ax.set_ylabel("true class")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(
        f"Zero-shot MER, {len(scored)} samples, accuracy {accuracy:.2f} ({np.trace(counts)}/{len(scored)})", fontsize=10
    )
    figure.colorbar(image, ax=ax, label="share of the true class")
    _save(figure, out)


def pick_attention_samples(folds: PooledFolds, n: int) -> list[int]:
    """Up to n samples, taking AUs in turn: the not yet chosen positive sample of each AU with the
    highest predicted probability, so the figure shows several AUs where the data has them."""
    chosen: list[int] = []
    while len(chosen) < n:
        added = False
        for a in range(len(folds.aus)):
            candidates = [i for i in np.flatnonzero(folds.labels[:, a] == 1) if i not in chosen]
            if candidates and len(chosen) < n:
                chosen.append(int(max(candidates, key=lambda i: folds.probs[i, a])))
                added = True
        if not added:
            break
    return chosen


def plot_attention(
    folds: PooledFolds,
    frames_dir: Path,
    landmarks_dir: Path,
    grid: tuple[int, int],
    image_size: int,
    n_samples: int,
    out: Path,
) -> None:
    """Fig. 5: each true AU's PTA weights painted on its patch cells of the apex crop."""
    import cv2

    from microau.io.landmarks_csv import read_landmarks

    if folds.token_weights is None:
        message_figure(out, "PTA attention", "this variant has no patch token weights (pooling: global)")
        return
    picks = pick_attention_samples(folds, n_samples)
    if not picks:
        message_figure(out, "PTA attention", "no sample has a positive AU label")
        return
    figure = Figure(figsize=(3.2 * len(picks) + 0.8, 3.9), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(picks)))
    image = None
    for ax, i in zip(axes, picks):
        sample = folds.samples[i]
        apex = cv2.imread(str(Path(frames_dir) / sample / "apex.png"), cv2.IMREAD_COLOR)
        if apex is None:
            raise FigureError(f"cannot read apex crop {Path(frames_dir) / sample / 'apex.png'}")
        side = apex.shape[1]
        scale = side / image_size
        active = [int(a) for a in np.flatnonzero(folds.labels[i] == 1)]
        cells = attention_map(folds.au_tokens[i], folds.token_weights[i], active, grid)
        ax.imshow(cv2.cvtColor(apex, cv2.COLOR_BGR2RGB))
        image = ax.imshow(
            np.ma.masked_equal(cells, 0),
            cmap="jet",
            vmin=0,
            vmax=1,
            alpha=0.5,
            extent=(0, side, side, 0),
            interpolation="nearest",
        )
        points = read_landmarks(Path(landmarks_dir) / f"{sample}.csv") * scale
        for a in active:
            marks = points[list(AU_LANDMARKS[int(folds.aus[a][2:])])]
            ax.scatter(marks[:, 0], marks[:, 1], s=10, c="white", edgecolors="black", linewidths=0.5)
        predicted = [folds.aus[a] for a in np.flatnonzero(on_matrix(folds.probs[i]))]
        ax.set_title(
            f"{sample}\ntrue {'+'.join(folds.aus[a] for a in active)}\npredicted {'+'.join(predicted) or 'none'}",
            fontsize=9,
        )
        ax.set_axis_off()
    figure.colorbar(image, ax=list(axes), label="PTA weight", shrink=0.8)
    _save(figure, out)


def _spread(indices: np.ndarray, n: int) -> list[int]:
    """n indices evenly spread over a list (which is sorted by sample, hence over subjects)."""
    if len(indices) <= n:
        return [int(i) for i in indices]
    return [int(indices[k]) for k in np.linspace(0, len(indices) - 1, n).round().astype(int)]


def plot_similarity(folds: PooledFolds, au: str, per_class: int, out: Path) -> None:
    """Fig. 6: cosine similarity of one AU's visual features, positive samples first, then negative."""
    a = folds.aus.index(au)
    order = np.argsort(folds.samples)
    positives = _spread(order[folds.labels[order, a] == 1], per_class)
    negatives = _spread(order[folds.labels[order, a] == 0], per_class)
    if not positives or not negatives:
        counts = f"{len(positives)} positive, {len(negatives)} negative"
        message_figure(out, f"{au} similarity", f"{au} needs positive and negative samples: {counts}")
        return
    picks = positives + negatives
    vectors = folds.features[picks, a]
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    n_pos = len(positives)
    blocks = {
        "pos-pos": similarity[:n_pos, :n_pos][~np.eye(n_pos, dtype=bool)],
        "neg-neg": similarity[n_pos:, n_pos:][~np.eye(len(negatives), dtype=bool)],
        "pos-neg": similarity[:n_pos, n_pos:].ravel(),
    }
    means = ", ".join(f"{k} {v.mean():.2f}" for k, v in blocks.items() if v.size)
    size = 1.8 + 0.6 * len(picks)
    figure = Figure(figsize=(size + 1.5, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(similarity, cmap="viridis", vmin=min(0.0, float(similarity.min())), vmax=1)
    if len(picks) <= 12:
        for i in range(len(picks)):
            for j in range(len(picks)):
                colour = "black" if similarity[i, j] > 0.7 else "white"
                ax.text(j, i, f"{similarity[i, j]:.2f}", ha="center", va="center", fontsize=8, color=colour)
    names = [f"{'+' if k < n_pos else '-'} {folds.samples[i]}" for k, i in enumerate(picks)]
    ax.set_xticks(range(len(picks)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(picks)), names, fontsize=8)
    for tick in [*ax.get_xticklabels()[:n_pos], *ax.get_yticklabels()[:n_pos]]:
        tick.set_color(POSITIVE_COLOUR)
    ax.axhline(n_pos - 0.5, color="white", linewidth=2)
    ax.axvline(n_pos - 0.5, color="white", linewidth=2)
    ax.set_title(f"{au} visual features: cosine similarity\nmean {means}", fontsize=10)
    figure.colorbar(image, ax=ax, label="cosine similarity")
    _save(figure, out)


def tsne_perplexity(n: int) -> float:
    """sklearn's default 30 needs far more samples than a small dataset has; it must stay below n."""
    return float(min(30.0, max(2.0, (n - 1) / 3.0)))


def plot_tsne(folds: PooledFolds, au: str, out: Path) -> None:
    """Fig. 7: t-SNE of one AU's (L2-normalised) visual features, coloured by the AU's label."""
    from sklearn.manifold import TSNE

    a = folds.aus.index(au)
    n = len(folds.samples)
    if n < 4:
        message_figure(out, f"{au} t-SNE", f"t-SNE needs at least 4 samples, the folds hold {n}")
        return
    vectors = folds.features[:, a]
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    perplexity = tsne_perplexity(n)
    embedded = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0).fit_transform(vectors)
    figure = Figure(figsize=(5.5, 5), layout="constrained")
    ax = figure.subplots()
    for value, colour, name in ((0, NEGATIVE_COLOUR, "inactive"), (1, POSITIVE_COLOUR, "active")):
        mask = folds.labels[:, a] == value
        ax.scatter(
            embedded[mask, 0],
            embedded[mask, 1],
            s=28,
            c=colour,
            label=f"{au} {name} ({mask.sum()})",
            edgecolors="white",
            linewidths=0.5,
        )
    ax.legend(fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"t-SNE of {au} features, {n} held-out samples (perplexity {perplexity:.1f})", fontsize=10)
    _save(figure, out)


def plot_loss_curves(histories: list[Path], out: Path) -> None:
    """Training losses per epoch (history.csv of each fold): one thin line per fold, their mean bold."""
    columns = {"loss": "total (Eq. 12)", "multitask": "multi-task CE", "contrastive": "MiAUCL", "gd": "GD loss"}
    runs = [run for run in map(read_history, histories) if run]
    if not runs:
        message_figure(out, "Training losses", "no history.csv holds an epoch")
        return
    figure = Figure(figsize=(11, 6.5), layout="constrained")
    axes = figure.subplots(2, 2).ravel()
    epochs = min(len(run) for run in runs)
    drops = [int(r["epoch"]) for r, prev in zip(runs[0][1:], runs[0]) if r["lr_head"] != prev["lr_head"]]
    for ax, (column, title) in zip(axes, columns.items()):
        values = np.array([[float(r[column]) for r in run[:epochs]] for run in runs])
        x = np.arange(1, epochs + 1)
        for k, row in enumerate(values):
            ax.plot(x, row, color=MODEL_COLOUR, alpha=0.35, linewidth=0.8, label="one fold" if k == 0 else None)
        ax.plot(x, values.mean(axis=0), color="black", linewidth=2, label=f"mean of {len(runs)}")
        for epoch in drops:
            ax.axvline(epoch - 0.5, color=POSITIVE_COLOUR, linestyle=":", linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize=8)
    figure.suptitle("Training loss per epoch (dotted: learning rates / 10)", fontsize=11)
    _save(figure, out)


def read_benchmark(path: Path) -> dict[str, float]:
    """Mean wall seconds and max RSS (MiB) of a Snakemake benchmark TSV (several rows when repeated)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if not rows:
        raise FigureError(f"benchmark {path} holds no row")

    def number(value: str) -> float:
        try:
            return float(value)
        except ValueError:
            return float("nan")

    return {
        "s": float(np.mean([number(r["s"]) for r in rows])),
        "max_rss": float(np.mean([number(r.get("max_rss", "NA")) for r in rows])),
    }


def benchmark_label(path: Path) -> tuple[str, str]:
    """(stage, job) of results/benchmarks/<stage>/.../<job>.tsv."""
    parts = Path(path).parts
    below = parts[parts.index("benchmarks") + 1 :] if "benchmarks" in parts else (Path(path).name,)
    stage = Path(below[0]).stem
    job = Path(below[-1]).stem
    return stage, job


def plot_runtimes(benchmarks: list[Path], out: Path) -> None:
    """Wall time and peak memory of each benchmarked job, coloured by stage."""
    if not benchmarks:
        message_figure(out, "Run times", "no benchmark file was given")
        return
    records = [(*benchmark_label(path), read_benchmark(path)) for path in benchmarks]
    stages = list(dict.fromkeys(stage for stage, _, _ in records))
    palette = [f"C{k % 10}" for k in range(len(stages))]
    colours = [palette[stages.index(stage)] for stage, _, _ in records]
    names = [stage if job == stage else f"{stage}: {job}" for stage, job, _ in records]
    y = np.arange(len(records))[::-1]
    figure = Figure(figsize=(11, 1.2 + 0.32 * len(records)), layout="constrained")
    time_ax, memory_ax = figure.subplots(1, 2, sharey=True)
    seconds = [r["s"] for _, _, r in records]
    bars = time_ax.barh(y, seconds, color=colours)
    time_ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
    time_ax.set_yticks(y, names, fontsize=8)
    time_ax.set_xlabel("wall time (s)")
    memory_ax.barh(y, [r["max_rss"] for _, _, r in records], color=colours)
    memory_ax.set_xlabel("peak resident memory (MiB)")
    totals = {stage: sum(r["s"] for s, _, r in records if s == stage) for stage in stages}
    time_ax.set_title("total: " + ", ".join(f"{stage} {total:.0f} s" for stage, total in totals.items()), fontsize=9)
    figure.suptitle("Run time of the benchmarked jobs", fontsize=11)
    _save(figure, out)


def write_provenance_html(provenance: Path, out: Path) -> None:
    """The provenance JSON as a small HTML page: what produced the tables, then the full config."""
    record = read_provenance(provenance)
    fields = [
        ("CLIP model", record.get("model", "")),
        ("pretrained", record.get("pretrained", "")),
        ("weights", record.get("weights", "")),
        ("config hash", record.get("config_hash", "")),
        ("magnification", record.get("magnification", "")),
        ("landmarks", record.get("landmarks", "")),
        ("microau", record.get("microau_version", "")),
        *[(name, version) for name, version in sorted(record.get("versions", {}).items())],
    ]
    rows = "\n".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in fields)
    config = html.escape(json.dumps(record.get("config", {}), indent=2, sort_keys=True))
    with atomic_open(out) as handle:
        handle.write(
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Provenance</title><style>'
            "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
            "th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f3f3f3}"
            "pre{background:#f8f8f8;padding:1em;font-size:12px}</style></head><body>\n"
            f"<h2>Provenance of {html.escape(provenance.name)}</h2>\n<table>\n{rows}\n</table>\n"
            f"<h3>Configuration</h3>\n<pre>{config}</pre>\n</body></html>\n"
        )


def table_html(path: Path) -> str:
    """One result table as an HTML section: its rows, then its metadata sidecar."""
    metadata, rows = read_result_table(path)
    header = "".join(f"<th>{html.escape(column)}</th>" for column in rows[0])
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(value)}</td>" for value in row.values()) + "</tr>" for row in rows
    )
    about = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in metadata.items())
    return (
        f'<h2>{html.escape(path.name)}</h2>\n<table class="rows">\n<tr>{header}</tr>\n{body}\n</table>\n'
        f"<h3>How it was made ({html.escape(metadata_path(path).name)})</h3>\n<table>\n{about}\n</table>\n"
    )


def write_tables_html(tables: list[Path], out: Path) -> None:
    """The result tables of a dataset as one HTML page, so the report shows them beside the figures."""
    with atomic_open(out) as handle:
        handle.write(
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Result tables</title><style>'
            "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}"
            "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}"
            "table.rows td{text-align:right;font-variant-numeric:tabular-nums}</style></head><body>\n"
            + "".join(table_html(table) for table in tables)
            + "</body></html>\n"
        )


def make_figures(args: argparse.Namespace) -> list[Path]:
    """Every figure of one dataset under args.out_dir; returns their paths."""
    out = {key: args.out_dir / name for key, name in FIGURE_FILES.items()}
    folds = load_folds(args.fold_dirs, args.mer_texts)
    au = au_name(args.au)
    if au not in folds.aus:
        raise FigureError(f"{au} (--au) is not among the dataset's AUs {', '.join(folds.aus)}")
    grid, image_size = cache_geometry(args.cache)
    plot_au_scores(args.table, out["au_scores"])
    plot_mer_confusion(folds, out["mer_confusion"])
    plot_attention(folds, args.frames_dir, args.landmarks_dir, grid, image_size, args.sample_count, out["attention"])
    plot_similarity(folds, au, args.sample_count, out["similarity"])
    plot_tsne(folds, au, out["tsne"])
    plot_loss_curves([Path(fold) / HISTORY_CSV for fold in args.fold_dirs], out["loss_curves"])
    plot_runtimes(args.benchmarks, out["runtimes"])
    write_provenance_html(args.provenance, out["provenance"])
    write_tables_html([args.table, args.mer_table], out["tables"])
    return list(out.values())


def figures_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, required=True, help="results/<dataset>_table.csv")
    parser.add_argument("--mer-table", type=Path, required=True, help="results/<dataset>_mer_table.csv")
    parser.add_argument("--provenance", type=Path, required=True, help="results/<dataset>_provenance.json")
    parser.add_argument("--cache", type=Path, required=True, help="features HDF5 (patch grid and image size)")
    parser.add_argument("--fold-dirs", type=Path, nargs="+", required=True, help="fold directories of `microau train`")
    parser.add_argument("--frames-dir", type=Path, required=True, help="results/frames/<dataset>")
    parser.add_argument("--landmarks-dir", type=Path, required=True, help="results/landmarks/<dataset>")
    parser.add_argument("--benchmarks", type=Path, nargs="*", default=[], help="Snakemake benchmark TSVs")
    parser.add_argument("--au", type=int, required=True, help="AU of the similarity matrix and the t-SNE")
    parser.add_argument(
        "--sample-count",
        type=int,
        required=True,
        help="samples in the attention figure, and per label in the similarity matrix",
    )
    parser.add_argument(
        "--mer-texts",
        choices=list(MER_READINGS),
        required=True,
        help="reading of Eq. 13 whose predictions the confusion matrix shows",
    )
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    written = make_figures(args)
    print(f"wrote {len(written)} figures -> {args.out_dir}")
    return 0
