"""The whole workflow through the Snakemake CLI on the tiny config (slow: minutes)."""

import os
import re
import subprocess
from pathlib import Path

import pandas
import pytest
import yaml

from microau.io.result_tables import read_provenance, read_result_table

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "workflow" / "Snakefile"
TINY_CONFIG = REPO / ".test" / "config" / "config.yaml"
SHIPPED_CONFIG = REPO / "config" / "config.yaml"
DEFAULT_PROFILE = REPO / "profiles" / "default"
"""What `snakemake` in the repository root (or a deployed folder) finds by itself; from another
working directory, Snakemake looks for profiles/default beside workflow/Snakefile, not here."""


def place_config(workdir: Path, config: Path | str) -> Path:
    """`config` (a file, or YAML text) as `workdir`'s config/config.yaml, where the workflow reads it."""
    target = workdir / "config" / "config.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(config.read_text() if isinstance(config, Path) else config)
    return target


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake on `workdir` with the model hub unreachable: any download attempt fails fast."""
    unreachable = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HTTPS_PROXY": unreachable,
        "HTTP_PROXY": unreachable,
        "https_proxy": unreachable,
        "http_proxy": unreachable,
    }
    command = [
        "snakemake",
        "--snakefile",
        str(WORKFLOW),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *([] if "--workflow-profile" in args else ["--workflow-profile", str(DEFAULT_PROFILE)]),
        *args,
    ]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=1500)


def table_rows(path: Path) -> list[dict[str, str]]:
    return read_result_table(path)[1]


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Job counts per rule from `snakemake -n --quiet rules`."""
    counts = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.slow
def test_tiny_workflow_writes_both_tables_with_provenance(finished_run):
    # The plain default target, the hub unreachable, no top-level clip: the dataset's own encoder.
    assert "clip" not in yaml.safe_load(TINY_CONFIG.read_text())
    table = finished_run / "results" / "synthetic_table.csv"
    rows = {r["au"]: r for r in table_rows(table)}
    assert set(rows) == {"AU01", "AU02", "AU04", "AU07", "AU12", "AU14", "AU15", "AU17", "mean", "baseline"}
    metadata = read_result_table(table)[0]
    assert metadata["weights"].startswith("none (random init") and metadata["n_samples"] == "12"
    for metric in ("F1_2class", "F1_pos", "ACC"):  # both F1s, with intervals, per AU and as the mean
        assert all(rows[au][column] for au in ("AU01", "mean") for column in (metric, f"{metric}_lo", f"{metric}_hi"))
    assert metadata["f1"].startswith("F1_2class: per AU the mean of the F1 of the AU-on and")
    mer = {r["metric"]: r for r in table_rows(finished_run / "results" / "synthetic_mer_table.csv")}
    assert {"f1_macro", "uar", "accuracy"} <= set(mer)
    mer_metadata = read_result_table(finished_run / "results" / "synthetic_mer_table.csv")[0]
    assert mer_metadata["weights"].startswith("none (random init") and mer_metadata["encoder"] == "microau-tiny-ViT"
    assert (finished_run / "results" / "synthetic_provenance.json").exists()
    # every table opens with a plain read_csv; the pooled predictions hold every held-out sample once
    for name in ("table", "mer_table", "folds", "predictions"):
        assert len(pandas.read_csv(finished_run / "results" / f"synthetic_{name}.csv")) > 0, name
    pooled = pandas.read_csv(finished_run / "results" / "synthetic_predictions.csv")
    assert len(pooled) == 12 and pooled["sample"].is_unique and (pooled["fold"] == pooled["subject"]).all()


