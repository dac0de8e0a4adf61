"""Ablation tables: scoring of runs over seeds (fast) and the ablation target of the tiny workflow (slow)."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from microau import cli
from microau.evaluation.ablation import AblationError, ablation_table_main, group_table, main
from microau.evaluation.bootstrap import Bootstrap
from microau.io.fold_files import HISTORY_CSV, PREDICTIONS_CSV, write_history, write_predictions
from microau.io.result_tables import read_provenance, read_result_table
from microau.io.weights_record import write_weights_record
from microau.plan.paper_tables import PAPER_TABLES
from tests.end_to_end.test_workflow import (
    SHIPPED_CONFIG,
    TINY_CONFIG,
    place_config,
    planned_jobs,
    snakemake,
    table_rows,
)

BOOTSTRAP = Bootstrap(200, 0, 0.95)
BOOTSTRAP_FLAGS = ["--resamples", "200", "--resample-seed", "0", "--confidence", "0.95"]


def write_run(run_dir: Path, probs: dict[str, list[float]], similarity: float) -> None:
    """Two held-out subjects with two samples each; AU01 truth is 1, 0 for each subject."""
    classes = ["positive", "negative"]
    mer = {
        "combinations": (classes, np.array([[0.2, 0.1], [0.2, 0.1]])),  # every sample predicted positive
        "joined": (classes, np.array([[0.2, 0.1], [0.1, 0.2]])),
    }  # every sample predicted its own class
    for subject, subject_probs in probs.items():
        folder = run_dir / subject
        write_predictions(
            folder / PREDICTIONS_CSV,
            [f"{subject}_0", f"{subject}_1"],
            [subject] * 2,
            classes,
            ["AU01"],
            np.array([[1], [0]]),
            np.array(subject_probs)[:, None],
            mer,
        )
        history = [{"epoch": 1, "text_similarity": 0.5}, {"epoch": 2, "text_similarity": similarity}]
        write_history(folder / HISTORY_CSV, history)


@pytest.fixture
def runs(tmp_path) -> dict:
    """Table III's two variants (on the Add+MLP model); the fine-tuned one repeated with two seeds."""
    write_run(tmp_path / "fixed", {"a": [0.9, 0.1], "b": [0.9, 0.1]}, 0.99)
    write_run(tmp_path / "tuned", {"a": [0.9, 0.1], "b": [0.9, 0.1]}, -0.8)
    write_run(tmp_path / "tuned_seed2", {"a": [0.9, 0.9], "b": [0.1, 0.1]}, -0.6)
    return {
        "text_fixed": {"trained_as": "text_fixed", "seeds": {"1": str(tmp_path / "fixed")}},
        "add_mlp": {
            "trained_as": "add_mlp",
            "seeds": {"1": str(tmp_path / "tuned"), "2": str(tmp_path / "tuned_seed2")},
        },
    }


def test_group_table_gives_mean_and_sd_over_seeds_and_a_baseline_row(runs):
    table, folds = group_table("III", runs, ["a", "b"], None, BOOTSTRAP)
    fixed, tuned, baseline = table
    assert fixed["row"] == "fixed" and fixed["F1_2class"] == fixed["F1_pos"] == 1.0 and fixed["F1_2class_sd"] == ""
    # seed 2 gets F1_pos 0.5 (tp 1, fp 1, fn 1), F1_2class 0.5 (the off class: tp 1, fp 1, fn 1) and
    # ACC 0.5: mean 0.75, sample sd of (1, 0.5)
    for metric in ("F1_2class", "F1_pos", "ACC"):
        assert tuned[metric] == pytest.approx(0.75) and tuned[f"{metric}_sd"] == pytest.approx(0.3535534)
    assert tuned["seeds"] == "1 2" and tuned["text_similarity"] == pytest.approx(-0.7)
    assert (tuned["paper_CASME2_F1"], tuned["paper_SAMM_ACC"], tuned["paper_text_similarity"]) == (0.776, 0.853, -0.902)
    assert baseline["row"] == "baseline always positive" and baseline["F1_pos"] == pytest.approx(2 / 3)
    assert baseline["F1_2class"] == pytest.approx(1 / 3)  # always on: the off class scores 0
    assert "gap_F1_2class" not in fixed
    assert {(f["variant"], f["seed"], f["subject"]) for f in folds} == {
        ("text_fixed", 1, "a"),
        ("text_fixed", 1, "b"),
        ("add_mlp", 1, "a"),
        ("add_mlp", 1, "b"),
        ("add_mlp", 2, "a"),
        ("add_mlp", 2, "b"),
    }


