"""A training run's files: each written then read gives back what was written."""

from pathlib import Path

import numpy as np
import pytest
import torch

from microau.io.fold_files import (
    FEATURES_NPZ,
    HISTORY_CSV,
    MODEL_PT,
    PREDICTIONS_CSV,
    TRAINING_SET_JSON,
    FoldFeatures,
    FoldFileError,
    HeldOutPredictions,
    TrainingRun,
    au_truth_and_probs,
    mer_classes,
    mer_predictions,
    read_fold_features,
    read_fold_predictions,
    read_history,
    read_model,
    read_predictions,
    read_training_set,
    write_fold_features,
    write_history,
    write_model,
    write_predictions,
    write_run,
)

SAMPLES = ["s1", "s2", "s3"]
AUS = ["AU01", "AU12"]
TRUTH = np.array([[1, 0], [0, 0], [1, 1]], dtype=np.uint8)
PROBS = np.array([[0.9, 0.2], [0.4, 0.1], [0.6, 0.55]])
MER = {
    "combinations": (["positive", "negative"], np.array([[0.3, 0.1], [0.0, 0.2], [0.5, 0.4]])),
    "joined": (["positive", "surprise"], np.array([[0.1, 0.3], [0.2, 0.1], [0.0, 0.4]])),
}


def write_fold(folder: Path, samples=SAMPLES, subject: str = "sub01") -> None:
    write_predictions(
        folder / PREDICTIONS_CSV, samples, [subject] * 3, ["positive", "", "negative"], AUS, TRUTH, PROBS, MER
    )


def test_predictions_round_trip(tmp_path: Path) -> None:
    write_fold(tmp_path)
    lines = (tmp_path / PREDICTIONS_CSV).read_text().splitlines()
    assert lines[0] == (
        "sample,subject,class3,AU01_true,AU01_prob,AU12_true,AU12_prob,mer_combinations_positive,"
        "mer_combinations_negative,mer_combinations_pred,mer_joined_positive,mer_joined_surprise,mer_joined_pred"
    )
    assert lines[1] == "s1,sub01,positive,1,0.900000,0,0.200000,0.300000,0.100000,positive,0.100000,0.300000,surprise"
    rows = read_fold_predictions(tmp_path / PREDICTIONS_CSV)
    names, truth, probs = au_truth_and_probs(rows)
    assert names == AUS and np.array_equal(truth, TRUTH) and np.allclose(probs, PROBS, atol=5e-7)
    assert [r["class3"] for r in rows] == ["positive", "", "negative"]
    for reading, (classes, scores) in MER.items():
        assert mer_classes(rows, reading) == classes
        assert mer_predictions(rows, reading) == [classes[i] for i in scores.argmax(axis=1)]


def test_pooled_predictions_refuse_a_sample_in_two_folds(tmp_path: Path) -> None:
    write_fold(tmp_path / "a")
    write_fold(tmp_path / "b", ["s4", "s5", "s6"], "sub02")
    rows = read_predictions([tmp_path / "a" / PREDICTIONS_CSV, tmp_path / "b" / PREDICTIONS_CSV])
    assert [r["subject"] for r in rows] == ["sub01"] * 3 + ["sub02"] * 3
    with pytest.raises(FoldFileError, match="more than one fold"):
        read_predictions([tmp_path / "a" / PREDICTIONS_CSV] * 2)
    with pytest.raises(FoldFileError, match="no zero-shot MER scores of the 'other' reading"):
        mer_classes(rows, "other")


def test_a_predictions_file_without_its_columns_is_named(tmp_path: Path) -> None:
    write_fold(tmp_path)
    path = tmp_path / PREDICTIONS_CSV
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace("AU12_prob", "AU12_p"), *lines[1:]]) + "\n")
    with pytest.raises(FoldFileError, match=r"predictions.csv lacks the column\(s\) AU12_prob: not a predictions.csv"):
        read_fold_predictions(path)
    path.write_text("sample,score\ns1,0.5\n")
    with pytest.raises(FoldFileError, match=r"lacks the column\(s\) subject, class3:"):
        read_fold_predictions(path)
    path.write_text("sample,subject,class3\ns1,sub01,positive\n")
    with pytest.raises(FoldFileError, match=r"lacks the column\(s\) <AU>_true and <AU>_prob:"):
        read_fold_predictions(path)


