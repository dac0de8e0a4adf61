import dataclasses
import json

import numpy as np
import pytest
import torch

from microau.aus import face_description
from microau.cli import main as cli_main
from microau.io.feature_cache import read_cache, write_cache
from microau.io.fold_files import (
    FEATURES_NPZ,
    HISTORY_CSV,
    MODEL_PT,
    PREDICTIONS_CSV,
    read_fold_features,
    read_fold_predictions,
    read_history,
    read_model,
)
from microau.model.device import cpu_has_bf16
from microau.training.run import train_fold
from microau.training.settings import TrainingJob
from microau.training.splits import SplitError, loso_split
from tests.helpers import model_options, train_settings

AUS = [1, 2, 4, 7, 12, 14, 15, 17]
FAST = train_settings(epochs=2, batch_size=4, lr_drop_epoch=1)
CPU = torch.device("cpu")


def full_settings(**changes) -> dict:
    """Every TrainSettings field, the schema's defaults with `changes`, as the train rule passes them."""
    return {**dataclasses.asdict(train_settings()), **changes}


def train_argv(cache, out_dir, changes: dict, held_out: str = "sub01") -> list[str]:
    """`microau train` of one fold, as the train rule calls it, with `changes` to the default settings."""
    return [
        "train",
        "--features",
        str(cache),
        "--held-out",
        held_out,
        "--out-dir",
        str(out_dir),
        "--settings",
        json.dumps(full_settings(**changes)),
        "--options",
        json.dumps(model_options().as_dict()),
        "--preprocess",
        "null",
        "--device",
        "cpu",
        "--checkpoint-seconds",
        "0",
    ]


def test_loso_split_keeps_the_held_out_subject_out_of_training():
    subjects = ["a", "b", "a", "c", "b"]
    train, test = loso_split(subjects, "b")
    assert test.tolist() == [1, 4]
    assert "b" not in {subjects[i] for i in train}
    assert sorted(train.tolist() + test.tolist()) == list(range(5))
    with pytest.raises(SplitError, match="needs at least two subjects"):
        loso_split(["a", "a"], "a")


def test_fold_writes_predictions_features_model_and_history(tiny_cache, tmp_path):
    summary = train_fold(tiny_cache, "sub02", TrainingJob(FAST, model_options(), tmp_path, CPU, 0, log=lambda m: None))
    assert summary == {"held_out": "sub02", "n_train": 8, "n_test": 4}
    rows = read_fold_predictions(tmp_path / PREDICTIONS_CSV)
    assert {r["subject"] for r in rows} == {"sub02"} and len(rows) == 4
    assert 0 <= float(rows[0]["AU01_prob"]) <= 1
    for reading in ("combinations", "joined"):
        assert rows[0][f"mer_{reading}_pred"] in ("positive", "negative", "surprise")
        scores = {name: float(rows[0][f"mer_{reading}_{name}"]) for name in ("positive", "negative", "surprise")}
        assert max(scores, key=scores.get) == rows[0][f"mer_{reading}_pred"]
    history = read_history(tmp_path / HISTORY_CSV)
    assert [int(h["epoch"]) for h in history] == [1, 2]
    assert float(history[1]["lr_head"]) == FAST.lr_head / 10
    samples = [r["sample"] for r in rows]
    assert read_fold_features(tmp_path / FEATURES_NPZ, samples).features.shape == (4, 8, 32)
    assert read_model(tmp_path / MODEL_PT)["options"]["pooling"] == "pta"


def test_held_out_labels_cannot_change_the_trained_model(tiny_cache, tmp_path):
    changed = tmp_path / "changed.h5"
    data = read_cache(tiny_cache)
    held = np.array(data.subjects) == "sub03"
    data.labels[held] = 1 - data.labels[held]
    write_cache(changed, data)
    train_fold(tiny_cache, "sub03", TrainingJob(FAST, model_options(), tmp_path / "a", CPU, 0, log=lambda m: None))
    train_fold(changed, "sub03", TrainingJob(FAST, model_options(), tmp_path / "b", CPU, 0, log=lambda m: None))
    a = read_model(tmp_path / "a" / MODEL_PT)["state_dict"]
    b = read_model(tmp_path / "b" / MODEL_PT)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    probs_a = [r["AU01_prob"] for r in read_fold_predictions(tmp_path / "a" / PREDICTIONS_CSV)]
    probs_b = [r["AU01_prob"] for r in read_fold_predictions(tmp_path / "b" / PREDICTIONS_CSV)]
    assert probs_a == probs_b


