"""Faults: a run killed during training and restarted ends with the tables of an uninterrupted run;
dataset roots with spaces and non-ASCII characters work."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from test_workflow import REPO, TINY_CONFIG, snakemake

LONGER_TRAINING = ["--config", "datasets={synthetic: {epochs: 30}}"]


def start_snakemake(workdir: Path) -> subprocess.Popen:
    command = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", "2",
               *LONGER_TRAINING]
    return subprocess.Popen(command, cwd=workdir, env={**os.environ, "HF_HUB_OFFLINE": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for_training(workdir: Path, timeout: float = 600) -> Path:
    logs = workdir / "results" / "logs" / "train" / "synthetic" / "micro_au_clip"
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
        shutil.copy(TINY_CONFIG, tmp_path / name / "config.yaml")
    process = start_snakemake(tmp_path / "killed")
    log = wait_for_training(tmp_path / "killed")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    fold = log.stem
    assert not (tmp_path / "killed" / "results" / "train" / "synthetic" / "micro_au_clip" / fold / "model.pt").exists()
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
    from microau.datasets import main as index_main
    from microau.datasets.synthetic import synthesize
    from microau.preprocess.crop import main as frames_main

    root = tmp_path / "données brutes" / "CASME II copy"
    synthesize(root, seed=1, subjects=2, per_subject=1, workers=1)
    table = tmp_path / "index dir" / "samples.tsv"
    table.parent.mkdir()
    assert index_main(["--dataset", "casme2", "--root", str(root), "--out", str(table)]) == 0
    sample = table.read_text().splitlines()[1].split("\t")[2]
    out = tmp_path / "crops é" / sample
    assert frames_main(["--samples", str(table), "--sample", sample, "--out-dir", str(out)]) == 0
    assert (out / "onset.png").stat().st_size > 0 and (out / "apex.png").stat().st_size > 0