def test_rows_are_compared_with_the_full_model_row_over_the_same_resamples(runs):
    table, _ = group_table("III", runs, ["a", "b"], None, BOOTSTRAP)
    fixed, tuned, baseline = table
    assert fixed["compared_with"] == tuned["compared_with"] == "finetune"  # the Add+MLP run Table III varies
    assert tuned["dF1_2class_lo"] == tuned["dF1_pos_hi"] == tuned["share_better_F1_2class"] == ""
    # fixed scores 1 on every resample. The tuned row's seed-averaged F1_pos is (1 + 2/3) / 2, (1 + 1/2) / 2
    # or (1 + 0) / 2 as the resample draws subject a twice, both once, or b twice; its F1_2class is
    # (1 + 1/3) / 2, (1 + 1/2) / 2 or (1 + 1/3) / 2: fixed is always better.
    assert fixed["share_better_F1_2class"] == fixed["share_better_F1_pos"] == 1.0
    assert 1 / 6 - 1e-9 <= fixed["dF1_pos_lo"] <= fixed["dF1_pos_hi"] <= 0.5 + 1e-9
    assert 0.25 - 1e-9 <= fixed["dF1_2class_lo"] <= fixed["dF1_2class_hi"] <= 1 / 3 + 1e-9
    assert tuned["F1_pos_lo"] >= 0.5 - 1e-9 and tuned["F1_pos_hi"] <= 5 / 6 + 1e-9
    assert tuned["F1_2class_lo"] >= 2 / 3 - 1e-9 and tuned["F1_2class_hi"] <= 0.75 + 1e-9
    assert baseline["F1_2class_lo"] == "" and baseline["compared_with"] == ""


def test_a_table_without_the_full_model_row_is_compared_with_the_base_run(tmp_path):
    # Table IV on a dataset whose alpha is none of the sweep's: no row was trained as add_mlp.
    write_run(tmp_path / "base", {"a": [0.9, 0.1], "b": [0.9, 0.1]}, 0.0)
    write_run(tmp_path / "sweep", {"a": [0.9, 0.9], "b": [0.1, 0.1]}, 0.0)
    sweep = {"trained_as": "alpha_0.2", "seeds": {"1": str(tmp_path / "sweep")}}
    runs = {f"alpha_{a}": {**sweep, "trained_as": f"alpha_{a}"} for a in ("0.2", "0.4", "0.6", "0.8", "1.0")}
    runs["add_mlp"] = {"trained_as": "add_mlp", "seeds": {"1": str(tmp_path / "base")}}
    table, _ = group_table("IV", runs, ["a", "b"], None, BOOTSTRAP)
    assert {r["compared_with"] for r in table[:-1]} == {"variant add_mlp"}
    assert all(r["share_better_F1_2class"] == r["share_better_F1_pos"] == 0.0 for r in table[:-1])


def test_a_fold_holding_another_subject_is_an_error(runs, tmp_path):
    write_run(tmp_path / "stray", {"a": [0.9, 0.1], "c": [0.9, 0.1]}, 0.0)
    (tmp_path / "stray" / "c").rename(tmp_path / "stray" / "b")
    runs["text_fixed"]["seeds"]["1"] = str(tmp_path / "stray")
    with pytest.raises(AblationError, match=r"holds predictions of subjects \['c'\]"):
        group_table("III", runs, ["a", "b"], None, BOOTSTRAP)


def test_real_dataset_gets_its_gap_to_the_paper(runs):
    table, _ = group_table("III", runs, ["a", "b"], "casme2", BOOTSTRAP)
    assert table[0]["gap_F1_2class"] == pytest.approx(1.0 - 0.769)


def test_mer_table_x_reports_both_readings_and_majority_baseline(tmp_path):
    write_run(tmp_path / "run", {"a": [0.9, 0.1], "b": [0.9, 0.1]}, 0.0)
    run = {"trained_as": "micro_au_clip", "seeds": {"1": str(tmp_path / "run")}}
    table, _ = group_table("X", {"add_mlp": run, "micro_au_clip": run}, ["a", "b"], "samm", BOOTSTRAP)
    assert [r["mer_texts"] for r in table[:4]] == ["combinations", "combinations", "joined", "joined"]
    # combinations: every sample predicted positive: F1 positive 2/3, negative 0
    assert table[1]["MER_F1"] == pytest.approx(1 / 3) and table[1]["paper_SAMM_MER_F1"] == 0.747
    assert table[1]["gap_MER_F1"] == pytest.approx(1 / 3 - 0.747)
    assert table[0]["share_better_MER_F1"] == "" and table[1]["share_better_MER_F1"] == 0.0
    assert table[1]["AU_F1_2class"] == table[1]["AU_F1_pos"] == 1.0
    # joined: every sample predicted its own class
    assert table[3]["MER_F1"] == pytest.approx(1.0) and table[3]["row"] == "Our method, joined class texts"
    assert table[4]["row"].startswith("baseline majority")