def test_two_runs_with_one_seed_give_identical_predictions(tiny_cache, tmp_path):
    for name in ("a", "b"):
        train_fold(tiny_cache, "sub01", TrainingJob(FAST, model_options(), tmp_path / name, CPU, 0, log=lambda m: None))
    assert (tmp_path / "a" / PREDICTIONS_CSV).read_bytes() == (tmp_path / "b" / PREDICTIONS_CSV).read_bytes()


def test_cli_reports_unknown_subject_in_one_line(tiny_cache, tmp_path, capsys):
    code = cli_main(train_argv(tiny_cache, tmp_path, {}, held_out="sub99"))
    assert code == 2
    assert (
        capsys.readouterr().err.strip() == "microau train: error: subject 'sub99' has no sample in the features cache"
    )


def test_global_origcl_describes_only_training_samples(tiny_cache):
    from microau.training.texts import face_descriptions

    data = read_cache(tiny_cache)
    train, test = loso_split(data.subjects, "sub03")
    texts, index = face_descriptions(data, train)
    assert (index[test] == -1).all() and (index[train] >= 0).all()
    assert texts[int(index[train[0]])] == face_description(data.labels[train[0]].tolist(), data.aus)


def test_face_description_lists_the_active_aus():
    assert face_description([1, 0, 0, 0, 0, 0, 0, 1], AUS) == "The inner eyebrows are raising. The chin is raising."
    assert face_description([0] * 8, AUS) == "The face shows no action unit."


@pytest.mark.parametrize("contrastive", ["global_origcl", "local_origcl", "none"])
def test_each_contrastive_variant_trains_a_fold(tiny_cache, tmp_path, contrastive):
    settings = train_settings(epochs=1, batch_size=4, lr_drop_epoch=1, contrastive=contrastive)
    train_fold(tiny_cache, "sub01", TrainingJob(settings, model_options(), tmp_path, CPU, 0, log=lambda m: None))
    history = read_history(tmp_path / HISTORY_CSV)
    assert (float(history[0]["contrastive"]) == 0) == (contrastive == "none")
    assert -1 <= float(history[0]["text_similarity"]) <= 1


def test_raw_label_matrix_target_changes_the_trained_fold(tiny_cache, tmp_path, capsys):
    settings = train_settings(epochs=1, batch_size=4, lr_drop_epoch=1, label_matrix_target="row_normalised")
    train_fold(
        tiny_cache, "sub01", TrainingJob(settings, model_options(), tmp_path / "normalised", CPU, 0, log=lambda m: None)
    )
    raw = train_settings(epochs=1, batch_size=4, lr_drop_epoch=1)
    assert raw.label_matrix_target == "raw"
    train_fold(tiny_cache, "sub01", TrainingJob(raw, model_options(), tmp_path / "raw", CPU, 0, log=lambda m: None))
    contrastive = [float(read_history(tmp_path / run / HISTORY_CSV)[0]["contrastive"]) for run in ("normalised", "raw")]
    assert contrastive[1] > contrastive[0]
    bad = json.dumps(full_settings(epochs=1, label_matrix_target="counts"))
    code = cli_main([*train_argv(tiny_cache, tmp_path / "bad", {}), "--settings", bad])
    assert code == 2
    assert "label_matrix_target must be one of ['raw', 'row_normalised'], got 'counts'" in capsys.readouterr().err


