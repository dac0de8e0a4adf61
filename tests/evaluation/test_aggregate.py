import json

import numpy as np
import pandas
import pytest

from microau import cli
from microau.evaluation.aggregate import accuracy, au_table, binary_f1, main, mer_table, multiclass_scores, two_class_f1
from microau.io.fold_files import MODEL_PT, write_model, write_predictions
from microau.io.result_tables import read_provenance, read_result_table
from microau.io.weights_record import write_weights_record


def test_binary_f1_scores_the_positive_class_only():
    truth = np.array([1, 1, 0, 0, 0])
    pred = np.array([1, 0, 1, 0, 0])
    assert binary_f1(truth, pred) == pytest.approx(0.5)  # tp 1, fp 1, fn 1
    assert binary_f1(np.zeros(3), np.zeros(3)) == 0.0
    assert accuracy(truth, pred) == pytest.approx(0.6)


def test_two_class_f1_averages_the_on_and_the_off_class():
    truth = np.array([1, 1, 0, 0, 0])
    pred = np.array([1, 0, 1, 0, 0])
    assert two_class_f1(truth, pred) == pytest.approx((0.5 + 2 * 2 / (2 * 2 + 1 + 1)) / 2)  # off: tp 2, fp 1, fn 1
    assert two_class_f1(np.zeros(3), np.zeros(3)) == 1.0 and two_class_f1(np.ones(3), np.ones(3)) == 1.0


