"""`microau.io.training_state`: a fold killed partway resumes from its last epoch to the very bytes of
an uninterrupted run; a state saved under other settings or inputs is not resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import torch

from microau.cli import main as cli_main
from microau.io.fold_files import FEATURES_NPZ, PREDICTIONS_CSV
from microau.io.training_state import (
    STATE_PT,
    TrainingState,
    capture_rng,
    read_state,
    restore_rng,
    run_fingerprint,
    write_state,
)
from tests.training.test_train import train_argv

LONG = {"epochs": 8, "batch_size": 4, "lr_drop_epoch": 4}
CLI = "import sys; from microau.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.slow  # two training runs, one of them in its own process
def test_a_fold_killed_partway_resumes_to_the_bytes_of_an_uninterrupted_run(tiny_cache, tmp_path, capsys):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert cli_main(train_argv(tiny_cache, whole, LONG)) == 0
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, *train_argv(tiny_cache, killed, LONG)],
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in process.stdout:
        if "epoch 3/8 " in line:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert (killed / STATE_PT).is_file() and not (killed / PREDICTIONS_CSV).exists()
    capsys.readouterr()
    assert cli_main(train_argv(tiny_cache, killed, LONG)) == 0
    resumed = [line for line in capsys.readouterr().out.splitlines() if "resumes after epoch" in line]
    # The log line of epoch 3 comes before its state is saved: the kill leaves epoch 2 or later.
    assert len(resumed) == 1 and 2 <= int(resumed[0].split("after epoch ")[1].split("/")[0]) < 8
    for name in (PREDICTIONS_CSV, FEATURES_NPZ):
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name
    assert sorted(p.name for p in killed.iterdir()) == sorted(p.name for p in whole.iterdir())
    assert not (killed / STATE_PT).exists()


def test_the_fingerprint_follows_settings_subject_and_cache_bytes(tiny_cache, tmp_path):
    settings, options = {"epochs": 2, "seed": 1}, {"pooling": "pta"}
    base = run_fingerprint([tiny_cache], "sub01", settings, options)
    assert run_fingerprint([tiny_cache], "sub01", dict(settings), dict(options)) == base
    assert run_fingerprint([tiny_cache], "sub01", {**settings, "seed": 2}, options) != base
    assert run_fingerprint([tiny_cache], "sub01", settings, {"pooling": "mean"}) != base
    assert run_fingerprint([tiny_cache], "sub02", settings, options) != base
    copy = tmp_path / "copy.h5"
    copy.write_bytes(tiny_cache.read_bytes() + b"\0")
    assert run_fingerprint([copy], "sub01", settings, options) != base


def test_a_state_of_other_settings_is_not_resumed_and_generators_come_back(tmp_path):
    order = torch.Generator().manual_seed(5)
    rng = capture_rng(order)
    expected = (torch.rand(3), torch.randperm(10, generator=order))
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[4], gamma=0.1)
    scale = torch.tensor(4.2)
    state = TrainingState(
        "abc", 4, [{"epoch": 1}], {"w": torch.ones(2)}, optimizer.state_dict(), schedule.state_dict(), scale, rng
    )
    write_state(tmp_path, state)
    assert read_state(tmp_path, "other") is None
    assert read_state(tmp_path / "empty", "abc") is None
    back = read_state(tmp_path, "abc")
    assert (back.epoch, back.history) == (4, [{"epoch": 1}])
    assert back.scheduler == schedule.state_dict() and back.scheduler["milestones"] == {4: 1}
    assert torch.equal(back.logit_scale, scale)
    restore_rng(back.rng, order)
    assert torch.equal(torch.rand(3), expected[0]) and torch.equal(torch.randperm(10, generator=order), expected[1])