def test_fixed_text_tail_keeps_the_text_similarity(tiny_cache, tmp_path):
    settings = train_settings(epochs=2, batch_size=4, lr_drop_epoch=1)
    train_fold(
        tiny_cache,
        "sub01",
        TrainingJob(settings, model_options(text="fixed"), tmp_path / "fixed", CPU, 0, log=lambda m: None),
    )
    train_fold(
        tiny_cache, "sub01", TrainingJob(settings, model_options(), tmp_path / "tuned", CPU, 0, log=lambda m: None)
    )
    fixed = [float(h["text_similarity"]) for h in read_history(tmp_path / "fixed" / HISTORY_CSV)]
    tuned = [float(h["text_similarity"]) for h in read_history(tmp_path / "tuned" / HISTORY_CSV)]
    assert fixed[0] == fixed[1] and tuned[0] != tuned[1]


def test_a_diverging_fold_stops_instead_of_writing_nan_predictions(tiny_cache, tmp_path, capsys):
    settings = {"epochs": 2, "batch_size": 4, "lr_drop_epoch": 1, "lr_head": 1e30}
    code = cli_main(train_argv(tiny_cache, tmp_path, settings))
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "microau train: error: fold sub01 diverged: the training loss is nan at epoch 1 (lr_head 1e+30"
    )
    assert err.endswith("no predictions were written")
    assert not (tmp_path / PREDICTIONS_CSV).exists()


@pytest.mark.parametrize(
    "flag, value, message",
    [
        (
            "--settings",
            json.dumps(full_settings(epoch=2)),
            "--settings: TrainSettings.__init__() got an unexpected keyword argument 'epoch'",
        ),
        (
            "--options",
            json.dumps({"pooling": "sum", "fusion": "gda", "text": "finetune"}),
            "--options: pooling must be one of",
        ),
        ("--preprocess", "{frames", "--preprocess is not JSON: "),
    ],
)
def test_a_bad_json_flag_is_one_line_naming_the_flag(tiny_cache, tmp_path, capsys, flag, value, message):
    code = cli_main([*train_argv(tiny_cache, tmp_path, {}), flag, value])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"microau train: error: {message}") and "\n" not in err
    assert not any(tmp_path.iterdir())


SAMM_AUS = [2, 4, 7, 12]


def samm_like(tiny_cache, path, flip_subject: str | None = None):
    """The tiny cache as a second dataset: SAMM's AUs and subject names, optionally one subject's
    labels (or with "*" every label) flipped."""
    data = read_cache(tiny_cache)
    columns = [data.aus.index(au) for au in SAMM_AUS]
    data.labels, data.au_tokens, data.aus = data.labels[:, columns], data.au_tokens[:, columns], SAMM_AUS
    data.subjects = [{"sub01": "006", "sub02": "007", "sub03": "008"}[s] for s in data.subjects]
    flipped = np.array([flip_subject in ("*", s) for s in data.subjects])
    data.labels[flipped] = 1 - data.labels[flipped]
    write_cache(path, data)
    return path


def test_pooled_caches_keep_each_dataset_apart_on_the_shared_aus(tiny_cache, tmp_path):
    from microau.io.feature_cache import read_pooled

    pooled = read_pooled({"a": tiny_cache, "b": samm_like(tiny_cache, tmp_path / "b.h5")}, SAMM_AUS)
    own = read_cache(tiny_cache)
    assert pooled.aus == SAMM_AUS and pooled.labels.shape == (24, 4)
    assert pooled.subjects[:4] == ["a/sub01"] * 4 and pooled.subjects[12:16] == ["b/006"] * 4
    assert len(set(pooled.samples)) == 24
    columns = [own.aus.index(au) for au in SAMM_AUS]
    assert (pooled.labels[:12] == own.labels[:, columns]).all()
    assert (pooled.au_tokens[12:] == own.au_tokens[:, columns]).all()


def test_pooled_caches_of_different_encoders_are_an_error_naming_both(tiny_cache, tmp_path):
    from microau.io.feature_cache import FeatureCacheError, read_pooled

    data = read_cache(tiny_cache)
    data.k = 1
    write_cache(tmp_path / "other.h5", data)
    with pytest.raises(FeatureCacheError, match=f"{tmp_path / 'other.h5'} and {tiny_cache} differ in k"):
        read_pooled({"a": tiny_cache, "b": tmp_path / "other.h5"}, SAMM_AUS)