def scored_au_columns(rng: np.random.Generator, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """[samples, AUs] truth and decisions: random AUs, then an AU with no positive sample that is never
    predicted, one with no positive sample that is predicted, one never predicted, one always on."""
    truth = rng.integers(0, 2, size=(n, 8))
    pred = np.where(rng.uniform(size=(n, 8)) < 0.8, truth, 1 - truth)
    truth[:, 4], pred[:, 4] = 0, 0
    truth[:, 5] = 0
    pred[:, 6] = 0
    truth[:, 7], pred[:, 7] = 1, 1
    return truth, pred


def test_both_f1s_equal_scikit_learn_including_an_au_without_positives_and_one_never_predicted():
    import warnings

    from sklearn.metrics import f1_score

    truth, pred = scored_au_columns(np.random.default_rng(3))
    for n in range(truth.shape[1]):
        t, p = truth[:, n], pred[:, n]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns where the positive class is empty (AU 4)
            assert two_class_f1(t, p) == pytest.approx(f1_score(t, p, average="macro")), n
            assert binary_f1(t, p) == pytest.approx(f1_score(t, p)), n
        assert two_class_f1(t, p) == pytest.approx(f1_score(t, p, average="macro", labels=[0, 1], zero_division=1.0))
        assert binary_f1(t, p) == pytest.approx(f1_score(t, p, zero_division=0.0))
    rows = [
        {"sample": f"s{i}", "subject": f"sub{i % 3}", "class3": ""}
        | {f"AU{n:02d}_true": str(truth[i, n]) for n in range(truth.shape[1])}
        | {f"AU{n:02d}_prob": str(0.2 + 0.6 * pred[i, n]) for n in range(truth.shape[1])}
        for i in range(len(truth))
    ]
    table = {r["au"]: r for r in au_table(rows)}
    per_au = [f1_score(truth[:, n], pred[:, n], average="macro") for n in range(truth.shape[1])]
    assert [table[f"AU{n:02d}"]["F1_2class"] for n in range(truth.shape[1])] == pytest.approx(per_au)
    assert table["mean"]["F1_2class"] == pytest.approx(np.mean(per_au))
    positive = [f1_score(truth[:, n], pred[:, n], zero_division=0.0) for n in range(truth.shape[1])]
    assert table["mean"]["F1_pos"] == pytest.approx(np.mean(positive))


def test_multiclass_scores_on_known_inputs():
    truth = ["pos", "neg", "neg", "sur"]
    pred = ["pos", "neg", "sur", "sur"]
    scores = multiclass_scores(truth, pred, ["pos", "neg", "sur"])
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["uar"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert scores["f1_neg"] == pytest.approx(2 / 3) and scores["f1_sur"] == pytest.approx(2 / 3)
    assert scores["f1_macro"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def rows_for(truths, probs, classes=("positive", "negative")):
    return [
        {
            "sample": f"s{i}",
            "subject": f"sub{i % 2}",
            "class3": classes[i % 2],
            "AU01_true": str(t),
            "AU01_prob": str(p),
            "mer_combinations_positive": "0.2",
            "mer_combinations_negative": "0.1",
            "mer_combinations_pred": "positive",
            "mer_joined_positive": "0.1",
            "mer_joined_negative": "0.2",
            "mer_joined_pred": "negative",
        }
        for i, (t, p) in enumerate(zip(truths, probs))
    ]


def write_rows(path, rows) -> None:
    """predictions.csv holding `rows` of `rows_for` (their MER scores give their MER predictions)."""
    n = len(rows)
    write_predictions(
        path,
        [r["sample"] for r in rows],
        [r["subject"] for r in rows],
        [r["class3"] for r in rows],
        ["AU01"],
        np.array([[int(r["AU01_true"])] for r in rows]),
        np.array([[float(r["AU01_prob"])] for r in rows]),
        {
            "combinations": (["positive", "negative"], np.tile([0.2, 0.1], (n, 1))),
            "joined": (["positive", "negative"], np.tile([0.1, 0.2], (n, 1))),
        },
    )


def test_au_table_has_mean_and_always_positive_baseline():
    table = au_table(rows_for([1, 0, 0, 0], [0.9, 0.6, 0.1, 0.2]))
    au01, mean, baseline = table
    assert au01["F1_pos"] == pytest.approx(2 / 3) and au01["ACC"] == pytest.approx(0.75)
    assert au01["F1_2class"] == pytest.approx((2 / 3 + 0.8) / 2)  # off class: tp 2, fn 1
    assert au01["baseline_F1_pos"] == pytest.approx(2 * 0.25 / 1.25) and au01["baseline_ACC"] == pytest.approx(0.25)
    assert au01["baseline_F1_2class"] == pytest.approx(0.4 / 2)  # always on: the off class scores 0
    assert mean["au"] == "mean" and baseline["au"] == "baseline"
    assert baseline["F1_pos"] == pytest.approx(0.4) and baseline["F1_2class"] == pytest.approx(0.2)


def test_mer_table_scores_only_three_class_samples_and_reports_majority_baseline():
    rows = rows_for([1, 0, 0], [0.9, 0.6, 0.1])
    rows[2]["class3"] = ""
    table = {r["metric"]: r for r in mer_table(rows, "combinations")}
    assert table["accuracy"]["zero_shot"] == pytest.approx(0.5)
    assert table["n_samples"]["zero_shot"] == 2
    joined = {r["metric"]: r for r in mer_table(rows, "joined")}
    assert joined["f1_positive"]["zero_shot"] == 0 and joined["f1_negative"]["zero_shot"] == pytest.approx(2 / 3)


def test_aggregate_cli_writes_tables_with_metadata_and_provenance(tmp_path):
    rows = rows_for([1, 0, 1, 0], [0.9, 0.6, 0.1, 0.2])
    paths = []
    for subject, device in (("sub0", "cpu"), ("sub1", "cuda:1 (NVIDIA H100, CUDA_VISIBLE_DEVICES=1)")):
        path = tmp_path / subject / "predictions.csv"
        path.parent.mkdir()
        write_rows(path, [r for r in rows if r["subject"] == subject])
        write_model(
            path.parent / MODEL_PT,
            state_dict={},
            options={},
            settings={},
            aus=[1],
            encoder="e",
            pretrained="none",
            weights="w",
            k=1,
            preprocess=None,
            held_out=subject,
            device=device,
        )
        paths.append(str(path))
    weights = tmp_path / "weights.json"
    write_weights_record(weights, {"model": "ViT-B-32", "pretrained": "none", "weights": "none (random init)"})
    out = {k: tmp_path / f"{k}.csv" for k in ("table", "mer", "folds")}
    code = main(
        [
            "--dataset",
            "synthetic",
            "--predictions",
            *paths,
            "--weights",
            str(weights),
            "--config-json",
            json.dumps(
                {
                    "magnify": {"method": "linear_eulerian", "factor": 3},
                    "landmarks": {"method": "mediapipe"},
                    "train": {"temperature": "model"},
                }
            ),
            "--config-hash",
            "abc123",
            "--table",
            str(out["table"]),
            "--mer-table",
            str(out["mer"]),
            "--folds",
            str(out["folds"]),
            "--provenance",
            str(tmp_path / "prov.json"),
            "--mer-texts",
            "joined",
            "--pooled-predictions",
            str(tmp_path / "pooled.csv"),
            "--resamples",
            "100",
            "--resample-seed",
            "0",
            "--confidence",
            "0.9",
        ]
    )
    assert code == 0
    metadata, _ = read_result_table(out["table"])
    assert metadata["weights"] == "none (random init)" and metadata["config_hash"] == "abc123"
    assert metadata["n_samples"] == "4" and metadata["magnification"] == "linear_eulerian x3"
    assert metadata["landmarks"] == "mediapipe"
    assert metadata["f1"].startswith("F1_2class: per AU the mean of the F1 of the AU-on and the AU-off class")
    assert "F1_2class,F1_2class_lo,F1_2class_hi,F1_pos,F1_pos_lo,F1_pos_hi,ACC" in out["table"].read_text()
    assert "F1_2class,F1_pos,ACC" in out["folds"].read_text()
    assert metadata["temperature"].startswith("model: the CLIP weights' own exp(-logit_scale), fixed")
    assert read_result_table(out["mer"])[0]["mer_texts"].startswith("joined (one label text per class")
    assert list(pandas.read_csv(out["table"])["au"])[-2:] == ["mean", "baseline"]
    pooled = pandas.read_csv(tmp_path / "pooled.csv")
    assert list(pooled.columns[:4]) == ["subject", "sample", "fold", "class3"]
    assert list(pooled["fold"]) == list(pooled["subject"]) == ["sub0", "sub0", "sub1", "sub1"]
    assert {"AU01_true", "AU01_prob", "mer_joined_pred"} <= set(pooled.columns)
    provenance = read_provenance(tmp_path / "prov.json")
    assert provenance["config"]["magnify"]["factor"] == 3 and "dlib-bin" in provenance["versions"]
    assert provenance["trained_on"] == ["cpu", "cuda:1 (NVIDIA H100, CUDA_VISIBLE_DEVICES=1)"]


def test_a_sample_in_two_folds_is_an_error(tmp_path, capsys):
    rows = rows_for([1], [0.9])
    path = tmp_path / "p.csv"
    write_rows(path, rows)
    weights = tmp_path / "w.json"
    weights.write_text("{}")
    code = cli.main(
        [
            "aggregate",
            "--dataset",
            "d",
            "--predictions",
            str(path),
            str(path),
            "--weights",
            str(weights),
            "--table",
            str(tmp_path / "t"),
            "--mer-table",
            str(tmp_path / "m"),
            "--folds",
            str(tmp_path / "f"),
            "--provenance",
            str(tmp_path / "p.json"),
            "--mer-texts",
            "combinations",
            "--resamples",
            "100",
            "--resample-seed",
            "0",
            "--confidence",
            "0.9",
        ]
    )
    assert code == 2 and "more than one fold" in capsys.readouterr().err


def test_tables_name_the_samples_left_out_for_want_of_a_face(tmp_path):
    from microau.evaluation.aggregate import samples_without_face

    report = tmp_path / "report.tsv"
    report.write_text("sample\tsubject\tonset_path\tproblem\treason\n")
    assert samples_without_face(report) == "0"
    report.write_text(
        report.read_text() + "s1\ta\t/x.jpg\tno_face\tsample s1: no face detected in onset frame /x.jpg\n"
    )
    assert samples_without_face(report) == f"1 left out (s1), reasons in {report}"
    assert samples_without_face(None) == "not checked"
