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
from microau.model.device import (
    DeviceError,
    PrecisionError,
    autocast,
    check_precision,
    claimed_device,
    grad_scaler,
    parse_device,
)


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


def test_fp32_runs_everywhere_and_autocast_is_off() -> None:
    check_precision(torch.device("cpu"), "fp32")
    with autocast(torch.device("cpu"), "fp32"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    assert not grad_scaler(torch.device("cpu"), "fp32").is_enabled()


def test_bf16_on_a_cpu_with_native_bfloat16_computes_in_bfloat16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "cpu_has_bf16", lambda: True)
    check_precision(torch.device("cpu"), "bf16")
    with autocast(torch.device("cpu"), "bf16"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    assert not grad_scaler(torch.device("cpu"), "bf16").is_enabled()


def test_a_cpu_without_native_bfloat16_or_fp16_on_a_cpu_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "cpu_has_bf16", lambda: False)
    with pytest.raises(PrecisionError, match=r"^train.precision bf16: this CPU has no native bfloat16 .*choose fp32$"):
        check_precision(torch.device("cpu"), "bf16")
    with pytest.raises(PrecisionError, match=r"^train.precision fp16 needs a CUDA GPU .*choose bf16 or fp32$"):
        check_precision(torch.device("cpu"), "fp16")
    with pytest.raises(PrecisionError, match="choose fp32, bf16, fp16"):
        check_precision(torch.device("cpu"), "fp8")


@pytest.mark.parametrize("has_bf16", [True, False])
def test_on_a_gpu_fp16_runs_with_a_loss_scaler_and_bf16_where_the_gpu_has_it(
    monkeypatch: pytest.MonkeyPatch, has_bf16: bool
) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: has_bf16)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: "Mock GPU")
    gpu = torch.device("cuda", 0)
    check_precision(gpu, "fp16")
    check_precision(gpu, "fp32")
    if has_bf16:
        check_precision(gpu, "bf16")
    else:
        with pytest.raises(PrecisionError, match=r"^train.precision bf16: cuda:0 \(Mock GPU\) has no bfloat16"):
            check_precision(gpu, "bf16")
    # torch disables a CUDA autocast without CUDA: the formats and the scaler are checked on the CPU
    assert autocast(torch.device("cpu"), "fp16").fast_dtype == torch.float16
    assert grad_scaler(torch.device("cpu"), "fp16").is_enabled()