def test_dataset_split_tests_every_subject_of_one_dataset():
    from microau.training.splits import dataset_split

    train, test = dataset_split(["a/s1", "b/s1", "a/s2", "b/s2"], "b")
    assert train.tolist() == [0, 2] and test.tolist() == [1, 3]
    with pytest.raises(SplitError, match="dataset 'c' has no sample"):
        dataset_split(["a/s1"], "c")


@pytest.mark.parametrize(("held_out", "held_out_dataset", "flip"), [("b/007", None, "007"), (None, "b", "*")])
def test_protocol_test_labels_cannot_change_the_trained_model(tiny_cache, tmp_path, held_out, held_out_dataset, flip):
    """The leak test of composite (one <dataset>/<subject> left out) and cross-dataset runs (a whole
    dataset tested): flipping every tested label leaves the model bit-identical, and no tested
    subject is in the run's training set."""
    from microau.io.fold_files import TRAINING_SET_JSON, read_training_set
    from microau.training.run import train_protocol

    caches = {
        "same": {"a": tiny_cache, "b": samm_like(tiny_cache, tmp_path / "b.h5")},
        "flipped": {"a": tiny_cache, "b": samm_like(tiny_cache, tmp_path / "b_flipped.h5", flip)},
    }
    for name, pooled in caches.items():
        job = TrainingJob(FAST, model_options(), tmp_path / name, CPU, 0, log=lambda m: None)
        train_protocol(pooled, SAMM_AUS, job, held_out, held_out_dataset)
    same = read_model(tmp_path / "same" / MODEL_PT)["state_dict"]
    flipped = read_model(tmp_path / "flipped" / MODEL_PT)["state_dict"]
    assert all(torch.equal(same[k], flipped[k]) for k in same)
    rows = read_fold_predictions(tmp_path / "same" / PREDICTIONS_CSV)
    tested = {r["subject"] for r in rows}
    assert tested == ({"b/007"} if held_out else {"b/006", "b/007", "b/008"})
    assert [c for c in rows[0] if c.endswith("_true")] == ["AU02_true", "AU04_true", "AU07_true", "AU12_true"]
    training = read_training_set(tmp_path / "same" / TRAINING_SET_JSON)
    assert training["held_out"] == (held_out or held_out_dataset)
    assert not tested & set(training["training_subjects"])
    assert set(training["training_subjects"]) | tested == {"a/sub01", "a/sub02", "a/sub03", "b/006", "b/007", "b/008"}


def test_cli_pools_only_with_datasets_named(tiny_cache, tmp_path, capsys):
    argv = train_argv(tiny_cache, tmp_path, {})
    argv[argv.index("--features") + 1 : argv.index("--features") + 2] = [str(tiny_cache), str(tiny_cache)]
    assert cli_main(argv) == 2
    assert "several --features, --aus and --held-out-dataset need --datasets" in capsys.readouterr().err


def test_the_schema_default_is_the_papers_plain_sgd_and_momentum_reaches_the_optimiser(tiny_clip):
    from microau.model.micro_au_clip import MicroAUCLIP
    from microau.training.loop import build_optimizer, contrastive_logit_scale

    model = MicroAUCLIP(tiny_clip, 8, 2, model_options())
    scale = contrastive_logit_scale("model", tiny_clip, torch.device("cpu"))
    assert train_settings().momentum == 0.0
    for momentum in (0.0, 0.9):
        optimizer = build_optimizer(model, scale, train_settings(momentum=momentum))
        assert [group["momentum"] for group in optimizer.param_groups] == [momentum, momentum]
        assert [group["lr"] for group in optimizer.param_groups] == [FAST.lr_encoder, FAST.lr_head]


