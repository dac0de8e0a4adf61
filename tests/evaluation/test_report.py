"""Figures of the report on small fake pipeline outputs (fast: no training, no CLIP)."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from microau import cli
from microau.evaluation.report import (
    FIGURE_FILES,
    benchmark_label,
    figures_main,
    load_folds,
    pick_attention_samples,
    plot_attention,
    plot_au_scores,
    tsne_perplexity,
)
from microau.io.feature_cache import FeatureCache, write_cache
from microau.io.fold_files import (
    FEATURES_NPZ,
    HISTORY_CSV,
    PREDICTIONS_CSV,
    FoldFeatures,
    read_fold_features,
    write_fold_features,
    write_history,
    write_predictions,
)
from microau.io.landmarks_csv import write_landmarks
from microau.io.result_tables import write_provenance, write_result_table

AUS = ["AU01", "AU04", "AU12"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_table(path: Path) -> None:
    """An AU table as aggregation writes it."""
    metadata = {
        "dataset": "fake",
        "weights": "none (random init, torch seed 0)",
        "n_samples": 8,
        "n_subjects": 2,
        "intervals": "95% percentile intervals of a subject-level bootstrap: 100 resamples",
    }
    columns = [
        "au",
        "n_pos",
        "F1_2class",
        "F1_2class_lo",
        "F1_2class_hi",
        "F1_pos",
        "F1_pos_lo",
        "F1_pos_hi",
        "ACC",
        "ACC_lo",
        "ACC_hi",
        "baseline_F1_2class",
        "baseline_F1_pos",
        "baseline_ACC",
    ]
    rows = [
        ["AU01", 3, 0.7, 0.5, 0.9, 0.5, 0.2, 0.8, 0.75, 0.5, 1.0, 0.2727, 0.5455, 0.375],
        ["AU04", 4, 0.625, 0.5, 0.75, 0.6667, 0.5, 0.8, 0.625, 0.5, 0.75, 0.3333, 0.6667, 0.5],
        ["AU12", 1, 0.4667, 0.4, 0.5, 0.0, 0.0, 0.0, 0.875, 0.75, 1.0, 0.1111, 0.2222, 0.125],
        ["mean", 8, 0.5972, 0.5, 0.7, 0.3889, 0.3, 0.5, 0.75, 0.6, 0.9, 0.2390, 0.4781, 0.3333],
        ["baseline", "", 0.2390, "", "", 0.4781, "", "", 0.3333, "", "", "", "", ""],
    ]
    write_result_table(path, [dict(zip(columns, row)) for row in rows], metadata)


def write_mer_table(path: Path) -> None:
    """A MER table as aggregation writes it."""
    rows = [
        {"metric": "f1_macro", "zero_shot": 0.4, "baseline_majority_negative": 0.2},
        {"metric": "n_samples", "zero_shot": 6, "baseline_majority_negative": 6},
    ]
    write_result_table(path, rows, {"dataset": "fake", "mer_texts": "combinations (one label text per AU combination)"})


def write_fold(root: Path, subject: str, rng: np.random.Generator, with_weights: bool = True) -> Path:
    """A fold directory as `microau train` writes it, for 4 samples of one subject."""
    fold = root / "train" / subject
    fold.mkdir(parents=True)
    samples = [f"{subject}_EP0{i}" for i in range(4)]
    labels = rng.integers(0, 2, (4, len(AUS)))
    labels[0] = 1
    labels[1] = 0
    mer = {"combinations": (["negative", "positive", "surprise"], rng.normal(size=(4, 3)))}
    write_predictions(
        fold / PREDICTIONS_CSV,
        samples,
        [subject] * 4,
        ["positive", "negative", "", "surprise"],
        AUS,
        labels,
        rng.uniform(size=(4, len(AUS))),
        mer,
    )
    tokens = np.full((4, len(AUS), 3), -1)
    tokens[:, :, :2] = rng.integers(1, 50, (4, len(AUS), 2))
    weights = np.where(tokens > 0, 0.5, 0.0) if with_weights else None
    arrays = FoldFeatures(rng.normal(size=(4, len(AUS), 16)), tokens, token_weights=weights)
    write_fold_features(fold / FEATURES_NPZ, samples[::-1], arrays)  # another order than predictions.csv
    history = []
    for epoch in range(1, 5):
        lr = 0.01 if epoch <= 2 else 0.001
        history.append(
            {
                "epoch": epoch,
                "lr_encoder": lr / 10,
                "lr_head": lr,
                "loss": 3 / epoch,
                "multitask": 2 / epoch,
                "contrastive": 1 / epoch,
                "gd": 0.1,
                "seconds": 0.5,
            }
        )
    write_history(fold / HISTORY_CSV, history)
    for sample in samples:
        (root / "frames" / sample).mkdir(parents=True)
        cv2.imwrite(str(root / "frames" / sample / "apex.png"), rng.integers(0, 255, (256, 256, 3), dtype=np.uint8))
        write_landmarks(root / "landmarks" / f"{sample}.csv", rng.uniform(10, 214, (68, 2)))
    return fold


@pytest.fixture
def fake_run(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    for subject in ("sub01", "sub02"):
        write_fold(tmp_path, subject, rng)
    write_table(tmp_path / "table.csv")
    write_mer_table(tmp_path / "mer_table.csv")
    write_provenance(
        tmp_path / "provenance.json",
        {
            "model": "ViT-B-32",
            "pretrained": "none",
            "weights": "none (random init, torch seed 0)",
            "config_hash": "abc123",
            "magnification": "linear_eulerian x3.0",
            "microau_version": "0.1.0",
            "versions": {"torch": "2.14.1"},
            "config": {"targets": ["fake"]},
        },
    )
    write_cache(
        tmp_path / "cache.h5",
        FeatureCache(
            tokens=np.zeros((1, 50, 8)),
            au_tokens=np.full((1, len(AUS), 3), -1),
            labels=np.zeros((1, len(AUS))),
            subjects=["sub01"],
            samples=["sub01_EP00"],
            class3=[""],
            encoder="fake",
            pretrained="none",
            weights="none",
            k=1,
            aus=[1, 4, 12],
            grid=(7, 7),
            image_size=224,
            config_hash="abc123",
        ),
    )
    bench = tmp_path / "benchmarks" / "train" / "fake" / "v"
    bench.mkdir(parents=True)
    for name, seconds in (("sub01", 4.5), ("sub02", 3.0)):
        (bench / f"{name}.tsv").write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:04\t800.5\n")
    return tmp_path


def figures_args(root: Path, out: Path) -> list[str]:
    return [
        "--table",
        str(root / "table.csv"),
        "--mer-table",
        str(root / "mer_table.csv"),
        "--provenance",
        str(root / "provenance.json"),
        "--cache",
        str(root / "cache.h5"),
        "--fold-dirs",
        str(root / "train" / "sub01"),
        str(root / "train" / "sub02"),
        "--frames-dir",
        str(root / "frames"),
        "--landmarks-dir",
        str(root / "landmarks"),
        "--benchmarks",
        *map(str, sorted((root / "benchmarks").rglob("*.tsv"))),
        "--au",
        "1",
        "--sample-count",
        "2",
        "--mer-texts",
        "combinations",
        "--out-dir",
        str(out),
    ]


def test_figures_command_writes_every_figure_as_a_readable_image(fake_run, tmp_path, capsys):
    out = tmp_path / "figures"
    assert figures_main(figures_args(fake_run, out)) == 0
    for key, name in FIGURE_FILES.items():
        path = out / name
        assert path.stat().st_size > 0, key
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == PNG_MAGIC
            image = cv2.imread(str(path))
            assert image is not None and min(image.shape[:2]) > 100, key
    provenance = (out / "provenance.html").read_text()
    assert "none (random init, torch seed 0)" in provenance and "abc123" in provenance
    tables = (out / "tables.html").read_text()
    assert "<td>AU04</td><td>4</td><td>0.6250</td>" in tables and "<td>f1_macro</td><td>0.4000</td>" in tables
    assert "mer_table.meta.json" in tables and "combinations (one label text per AU combination)" in tables
    assert "wrote 9 figures" in capsys.readouterr().out


def test_missing_input_gives_one_line_and_exit_code_2(fake_run, tmp_path, capsys):
    (fake_run / "table.csv").unlink()
    assert cli.main(["figures", *figures_args(fake_run, tmp_path / "figures")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("microau figures: error:") and "table.csv" in err and "\n" not in err


def test_folds_are_pooled_and_matched_by_sample_id(fake_run):
    folds = load_folds([fake_run / "train" / "sub01", fake_run / "train" / "sub02"], "combinations")
    assert folds.samples[:4] == [f"sub01_EP0{i}" for i in range(4)] and len(folds.samples) == 8
    assert folds.aus == AUS and folds.mer_classes == ["negative", "positive", "surprise"]
    saved = read_fold_features(fake_run / "train" / "sub01" / FEATURES_NPZ, ["sub01_EP02"])
    np.testing.assert_array_equal(folds.features[2], saved.features[0].astype(np.float32))


def test_attention_samples_take_each_au_in_turn(fake_run):
    folds = load_folds([fake_run / "train" / "sub01", fake_run / "train" / "sub02"], "combinations")
    picks = pick_attention_samples(folds, 3)
    assert len(picks) == 3 and len(set(picks)) == 3
    assert all(folds.labels[i].any() for i in picks)
    first = np.flatnonzero(folds.labels[:, 0] == 1)
    assert picks[0] == first[np.argmax(folds.probs[first, 0])]


def test_variant_without_pta_weights_gets_an_explaining_figure(tmp_path):
    rng = np.random.default_rng(1)
    fold = write_fold(tmp_path, "sub01", rng, with_weights=False)
    folds = load_folds([fold], "combinations")
    assert folds.token_weights is None
    out = tmp_path / "attention.png"
    plot_attention(folds, tmp_path / "frames", tmp_path / "landmarks", (7, 7), 224, 2, out)
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_au_scores_figure_is_written(fake_run, tmp_path):
    out = tmp_path / "scores.svg"
    plot_au_scores(fake_run / "table.csv", out)
    assert out.read_text().lstrip().startswith("<?xml")


def test_tsne_perplexity_stays_below_the_sample_count():
    for n in (4, 5, 12, 40, 91):
        assert 2 <= tsne_perplexity(n) < n
    assert tsne_perplexity(1000) == 30


def test_benchmark_label_names_stage_and_job():
    assert benchmark_label(Path("results/benchmarks/train/casme2/v/seed1/sub01.tsv")) == ("train", "sub01")
    assert benchmark_label(Path("results/benchmarks/synthesize/synthetic.tsv")) == ("synthesize", "synthetic")
    assert benchmark_label(Path("synthesize.tsv")) == ("synthesize", "synthesize")