def test_tables_iii_iv_vi_vary_the_add_mlp_model_and_the_others_the_full_model():
    variants = yaml.safe_load(SHIPPED_CONFIG.read_text())["variants"]
    for group, table in PAPER_TABLES.items():
        expected = "add_mlp" if group in ("III", "IV", "VI") else "micro_au_clip"
        assert table.base == expected, group
        if group in ("III", "IV", "VI"):
            assert all(variants[row.variant].get("fusion") == "add_mlp" for row in table.rows), group
    assert [r.variant for r in PAPER_TABLES["III"].rows][-1] == "add_mlp"
    assert [r.variant for r in PAPER_TABLES["VI"].rows][-1] == "add_mlp"


def test_cli_names_the_missing_variant(runs, tmp_path, capsys):
    del runs["text_fixed"]
    weights = tmp_path / "weights.json"
    write_weights_record(weights, {"weights": "none", "model": "tiny"})
    code = cli.main(
        [
            "ablation",
            "--dataset",
            "synthetic",
            "--group",
            "III",
            "--runs",
            json.dumps(runs),
            "--subjects",
            "a",
            "b",
            "--weights",
            str(weights),
            "--table",
            str(tmp_path / "t.csv"),
            "--folds",
            str(tmp_path / "f.csv"),
            "--temperature",
            "model",
            *BOOTSTRAP_FLAGS,
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.strip() == "microau ablation: error: table III needs runs of variants ['text_fixed']"


def test_combined_table_stacks_groups_with_provenance(runs, tmp_path):
    weights = tmp_path / "weights.json"
    write_weights_record(weights, {"weights": "none (random init)", "model": "tiny"})
    common = [
        "--dataset",
        "synthetic",
        "--runs",
        json.dumps(runs),
        "--subjects",
        "a",
        "b",
        "--weights",
        str(weights),
        "--temperature",
        "0.07",
        *BOOTSTRAP_FLAGS,
    ]
    main([*common, "--group", "III", "--table", str(tmp_path / "III.csv"), "--folds", str(tmp_path / "f3.csv")])
    run = json.dumps({"add_mlp": runs["text_fixed"], "micro_au_clip": runs["text_fixed"]})
    main(
        [
            *common[:3],
            run,
            *common[4:],
            "--group",
            "X",
            "--table",
            str(tmp_path / "X.csv"),
            "--folds",
            str(tmp_path / "fX.csv"),
        ]
    )
    out = tmp_path / "all.csv"
    ablation_table_main(
        [
            "--groups",
            str(tmp_path / "III.csv"),
            str(tmp_path / "X.csv"),
            "--out",
            str(out),
            "--weights",
            str(weights),
            "--provenance",
            str(tmp_path / "prov.json"),
        ]
    )
    rows = table_rows(out)
    assert [r["table"] for r in rows] == ["III"] * 3 + ["X"] * 5
    assert rows[3]["MER_F1"] and not rows[3]["F1_2class"] and rows[0]["F1_2class"] and not rows[0]["MER_F1"]
    assert rows[0]["F1_pos"] and rows[3]["AU_F1_pos"]
    metadata = read_result_table(out)[0]
    assert metadata["weights"] == "none (random init)"
    assert metadata["f1"].startswith("F1_2class: per AU the mean of the F1 of the AU-on and the AU-off class")
    assert metadata["temperature"] == "0.07 (fixed)"
    assert read_provenance(tmp_path / "prov.json")["weights"] == "none (random init)"


def test_every_paper_variant_is_in_the_shipped_config():
    variants = yaml.safe_load(SHIPPED_CONFIG.read_text())["variants"]
    needed = {v for table in PAPER_TABLES.values() for v in table.variants_needed}
    assert needed <= set(variants)


@pytest.fixture(scope="module")
def ablation_run(tmp_path_factory) -> Path:
    """The tiny workflow's ablation target with every paper variant of the shipped config."""
    workdir = tmp_path_factory.mktemp("ablation")
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["variants"] = yaml.safe_load(SHIPPED_CONFIG.read_text())["variants"]
    # sorted keys put alpha_0.6 before micro_au_clip: the main variant must still own the shared folds
    place_config(workdir, yaml.safe_dump(config, sort_keys=True))
    result = snakemake(workdir, "ablation_all")
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.mark.slow
def test_ablation_target_fills_every_row_and_trains_each_setting_once(ablation_run):
    rows = table_rows(ablation_run / "results" / "synthetic_ablation_table.csv")
    expected = sum(len(t.rows) + 1 for t in PAPER_TABLES.values())
    assert len(rows) == expected
    for row in rows:
        au_f1s = ("AU_F1_2class", "AU_F1_pos") if row["variant"] else ()  # a baseline row has no AU F1
        for column in ("MER_F1", *au_f1s) if row["table"] == "X" else ("F1_2class", "F1_pos"):
            assert row[column] != "", row
    reused = {r["variant"]: r["trained_as"] for r in rows if r["variant"]}
    assert reused["alpha_0.6"] == "add_mlp" and reused["beta_1.0"] == "micro_au_clip"
    full_rows = {r["table"]: r["trained_as"] for r in rows if r["row"] in ("finetune", "PTA", "GDA", "MiAUCL")}
    assert full_rows == {"III": "add_mlp", "VI": "add_mlp", "VII": "micro_au_clip", "VIII": "micro_au_clip"}
    trained = {p.parents[1].name for p in (ablation_run / "results" / "train" / "synthetic").glob("*/seed1/sub01")}
    assert "alpha_0.6" not in trained and len(trained) == 19
    assert (ablation_run / "results" / "synthetic_ablation_provenance.json").exists()


@pytest.mark.slow
def test_extra_seeds_add_repeats_without_retraining_the_first(ablation_run):
    config = yaml.safe_load((ablation_run / "config" / "config.yaml").read_text())
    config["train"]["seeds"] = [2]
    config["ablation"] = {"tables": ["II"]}
    (ablation_run / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))
    planned = planned_jobs(snakemake(ablation_run, "ablation_all", "-n", "--quiet", "rules"))
    assert planned["train"] == 3 * 3  # three variants of Table II, three folds each, seed 2 only
    result = snakemake(ablation_run, "ablation_all")
    assert result.returncode == 0, result.stderr[-4000:]
    rows = table_rows(ablation_run / "results" / "synthetic_ablation_table.csv")
    assert [r["seeds"] for r in rows[:3]] == ["1 2"] * 3 and all(r["F1_2class_sd"] != "" for r in rows[:3])
    assert (ablation_run / "results" / "train" / "synthetic" / "lsi_only" / "seed2" / "sub01" / "model.pt").exists()


def test_an_ablation_table_carries_the_metadata_every_table_does_and_the_paper_by_flag(runs, tmp_path):
    weights = tmp_path / "weights.json"
    write_weights_record(weights, {"weights": "none (random init)", "model": "tiny"})
    config = {"magnify": {"method": "phase", "factor": 3.0}, "landmarks": {"method": "dlib"}}
    argv = [
        "ablation",
        "--dataset",
        "lab_copy",
        "--group",
        "III",
        "--runs",
        json.dumps(runs),
        "--subjects",
        "a",
        "b",
        "--weights",
        str(weights),
        "--temperature",
        "model",
        "--config-json",
        json.dumps(config),
        *BOOTSTRAP_FLAGS,
    ]
    assert cli.main([*argv, "--table", str(tmp_path / "t.csv"), "--folds", str(tmp_path / "f.csv")]) == 0
    metadata, rows = read_result_table(tmp_path / "t.csv")
    assert metadata["magnification"] == "phase x3.0" and metadata["landmarks"] == "dlib"
    assert metadata["temperature"].startswith("model") and metadata["gap"].startswith("none")
    assert "paper_CASME2_F1" in rows[0] and not any(key.startswith("gap_") for key in rows[0])
    paper = ["--paper-dataset", "casme2", "--table", str(tmp_path / "p.csv"), "--folds", str(tmp_path / "pf.csv")]
    assert cli.main([*argv, *paper]) == 0
    metadata, rows = read_result_table(tmp_path / "p.csv")
    assert metadata["gap"].startswith("gap_<metric>: the row minus the paper's casme2") and "gap_F1_2class" in rows[0]