@pytest.mark.parametrize("setting, learned", [("model", False), (0.05, False), ("learned", True)])
def test_only_a_learned_temperature_is_in_the_optimiser_at_the_encoder_rate(tiny_clip, setting, learned):
    from microau.model.micro_au_clip import MicroAUCLIP
    from microau.training.loop import build_optimizer, contrastive_logit_scale

    model = MicroAUCLIP(tiny_clip, 8, 2, model_options())
    scale = contrastive_logit_scale(setting, tiny_clip, torch.device("cpu"))
    expected = float(tiny_clip.logit_scale.detach()) if isinstance(setting, str) else float(np.log(1 / setting))
    assert float(scale.detach()) == pytest.approx(expected)
    encoder_group = build_optimizer(model, scale, train_settings()).param_groups[0]
    assert any(p is scale for p in encoder_group["params"]) == learned
    assert encoder_group["lr"] == FAST.lr_encoder


@pytest.mark.parametrize("setting", ["model", 0.05, "learned"])
def test_history_records_the_temperature_each_epoch(tiny_cache, tmp_path, setting):
    settings = dataclasses.replace(FAST, temperature=setting)
    train_fold(tiny_cache, "sub02", TrainingJob(settings, model_options(), tmp_path, CPU, 0, log=lambda m: None))
    temperatures = [float(h["temperature"]) for h in read_history(tmp_path / HISTORY_CSV)]
    if setting == "learned":  # starts at the random init's 0.07 and moves; its scale stays within [1, 100]
        assert temperatures[0] != pytest.approx(0.07, abs=1e-6) and all(0.01 <= t <= 1 for t in temperatures)
    else:
        assert temperatures == pytest.approx([0.07 if setting == "model" else 0.05] * 2, abs=1e-6)


def test_an_unknown_temperature_is_rejected():
    with pytest.raises(ValueError, match="temperature must be one of"):
        train_settings(temperature="hot")


needs_bf16 = pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bfloat16")


@needs_bf16
def test_a_bf16_fold_trains_under_autocast_and_predicts_near_the_fp32_fold(tiny_cache, tmp_path):
    for name, precision in (("fp32", "fp32"), ("bf16", "bf16")):
        settings = dataclasses.replace(FAST, precision=precision)
        train_fold(
            tiny_cache, "sub01", TrainingJob(settings, model_options(), tmp_path / name, CPU, 0, log=lambda m: None)
        )
    fp32, bf16 = (read_fold_predictions(tmp_path / name / PREDICTIONS_CSV) for name in ("fp32", "bf16"))
    probs = [np.array([float(row[f"AU{au:02d}_prob"]) for row in rows for au in AUS]) for rows in (fp32, bf16)]
    assert not np.array_equal(probs[0], probs[1])  # computed in another format
    np.testing.assert_allclose(probs[1], probs[0], atol=0.05)
    assert read_model(tmp_path / "bf16" / MODEL_PT)["settings"]["precision"] == "bf16"


def test_an_fp16_fold_steps_through_the_loss_scaler(tiny_cache, tmp_path, monkeypatch):
    """The GPU path (fp16 autocast and its scaler) run on the CPU, whose autocast also has fp16."""
    from microau.training import loop, run

    scaled = []
    real = loop.grad_scaler

    def recording(device, precision):
        scaler = real(device, precision)
        original = scaler.scale
        scaler.scale = lambda loss: scaled.append(loss.dtype) or original(loss)
        return scaler

    monkeypatch.setattr(loop, "grad_scaler", recording)
    monkeypatch.setattr(run, "check_precision", lambda device, precision: None)
    settings = dataclasses.replace(FAST, precision="fp16")
    train_fold(tiny_cache, "sub01", TrainingJob(settings, model_options(), tmp_path, CPU, 0, log=lambda m: None))
    assert scaled and all(dtype == torch.float32 for dtype in scaled)
    rows = read_fold_predictions(tmp_path / PREDICTIONS_CSV)
    assert all(0 <= float(row["AU01_prob"]) <= 1 for row in rows)


def test_a_precision_the_device_lacks_is_one_line_before_training(tiny_cache, tmp_path, capsys):
    code = cli_main(train_argv(tiny_cache, tmp_path, {"precision": "fp16"}))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("microau train: error: train.precision fp16 needs a CUDA GPU")
    assert not (tmp_path / MODEL_PT).exists()


def test_an_unknown_precision_is_rejected():
    with pytest.raises(ValueError, match="precision must be one of"):
        dataclasses.replace(FAST, precision="fp8")
