"""Faults: a run killed during training and restarted ends with the tables of an uninterrupted run;
dataset roots with spaces and non-ASCII characters work."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from microau.io.result_tables import read_result_table
from tests.end_to_end.test_workflow import DEFAULT_PROFILE, TINY_CONFIG, WORKFLOW, place_config, snakemake
from tests.fake_releases import paper_flags

LONGER_TRAINING = ["--config", "datasets={synthetic: {epochs: 30}}"]


def start_snakemake(workdir: Path) -> subprocess.Popen:
    command = [
        "snakemake",
        "--snakefile",
        str(WORKFLOW),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        "--workflow-profile",
        str(DEFAULT_PROFILE),
        *LONGER_TRAINING,
    ]
    return subprocess.Popen(
        command,
        cwd=workdir,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for_training(workdir: Path, timeout: float = 600) -> Path:
    logs = workdir / "results" / "logs" / "train" / "synthetic" / "micro_au_clip" / "seed1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log in logs.glob("*.log") if logs.exists() else []:
            if "epoch 3/30" in log.read_text():
                return log
        time.sleep(0.2)
    raise TimeoutError("training never started")


@pytest.mark.slow
def test_run_killed_during_training_restarts_to_the_same_tables(tmp_path):
    for name in ("killed", "whole"):
        (tmp_path / name).mkdir()
        place_config(tmp_path / name, TINY_CONFIG)
    process = start_snakemake(tmp_path / "killed")
    log = wait_for_training(tmp_path / "killed")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    fold = log.stem
    assert not (
        tmp_path / "killed" / "results" / "train" / "synthetic" / "micro_au_clip" / "seed1" / fold / "model.pt"
    ).exists()
    # What a user does after a crash: release Snakemake's lock, then run again.
    assert snakemake(tmp_path / "killed", "--unlock").returncode == 0
    restarted = snakemake(tmp_path / "killed", *LONGER_TRAINING)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    whole = snakemake(tmp_path / "whole", *LONGER_TRAINING)
    assert whole.returncode == 0, whole.stderr[-3000:]
    for table in ("synthetic_table.csv", "synthetic_mer_table.csv", "synthetic_folds.csv"):
        killed = (tmp_path / "killed" / "results" / table).read_bytes()
        assert killed == (tmp_path / "whole" / "results" / table).read_bytes(), table


def test_index_and_frames_work_under_a_root_with_spaces_and_accents(tmp_path):
    from microau.datasets.generators.synthetic import synthesize
    from microau.datasets.index import main as index_main
    from microau.io.sample_table import read_rows
    from microau.preprocess.crop import faces_main
    from microau.preprocess.crop import main as frames_main

    root = tmp_path / "données brutes" / "CASME II copy"
    synthesize(root, seed=1, subjects=2, per_subject=1, threads=1)
    table = tmp_path / "index dir" / "samples.tsv"
    table.parent.mkdir()
    assert (
        index_main(
            [
                "--reader",
                "casme2",
                "--dataset",
                "casme2",
                "--root",
                str(root),
                "--out",
                str(table),
                "--frames-layout",
                "selected",
                "--missing-apex",
                "motion",
                *paper_flags("casme2"),
            ]
        )
        == 0
    )
    sample = read_rows(table)[1][0]["sample"]
    out = tmp_path / "crops é" / sample
    faces = tmp_path / "faces é" / "samples.tsv"
    assert (
        faces_main(["--samples", str(table), "--out", str(faces), "--report", str(faces.with_name("report.tsv"))]) == 0
    )
    assert (
        frames_main(
            ["--faces", str(faces), "--sample", sample, "--size", "256", "--margin", "0.25", "--out-dir", str(out)]
        )
        == 0
    )
    assert (out / "onset.png").stat().st_size > 0 and (out / "apex.png").stat().st_size > 0


@pytest.mark.slow
def test_sample_without_a_face_is_a_report_row_and_a_stop_on_it_reruns_clean(tmp_path):
    """The default leaves a faceless sample out, reported; `error` fails the faces job, and the
    rerun in a folder without the repository's profiles (a deployed study) starts clean."""
    import numpy as np

    from microau.io.sample_table import read_rows
    from microau.preprocess.images import write_image

    place_config(tmp_path, TINY_CONFIG)
    assert snakemake(tmp_path, "index_all").returncode == 0
    first = read_rows(tmp_path / "results" / "index" / "synthetic" / "samples.tsv")[1][0]
    write_image(first["onset_path"], np.full((480, 640, 3), 127, np.uint8))

    no_profile = ("--workflow-profile", "none")
    stopped = snakemake(tmp_path, *no_profile, "--config", "frames={on_missing_face: error}")
    assert stopped.returncode != 0
    log = (tmp_path / "results" / "logs" / "faces" / "synthetic.log").read_text()
    assert f"sample {first['sample']}: no face detected in onset frame {first['onset_path']}" in log
    assert "microau faces: error: 1 sample(s) have no face (frames.on_missing_face: error)" in log
    assert not (tmp_path / "results" / "train").exists()

    skipped = snakemake(tmp_path, *no_profile)
    assert skipped.returncode == 0, skipped.stderr[-3000:]
    report = "results/faces/synthetic/validation.tsv"
    warning = f"frames.on_missing_face: skip leaves out 1 sample(s) of synthetic without a face (listed in {report})"
    assert warning in skipped.stderr
    (row,) = [row for row in read_rows(tmp_path / report)[1] if row["sample"] == first["sample"]]
    assert row["action"] == "left out of every later stage and table (frames.on_missing_face: skip)"
    metadata = read_result_table(tmp_path / "results" / "synthetic_table.csv")[0]
    assert metadata["n_samples"] == "11"
    assert not (tmp_path / "results" / "frames" / "synthetic" / first["sample"]).exists()


def test_a_differently_sized_frame_between_onset_and_apex_is_never_read(tmp_path):
    import numpy as np

    from microau.datasets.generators.synthetic import synthesize
    from microau.datasets.index import main as index_main
    from microau.io.sample_table import read_rows
    from microau.preprocess.crop import faces_main
    from microau.preprocess.images import write_image

    root = tmp_path / "release"
    synthesize(root, seed=1, subjects=1, per_subject=1, threads=1)
    table = tmp_path / "samples.tsv"
    assert (
        index_main(
            [
                "--reader",
                "casme2",
                "--dataset",
                "casme2",
                "--root",
                str(root),
                "--out",
                str(table),
                "--frames-layout",
                "selected",
                "--missing-apex",
                "motion",
                *paper_flags("casme2"),
            ]
        )
        == 0
    )
    sample = read_rows(table)[1][0]
    frames = sorted(Path(sample["onset_path"]).parent.glob("*.jpg"), key=lambda p: int(p.stem[3:]))
    middle = [p for p in frames if p.name not in (Path(sample["onset_path"]).name, Path(sample["apex_path"]).name)]
    write_image(middle[len(middle) // 2], np.zeros((120, 160, 3), np.uint8))
    faces = tmp_path / "faces.tsv"
    assert faces_main(["--samples", str(table), "--out", str(faces), "--report", str(tmp_path / "report.tsv")]) == 0
    assert [row["sample"] for row in read_rows(faces)[1]] == [sample["sample"]]
