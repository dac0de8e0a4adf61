"""The tiny workflow submitted through profiles/slurm to a real single-node SLURM cluster.

Starts slurmctld/slurmd/munged with tests/slurm/cluster.sh (root and Debian's slurm-wlm needed;
.ci/run installs them), overrides the profile's placeholder partitions and the GPU request (the
test node has none), and checks that jobs went through sbatch and that the tables equal a local run.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.end_to_end.test_workflow import REPO, TINY_CONFIG, place_config, snakemake

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("slurmctld") is None, reason="slurm-wlm is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="starting SLURM daemons needs root"),
]


@pytest.fixture(scope="module")
def cluster():
    subprocess.run([str(CLUSTER), "start"], check=True, capture_output=True, text=True, timeout=120)
    yield
    subprocess.run([str(CLUSTER), "stop"], check=False, timeout=60)


def gpu_rule_overrides() -> list[str]:
    """The test node has no GPU: every rule the profile sends to a GPU partition runs on "debug" without one."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    gpu_rules = [rule for rule, resources in profile["set-resources"].items() if resources.get("gpu")]
    assert "train" in gpu_rules and "features" in gpu_rules, gpu_rules
    return [override for rule in gpu_rules for override in (f"{rule}:slurm_partition=debug", f"{rule}:gpu=0")]


def run_in(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    tmp.mkdir()
    place_config(tmp, TINY_CONFIG)
    return snakemake(tmp, *args)


def test_slurm_run_submits_through_sbatch_and_matches_a_local_run(cluster, finished_run, tmp_path):
    slurm = run_in(
        tmp_path / "slurm",
        "--workflow-profile",
        str(REPO / "profiles" / "slurm"),
        "--jobs",
        "4",
        "--default-resources",
        "slurm_partition=debug",
        "runtime=10",
        "mem_mb=1000",
        "--set-resources",
        *gpu_rule_overrides(),
        "--set-threads",
        "train=1",
        "features=2",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--seconds-between-status-checks",
        "2",
    )
    output = slurm.stdout + slurm.stderr
    assert slurm.returncode == 0, output[-4000:]
    job_ids = re.findall(r"SLURM (?:jobid|job ID) (\d+)", output)
    # synthesize, index, one preprocessing group, features, the training array, aggregate
    assert len(set(job_ids)) >= 6, output[-3000:]
    assert re.search(
        r"Submitted array job with Snakemake IDs [\d,]+ and SLURM job ID \d+\. The individual task IDs are 1-3", output
    )
    slurm_logs = list((tmp_path / "slurm" / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert slurm_logs, "no SLURM job logs were written"
    print("SLURM job ids:", " ".join(sorted(set(job_ids), key=int)))
    for name in ("synthetic_table.csv", "synthetic_mer_table.csv"):
        local_table = (finished_run / "results" / name).read_text()
        slurm_table = (tmp_path / "slurm" / "results" / name).read_text()
        assert slurm_table == local_table
