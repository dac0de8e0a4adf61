import csv
import shutil

import h5py
import numpy as np
import torch

from microau.model import ModelOptions
from microau.train import TrainSettings, loso_split, main, mer_texts, read_cache, train_fold

FAST = TrainSettings(epochs=2, batch_size=4, lr_drop_epoch=1)


def test_loso_split_keeps_the_held_out_subject_out_of_training():
    subjects = ["a", "b", "a", "c", "b"]
    train, test = loso_split(subjects, "b")
    assert test.tolist() == [1, 4]
    assert "b" not in {subjects[i] for i in train}
    assert sorted(train.tolist() + test.tolist()) == list(range(5))


def test_mer_label_texts_describe_each_class_by_its_aus():
    names, texts = mer_texts({"positive": [12], "surprise": [1, 2]})
    assert names == ["positive", "surprise"]
    assert texts[0] == "The lip corners are pulling up."
    assert texts[1] == "The inner eyebrows are raising. The outer eyebrows are raising."


def test_fold_writes_predictions_features_model_and_history(tiny_cache, tmp_path):
    summary = train_fold(tiny_cache, "sub02", FAST, ModelOptions(), tmp_path, log=lambda m: None)
    assert summary == {"held_out": "sub02", "n_train": 8, "n_test": 4}
    rows = list(csv.DictReader(open(tmp_path / "predictions.csv")))
    assert {r["subject"] for r in rows} == {"sub02"} and len(rows) == 4
    assert 0 <= float(rows[0]["AU01_prob"]) <= 1 and rows[0]["mer_pred"] in ("positive", "negative", "surprise")
    history = list(csv.DictReader(open(tmp_path / "history.csv")))
    assert [int(h["epoch"]) for h in history] == [1, 2]
    assert float(history[1]["lr_head"]) == FAST.lr_head / 10
    assert np.load(tmp_path / "features.npz")["features"].shape == (4, 8, 32)
    assert torch.load(tmp_path / "model.pt")["options"]["pooling"] == "pta"


def test_held_out_labels_cannot_change_the_trained_model(tiny_cache, tmp_path):
    changed = tmp_path / "changed.h5"
    shutil.copy(tiny_cache, changed)
    with h5py.File(changed, "r+") as h5:
        subjects = [s.decode() for s in h5["subject"][:]]
        held = np.array(subjects) == "sub03"
        labels = h5["labels"][:]
        labels[held] = 1 - labels[held]
        h5["labels"][...] = labels
    train_fold(tiny_cache, "sub03", FAST, ModelOptions(), tmp_path / "a", log=lambda m: None)
    train_fold(changed, "sub03", FAST, ModelOptions(), tmp_path / "b", log=lambda m: None)
    a = torch.load(tmp_path / "a" / "model.pt")["state_dict"]
    b = torch.load(tmp_path / "b" / "model.pt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    probs_a = [r["AU01_prob"] for r in csv.DictReader(open(tmp_path / "a" / "predictions.csv"))]
    probs_b = [r["AU01_prob"] for r in csv.DictReader(open(tmp_path / "b" / "predictions.csv"))]
    assert probs_a == probs_b


def test_two_runs_with_one_seed_give_identical_predictions(tiny_cache, tmp_path):
    for name in ("a", "b"):
        train_fold(tiny_cache, "sub01", FAST, ModelOptions(), tmp_path / name, log=lambda m: None)
    assert (tmp_path / "a" / "predictions.csv").read_bytes() == (tmp_path / "b" / "predictions.csv").read_bytes()


def test_cli_reports_unknown_subject_in_one_line(tiny_cache, tmp_path, capsys):
    code = main(["--features", str(tiny_cache), "--held-out", "sub99", "--out-dir", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err.strip() == "microau train: error: subject 'sub99' has no sample in the features cache"


def test_read_cache_round_trips_the_subjects(tiny_cache):
    data = read_cache(tiny_cache)
    assert data.subjects[:4] == ["sub01"] * 4 and data.aus == [1, 2, 4, 7, 12, 14, 15, 17]
