"""Composite and cross-dataset tables: scopes, intervals, the paired comparison and the leak check."""

import json
from pathlib import Path

import numpy as np
import pytest

from microau import cli
from microau.io.fold_files import write_predictions, write_training_set
from microau.io.result_tables import read_provenance, read_result_table
from microau.io.weights_record import write_weights_record

CLASSES = ["positive", "negative", "surprise"]


def write_run(path: Path, dataset: str | None, subjects: list[str], aus: list[str], seed: int) -> None:
    """predictions.csv of `subjects` (three samples each), named `<dataset>/<name>` unless dataset is None."""
    rng = np.random.default_rng(seed)
    name = (lambda n: n) if dataset is None else (lambda n: f"{dataset}/{n}")
    samples = [name(f"{s}_{i}") for s in subjects for i in range(3)]
    truth = rng.integers(0, 2, (len(samples), len(aus)))
    truth[0] = 1
    scores = rng.random((len(samples), 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_predictions(
        path,
        samples,
        [name(s) for s in subjects for _ in range(3)],
        [CLASSES[i % 3] for i in range(len(samples))],
        aus,
        truth,
        rng.random(truth.shape),
        {"combinations": (CLASSES, scores), "joined": (CLASSES, scores)},
    )


@pytest.fixture
def composite(tmp_path: Path) -> dict:
    """Folds of a composite of a (sub01, sub02) and b (006, 007) on AU02 and AU04, each dataset's own LOSO run
    (a with one AU more), the training sets and a weights record."""
    shared = ["AU02", "AU04"]
    subjects = {"a": ["sub01", "sub02"], "b": ["006", "007"]}
    everyone = [f"{d}/{s}" for d, names in subjects.items() for s in names]
    folds, training, references = [], [], {}
    for n, held in enumerate(everyone):
        dataset, subject = held.split("/")
        folder = tmp_path / "composite" / dataset / subject
        write_run(folder / "predictions.csv", dataset, [subject], shared, n)
        write_training_set(folder / "training_set.json", held, [s for s in everyone if s != held])
        folds.append(folder / "predictions.csv")
        training.append(folder / "training_set.json")
    for dataset, names in subjects.items():
        aus = ["AU01", *shared] if dataset == "a" else shared
        for n, subject in enumerate(names):
            path = tmp_path / "own" / dataset / subject / "predictions.csv"
            write_run(path, None, [subject], aus, 10 + n)
            references.setdefault(dataset, []).append(path)
    weights = tmp_path / "weights.json"
    write_weights_record(weights, {"model": "microau-tiny-ViT", "pretrained": "none", "weights": "none (random init)"})
    return {"folds": folds, "training": training, "references": references, "weights": weights, "dir": tmp_path}


def argv(run: dict, datasets: list[str], protocol: str = "composite_a+b") -> list[str]:
    out = run["dir"]
    references = [
        arg for dataset in datasets for arg in ["--reference", dataset, *map(str, run["references"][dataset])]
    ]
    return [
        "aggregate-protocol",
        "--protocol",
        protocol,
        "--datasets",
        *datasets,
        "--predictions",
        *map(str, run["folds"]),
        "--training-sets",
        *map(str, run["training"]),
        *references,
        "--weights",
        str(run["weights"]),
        "--table",
        str(out / "t.csv"),
        "--mer-table",
        str(out / "m.csv"),
        "--folds",
        str(out / "f.csv"),
        "--provenance",
        str(out / "p.json"),
        "--mer-texts",
        "combinations",
        "--resamples",
        "200",
        "--resample-seed",
        "0",
        "--confidence",
        "0.9",
    ]


def test_a_composite_is_scored_per_dataset_and_overall_against_each_datasets_own_run(composite, capsys):
    assert cli.main(argv(composite, ["a", "b"])) == 0
    metadata, rows = read_result_table(composite["dir"] / "t.csv")
    assert metadata["aus"] == "AU02 AU04" and metadata["n_subjects"] == "4"
    assert [(r["scope"], r["au"]) for r in rows if r["au"] == "mean"] == [
        ("a", "mean"),
        ("b", "mean"),
        ("overall", "mean"),
    ]
    for row in rows:
        for f1 in ("F1_2class", "F1_pos"):
            if row["au"] in ("AU02", "AU04", "mean"):
                assert float(row[f"{f1}_lo"]) <= float(row[f1]) <= float(row[f"{f1}_hi"])
            if row["au"] == "mean":
                difference = float(row[f1]) - float(row[f"reference_{f1}"])
                assert float(row[f"d{f1}_lo"]) <= difference <= float(row[f"d{f1}_hi"])
                assert 0 <= float(row[f"share_better_{f1}"]) <= 1
            else:
                assert row[f"d{f1}_lo"] == ""
    mer = read_result_table(composite["dir"] / "m.csv")[1]
    assert {r["scope"] for r in mer} == {"a", "b", "overall"}
    assert {r["majority_class"] for r in mer} <= set(CLASSES)
    folds = read_result_table(composite["dir"] / "f.csv")[1]
    assert {r["subject"] for r in folds} == {"a/sub01", "a/sub02", "b/006", "b/007"}
    record = read_provenance(composite["dir"] / "p.json")
    assert record["training_sets"]["a/sub01"] == {"a": ["sub02"], "b": ["006", "007"]}
    assert record["aus"] == ["AU02", "AU04"]
    assert "composite_a+b overall: mean AU F1_2class" in capsys.readouterr().out


def test_a_cross_dataset_run_is_scored_on_the_tested_dataset_only(tmp_path):
    run_dir = tmp_path / "cross"
    write_run(run_dir / "predictions.csv", "b", ["006", "007"], ["AU02", "AU04"], 0)
    write_training_set(run_dir / "training_set.json", "b", ["a/sub01", "a/sub02"])
    own = []
    for n, subject in enumerate(["006", "007"]):
        write_run(tmp_path / "own" / subject / "predictions.csv", None, [subject], ["AU02", "AU04"], n)
        own.append(tmp_path / "own" / subject / "predictions.csv")
    weights = tmp_path / "weights.json"
    write_weights_record(weights, {"model": "m", "pretrained": "none", "weights": "none"})
    run = {
        "folds": [run_dir / "predictions.csv"],
        "training": [run_dir / "training_set.json"],
        "references": {"b": own},
        "weights": weights,
        "dir": tmp_path,
    }
    assert cli.main(argv(run, ["b"], "cross_a_to_b")) == 0
    metadata, rows = read_result_table(tmp_path / "t.csv")
    assert {r["scope"] for r in rows} == {"b"}
    assert metadata["pooling"].startswith("predictions of the one run")
    assert read_provenance(tmp_path / "p.json")["training_sets"] == {"b": {"a": ["sub01", "sub02"]}}


def test_a_run_that_trained_on_a_test_subject_writes_no_table(composite, capsys):
    write_training_set(composite["training"][0], "a/sub01", ["a/sub01", "a/sub02", "b/006", "b/007"])
    assert cli.main(argv(composite, ["a", "b"])) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "microau aggregate-protocol: error: the run that held out 'a/sub01' trained on test subject(s) ['a/sub01']"
    )
    assert not (composite["dir"] / "t.csv").exists()


def test_reference_runs_must_cover_the_same_subjects(composite, capsys):
    composite["references"]["b"] = composite["references"]["b"][:1]
    assert cli.main(argv(composite, ["a", "b"])) == 2
    assert "the reference LOSO runs predict subjects" in capsys.readouterr().err


def test_a_protocol_table_carries_the_metadata_every_table_does(composite):
    """One builder (`aggregate.table_metadata`): the protocol's sidecar names the magnification, the
    landmarks and the temperature as the main table's does."""
    config = {
        "magnify": {"method": "phase", "factor": 3.0},
        "landmarks": {"method": "dlib"},
        "train": {"temperature": "model"},
    }
    assert cli.main([*argv(composite, ["a", "b"]), "--config-json", json.dumps(config)]) == 0
    metadata, _ = read_result_table(composite["dir"] / "t.csv")
    assert metadata["magnification"] == "phase x3.0" and metadata["landmarks"] == "dlib"
    assert metadata["temperature"].startswith("model") and metadata["comparison"].startswith("d<F1>")
    assert list(metadata)[-1] == "microau_version"