@pytest.mark.slow
def test_second_run_has_nothing_to_do(finished_run):
    result = snakemake(finished_run, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.slow
def test_deleting_one_flow_output_redoes_only_that_sample_and_what_depends_on_it(finished_run):
    flows = sorted((finished_run / "results" / "flow" / "synthetic").glob("*.png"))
    victim = flows[0]
    victim.unlink()
    # Snakemake leaves a deleted intermediate file alone while the outputs after it are up to date;
    # naming the stage's target regenerates it, and what depends on it follows.
    result = snakemake(finished_run, "-n", "--quiet", "rules", "--", "flow_all", "all")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = planned_jobs(result)
    n_subjects = 3
    assert counts.get("flow") == 1
    assert counts.get("features") == 1 and counts.get("train") == n_subjects and counts.get("aggregate") == 1
    assert not {"synthesize", "index", "frames", "magnify", "landmarks"} & set(counts)


@pytest.mark.slow
def test_changing_a_flow_setting_reruns_flow_and_after_but_nothing_before(finished_run):
    result = snakemake(finished_run, "-n", "--quiet", "rules", "--config", "flow={clip_px: 2.0}")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = planned_jobs(result)
    assert counts.get("flow") == 12
    assert counts.get("features") == 1 and counts.get("train") == 3 and counts.get("aggregate") == 1
    assert not {"synthesize", "index", "frames", "magnify", "landmarks"} & set(counts)


NO_SOFTWARE_LINT = "Specify a conda environment or container for each rule."
"""The one lint left on purpose: the rules run the installed microau package, and no conda
environment or container has been tested (.snakemake-workflow-catalog.yml says so)."""


def test_workflow_passes_lint_but_for_the_untested_software_environments_and_snakefmt():
    lint = subprocess.run(["snakemake", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120)
    output = lint.stdout + lint.stderr
    titles = set(re.findall(r"^\s+\* (.+?):$", output, re.MULTILINE))
    good = titles == {NO_SOFTWARE_LINT} or "Congratulations, your workflow is in a good condition!" in output
    assert good, output[-3000:]
    rule_files = [WORKFLOW, *(REPO / "workflow" / "rules").glob("*.smk")]
    assert not [path.name for path in rule_files if "conda:" in path.read_text()], "a rule names an untested conda env"
    style = subprocess.run(["snakefmt", "--check", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert style.returncode == 0, style.stderr[-3000:]


def test_a_correspondence_without_a_class_stops_the_run_naming_its_key(tmp_path):
    config = TINY_CONFIG.read_text().replace("aus: [1, 2, 4, 7, 12, 14, 15, 17]", "aus: [4, 12]")
    place_config(tmp_path, config)
    result = snakemake(tmp_path, "-n")
    assert result.returncode != 0
    assert (
        "config key 'datasets.synthetic.mer_combinations': class 'surprise' has no AU combination left once "
        "filtered to AUs [4, 12]" in result.stderr + result.stdout
    )


PROTOCOLS_CONFIG = REPO / "tests" / "data" / "protocols_config.yaml"
PROTOCOL_RULES = {"train_composite", "train_cross", "aggregate_composite", "aggregate_cross", "protocols_all"}


@pytest.fixture(scope="module")
def protocols_run(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """Two generated datasets of different layouts: their own tables first, then the protocols;
    returns the folder and the job counts the protocols added to the finished per-dataset run."""
    workdir = tmp_path_factory.mktemp("protocols")
    place_config(workdir, PROTOCOLS_CONFIG)
    first = snakemake(workdir, "tables_all")
    assert first.returncode == 0, first.stderr[-4000:]
    planned = snakemake(workdir, "-n", "--quiet", "rules", "--", "protocols_all")
    assert planned.returncode == 0, planned.stderr[-3000:]
    second = snakemake(workdir, "protocols_all")
    assert second.returncode == 0, second.stderr[-4000:]
    return workdir, planned_jobs(planned)


@pytest.mark.slow
def test_protocols_reuse_every_datasets_preprocessing_and_features(protocols_run):
    workdir, jobs = protocols_run
    assert set(jobs) - {"total"} <= PROTOCOL_RULES, jobs
    assert jobs["train_composite"] == 3 + 4 and jobs["train_cross"] == 2
    again = snakemake(workdir, "-n", "protocols_all", "tables_all")
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.slow
def test_protocol_tables_are_filled_per_dataset_and_overall(protocols_run):
    workdir, _ = protocols_run
    composite = table_rows(workdir / "results" / "composite_demo+sammsyn_table.csv")
    assert {(r["scope"], r["au"]) for r in composite if r["au"] == "mean"} == {
        ("demo", "mean"),
        ("sammsyn", "mean"),
        ("overall", "mean"),
    }
    assert {r["au"] for r in composite} == {"AU02", "AU04", "AU07", "AU12", "mean", "baseline"}
    assert all(r["F1_pos_lo"] != "" and r["dF1_2class_lo"] != "" for r in composite if r["au"] == "mean")
    for name, tested in (("demo_to_sammsyn", "sammsyn"), ("sammsyn_to_demo", "demo")):
        cross = table_rows(workdir / "results" / f"cross_{name}_table.csv")
        assert {r["scope"] for r in cross} == {tested}
        mer = table_rows(workdir / "results" / f"cross_{name}_mer_table.csv")
        assert {"f1_macro", "uar", "accuracy"} <= {r["metric"] for r in mer}
    record = read_provenance(workdir / "results" / "composite_demo+sammsyn_provenance.json")
    assert record["training_sets"]["sammsyn/006"] == {
        "demo": ["sub01", "sub02", "sub03"],
        "sammsyn": ["007", "008", "009"],
    }


@pytest.mark.slow
def test_tiny_workflow_spotting_table_scores_the_synthetic_long_videos(tmp_path):
    place_config(tmp_path, TINY_CONFIG)
    result = snakemake(tmp_path, "spotting_all")
    assert result.returncode == 0, result.stderr[-4000:]
    metadata, rows = read_result_table(tmp_path / "results" / "synthetic_spot_spotting_table.csv", ["F1", "FP_per_min"])
    assert [r["kind"] for r in rows] == ["micro"]
    assert int(rows[0]["truth"]) == 4
    assert float(rows[0]["F1"]) >= 0.5  # the generator's known answer; docs/spotting.md states the bar
    assert "IoU >= 0.5" in metadata["scoring"]
    spotted = sorted((tmp_path / "results" / "spotting" / "synthetic_spot" / "spotted").glob("*.csv"))
    assert [p.stem for p in spotted] == ["s01", "s02"]  # one job per video
    pages = sorted((tmp_path / "results" / "spotting" / "synthetic_spot" / "review").glob("*.html"))
    assert [p.stem for p in pages] == ["s01", "s02"]  # a review page per video, with its truth drawn
    assert all('"name": "truth micro"' in page.read_text() for page in pages)


@pytest.mark.slow
def test_tiny_workflow_spots_then_recognises_with_another_datasets_final_model(tmp_path):
    """Leak-free: the recogniser is the demo AU dataset's final model (subjects of microau
    synthesize, seed 3), the long videos are synthesize-long's own subjects."""
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["spotting_model"] = "synthetic"
    place_config(tmp_path, yaml.safe_dump(config))
    result = snakemake(tmp_path, "spotting_all")
    assert result.returncode == 0, result.stderr[-4000:]
    _, (row,) = read_result_table(
        tmp_path / "results" / "synthetic_spot_spotting_table.csv",
        ["F1", "recognition_F1", "recognition_UF1", "STRS", "STRS_lo"],
    )
    assert float(row["STRS"]) == pytest.approx(float(row["F1"]) * float(row["recognition_F1"]), abs=1e-3)
    assert int(row["recognition_TP"]) + int(row["recognition_FN"]) <= int(
        row["TP"]
    )  # only matched intervals are recognised
    assert (tmp_path / "results" / "final" / "synthetic").is_dir()
    recognised = sorted((tmp_path / "results" / "spotting" / "synthetic_spot" / "recognised").glob("*.csv"))
    assert [p.stem for p in recognised] == ["s01", "s02"]
