"""`microau.model.device`: which device a job takes, with torch.cuda mocked (no GPU on the test machines)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import torch

from microau.model import device as device_module
from microau.model.device import DeviceError, claimed_device, parse_device


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A machine whose torch reports two CUDA devices, every GPU visible, locks in tmp_path."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda index: None)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv(device_module.LOCK_DIR_ENV, str(tmp_path / "locks"))
    return tmp_path / "locks"


# A job in its own process: mocks two GPUs, claims one, says which, holds it until `release` exists.
JOB = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import torch
    torch.cuda.is_available = lambda: True
    torch.cuda.device_count = lambda: 2
    torch.cuda.set_device = lambda index: None
    from microau.model.device import claimed_device
    with claimed_device(sys.argv[1]) as device:
        print(device, flush=True)
        while not Path(sys.argv[2]).exists():
            time.sleep(0.05)
""")


def start_job(name: str, release: Path, locks: Path) -> subprocess.Popen:
    env = {**os.environ, device_module.LOCK_DIR_ENV: str(locks)}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return subprocess.Popen([sys.executable, "-c", JOB, name, str(release)], env=env, stdout=subprocess.PIPE, text=True)


def test_two_concurrent_claims_take_different_gpus(two_gpus: Path) -> None:
    """Two threads claim at once and hold their claims until both have one."""
    both_hold = threading.Barrier(2, timeout=30)
    taken = []

    def job() -> None:
        with claimed_device("auto") as device:
            taken.append(device)
            both_hold.wait()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, taken)) == ["cuda:0", "cuda:1"]


@pytest.mark.slow
def test_two_concurrent_jobs_take_different_gpus_and_a_third_is_refused(two_gpus: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    jobs = [start_job("auto", release, two_gpus), start_job("cuda", release, two_gpus)]
    try:
        taken = sorted(job.stdout.readline().strip() for job in jobs)
        assert taken == ["cuda:0", "cuda:1"]
        with pytest.raises(DeviceError, match="all 2 GPUs are claimed by other jobs"):
            with claimed_device("auto"):
                pass
    finally:
        release.touch()
        assert [job.wait(timeout=60) for job in jobs] == [0, 0]
    # A finished job's claim is gone with its process: the next job takes the first GPU again.
    with claimed_device("auto") as device:
        assert device == torch.device("cuda", 0)


@pytest.mark.slow
def test_a_killed_job_leaves_no_claim(two_gpus: Path, tmp_path: Path) -> None:
    job = start_job("auto", tmp_path / "never", two_gpus)
    assert job.stdout.readline().strip() == "cuda:0"
    job.kill()
    job.wait(timeout=60)
    with claimed_device("auto") as device:
        assert device == torch.device("cuda", 0)


def test_claims_in_one_process_are_exclusive_too(two_gpus: Path) -> None:
    with claimed_device("auto") as first, claimed_device("auto") as second:
        assert (first, second) == (torch.device("cuda", 0), torch.device("cuda", 1))


def test_a_job_under_cuda_visible_devices_uses_what_it_was_given(
    two_gpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with claimed_device("auto") as first, claimed_device("cuda") as second:
        assert first == second == torch.device("cuda", 0)
    assert not two_gpus.exists()  # the scheduler chose: nothing is claimed


def test_cpu_when_torch_sees_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with claimed_device("auto") as device:
        assert device == torch.device("cpu")
    with claimed_device("cpu") as device:
        assert device == torch.device("cpu")
    with pytest.raises(DeviceError, match="--device cuda: torch sees no CUDA device"):
        with claimed_device("cuda"):
            pass


def test_an_explicit_gpu_is_taken_as_given_and_checked(two_gpus: Path) -> None:
    with claimed_device("cuda:1") as device:
        assert device == torch.device("cuda", 1)
    assert not two_gpus.exists()
    with pytest.raises(DeviceError, match="sees 2 CUDA device"):
        with claimed_device("cuda:2"):
            pass


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "cpu:0", "auto:1", ""])
def test_a_device_name_outside_the_convention_is_refused(name: str) -> None:
    with pytest.raises(DeviceError, match="choose auto, cpu, cuda or cuda:N"):
        parse_device(name)


def test_the_device_is_no_training_setting() -> None:
    """Like threads: the train rule passes it as a resource, not in --settings, so changing it
    changes none of the params Snakemake compares to decide a rerun."""
    from microau.plan.workflow import train_settings
    from tests.helpers import schema_config

    config = schema_config()
    before = train_settings(config, "tiny", config["variant"], 1)
    config["train"]["device"] = "cuda:1"
    assert train_settings(config, "tiny", config["variant"], 1) == before and "device" not in before
    rule = (Path(__file__).parents[2] / "workflow" / "rules" / "train.smk").read_text()
    assert 'device=config["train"]["device"]' in rule.split("params:")[0] and "--device {resources.device}" in rule