def test_features_round_trip_in_the_order_asked_for(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = FoldFeatures(
        features=rng.normal(size=(3, 2, 4)).astype(np.float16),
        au_tokens=np.array([[[1, 2], [3, -1]], [[4, -1], [5, 6]], [[7, 8], [9, -1]]]),
        dependency=rng.uniform(size=(3, 2)).astype(np.float32),
        token_weights=rng.uniform(size=(3, 2, 2)).astype(np.float32),
    )
    write_fold_features(tmp_path / FEATURES_NPZ, SAMPLES, arrays)
    back = read_fold_features(tmp_path / FEATURES_NPZ, SAMPLES)
    for key in ("features", "au_tokens", "dependency", "token_weights"):
        assert getattr(back, key).dtype == getattr(arrays, key).dtype
        np.testing.assert_array_equal(getattr(back, key), getattr(arrays, key))
    reordered = read_fold_features(tmp_path / FEATURES_NPZ, ["s3", "s1"])
    np.testing.assert_array_equal(reordered.au_tokens, arrays.au_tokens[[2, 0]])
    with pytest.raises(FoldFileError, match="lacks sample\\(s\\) s9 of its predictions.csv"):
        read_fold_features(tmp_path / FEATURES_NPZ, ["s1", "s9"])
    write_fold_features(tmp_path / "plain.npz", SAMPLES, FoldFeatures(arrays.features, arrays.au_tokens))
    plain = read_fold_features(tmp_path / "plain.npz", SAMPLES)
    assert plain.dependency is None and plain.token_weights is None


def test_model_round_trips_and_anything_else_is_refused(tmp_path: Path) -> None:
    fields = {
        "state_dict": {"head.weight": torch.ones(2, 3)},
        "options": {"pooling": "pta"},
        "settings": {"epochs": 2},
        "aus": [1, 12],
        "encoder": "microau-tiny-ViT",
        "pretrained": "none",
        "weights": "none (random init)",
        "k": 2,
        "preprocess": None,
        "held_out": "sub01",
        "device": "cpu",
    }
    write_model(tmp_path / MODEL_PT, **fields)
    state = read_model(tmp_path / MODEL_PT)
    assert list(state) == list(fields)
    assert torch.equal(state["state_dict"]["head.weight"], fields["state_dict"]["head.weight"])
    without_weights = {k: v for k, v in fields.items() if k != "state_dict"}
    assert {k: v for k, v in state.items() if k != "state_dict"} == without_weights
    (tmp_path / "notes.txt").write_text("hello\n")
    torch.save({"state_dict": {}}, tmp_path / "partial.pt")
    for path, message in (
        (tmp_path / "nope.pt", "no such file"),
        (tmp_path / "notes.txt", "not a model.pt written by `microau train` ("),
        (
            tmp_path / "partial.pt",
            "not a model.pt written by `microau train` (lacks options, settings, aus, encoder, pretrained, weights, k)",
        ),
    ):
        with pytest.raises(FoldFileError) as error:
            read_model(path)
        assert str(error.value).startswith(f"cannot read model {path}: {message}")


def test_history_round_trips(tmp_path: Path) -> None:
    history = [{"epoch": 1, "lr_head": 0.01, "loss": 1.5}, {"epoch": 2, "lr_head": 0.001, "loss": 0.75}]
    write_history(tmp_path / HISTORY_CSV, history)
    assert read_history(tmp_path / HISTORY_CSV) == [{k: str(v) for k, v in row.items()} for row in history]
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_CSV]


def test_a_run_writes_a_folds_five_files_and_the_final_model_three(tmp_path: Path) -> None:
    arrays = FoldFeatures(np.zeros((3, 2, 4), dtype=np.float16), np.ones((3, 2, 1), dtype=np.int64))
    held_out = HeldOutPredictions(SAMPLES, ["sub01"] * 3, ["positive", "", "negative"], TRUTH, PROBS, MER, arrays)
    history = [{"epoch": 1, "loss": 1.5}]
    run = TrainingRun(
        state_dict={"head.weight": torch.ones(2, 3)},
        options={"pooling": "pta"},
        settings={"epochs": 1},
        aus=[1, 12],
        encoder="microau-tiny-ViT",
        pretrained="none",
        weights="none (random init)",
        k=2,
        preprocess={"frames": {"size": 256}},
        held_out="sub01",
        device="cpu",
        history=history,
        training_subjects=["sub02", "sub03"],
        predictions=held_out,
    )
    write_run(tmp_path / "fold", run)
    write_fold(tmp_path / "direct")
    assert (tmp_path / "fold" / PREDICTIONS_CSV).read_bytes() == (tmp_path / "direct" / PREDICTIONS_CSV).read_bytes()
    assert read_fold_features(tmp_path / "fold" / FEATURES_NPZ, SAMPLES).au_tokens.tolist() == arrays.au_tokens.tolist()
    state = read_model(tmp_path / "fold" / MODEL_PT)
    assert (state["held_out"], state["aus"], state["preprocess"]) == ("sub01", [1, 12], {"frames": {"size": 256}})
    assert read_history(tmp_path / "fold" / HISTORY_CSV) == [{"epoch": "1", "loss": "1.5"}]
    assert read_training_set(tmp_path / "fold" / TRAINING_SET_JSON) == {
        "held_out": "sub01",
        "training_subjects": ["sub02", "sub03"],
    }
    run.held_out, run.predictions = None, None
    write_run(tmp_path / "final", run)
    assert sorted(p.name for p in (tmp_path / "final").iterdir()) == [HISTORY_CSV, MODEL_PT, TRAINING_SET_JSON]
    assert read_model(tmp_path / "final" / MODEL_PT)["held_out"] is None
