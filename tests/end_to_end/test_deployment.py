"""The package and the workflow as a user outside the repository has them (slow: minutes).

A wheel built from this tree, installed non-editable into a fresh virtual environment, runs every
user command from a folder outside the clone; the workflow, deployed by snakedeploy into an empty
folder as a Snakemake `module` of a local git clone, killed during training and run again without
the repository's profiles, writes the tiny run's tables there, the same as the run from the
repository. The environment sees the
system's packages (torch and the rest are not downloaded again) but not the editable microau: the
test checks which copy it imports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas
import pytest

from tests.end_to_end.test_workflow import REPO, TINY_CONFIG

pytestmark = pytest.mark.slow

MODULE_FROM_CLONE = 'gitfile("{clone}", path="workflow/Snakefile", ref="main")'
"""The `module` declaration of a local clone: snakedeploy 0.17's local source writes
`"workflow/Snakefile"`, which Snakemake resolves against the deployed Snakefile's own folder
(`<dest>/workflow/workflow/Snakefile`, not found), so the test writes what docs/deploy.md tells a
user with a local clone to write. Deployed from GitHub, snakedeploy writes `github(...)` itself."""


def run(command: list[str], cwd: Path, env: dict | None = None, timeout: int = 1200) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A local git clone of this tree as it is now (committed or not), on branch main."""
    clone = tmp_path_factory.mktemp("clone") / "microau"
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], REPO).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    run([*git, "init", "-q", "-b", "main"], clone)
    run([*git, "add", "-A"], clone)
    run([*git, "commit", "-q", "-m", "snapshot"], clone)
    return clone


@pytest.fixture(scope="module")
def venv(clone, tmp_path_factory) -> Path:
    """A virtual environment with microau installed from a wheel of the clone."""
    wheels = tmp_path_factory.mktemp("wheels")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(clone)], clone)
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], venv)
    (wheel,) = wheels.glob("microau-*.whl")
    run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", str(wheel)], venv)
    return venv


def user_env(venv: Path) -> dict[str, str]:
    """The venv first on PATH (its `microau` and `python`), the model hub unreachable."""
    return {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": "",
        "VIRTUAL_ENV": str(venv),
    }


def test_the_wheel_ships_the_schema_and_runs_every_user_command_outside_the_clone(venv, finished_run, tmp_path):
    env = user_env(venv)
    python = str(venv / "bin" / "python")
    where = run(
        [python, "-c", "import microau, microau.plan.config as c; print(microau.__file__); print(c.SCHEMA_PATH)"],
        tmp_path,
        env,
    ).stdout.split()
    assert all(path.startswith(str(venv)) for path in where), where
    assert Path(where[1]).is_file()
    problems = subprocess.run(
        [str(venv / "bin" / "pip"), "check"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert "microau" not in problems.stdout.lower(), problems.stdout

    assert "analyse" in run(["microau", "--help"], tmp_path, env).stdout
    fold = finished_run / "results" / "train" / "synthetic" / "micro_au_clip" / "seed1" / "sub01"
    frames = finished_run / "results" / "frames" / "synthetic"
    sample = sorted(p for p in frames.iterdir() if p.name.startswith("sub01"))[0]
    predicted = run(
        [
            "microau",
            "predict",
            "--onset",
            str(sample / "onset.png"),
            "--apex",
            str(sample / "apex.png"),
            "--model",
            str(fold / "model.pt"),
            "--json",
            "--device",
            "cpu",
        ],
        tmp_path,
        env,
    ).stdout
    assert set(json.loads(predicted)["aus"]) == {"AU01", "AU02", "AU04", "AU07", "AU12", "AU14", "AU15", "AU17"}

    release = finished_run / "results" / "synthetic" / "release" / "CASME2_RAW_selected" / "sub01"
    clips = sorted(release.iterdir())[:2]
    run(
        [
            "microau",
            "analyse",
            *map(str, clips),
            "--model",
            str(fold / "model.pt"),
            "--out",
            "clips.csv",
            "--device",
            "cpu",
            "--quiet",
        ],
        tmp_path,
        env,
    )
    api = (
        "import microau, sys; table = microau.load_model(sys.argv[1], device='cpu').analyse_many(sys.argv[2:]);"
        " print(table.to_csv(index=False, float_format='%.6f'), end='')"
    )
    from_api = run([python, "-c", api, str(fold / "model.pt"), *map(str, clips)], tmp_path, env).stdout
    assert from_api == (tmp_path / "clips.csv").read_text()
    assert list(pandas.read_csv(tmp_path / "clips.csv")["status"]) == ["ok", "ok"]

    run(
        [
            "microau",
            "synthesize-long",
            "--out",
            "long",
            "--seed",
            "2",
            "--subject-count",
            "1",
            "--fps",
            "30",
            "--duration-s",
            "6",
            "--expressions-per-minute",
            "10",
            "--head-motion",
            "rigid",
            "--expression-set",
            "all",
        ],
        tmp_path,
        env,
    )
    (tmp_path / "config.yaml").write_text("spotting: {threshold_p: 0.25}\n")
    video = next((tmp_path / "long" / "videos").glob("*.avi"))
    run(["microau", "spot", "--video", str(video), "--config", "config.yaml", "--out", "spotted.csv"], tmp_path, env)
    assert (tmp_path / "spotted.csv").read_text().startswith("video,")


def kill_during_training(project: Path, command: list[str], env: dict[str, str]) -> None:
    """Start the run (the deployed profile found by itself), kill it (SIGKILL, the whole process
    group) once a training job has started, and release Snakemake's lock, as a user does after a
    crash (docs/pipeline.md)."""
    process = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    logs = project / "results" / "logs" / "train"
    deadline = time.monotonic() + 900
    while not (logs.exists() and any(logs.rglob("*.log"))):
        assert process.poll() is None and time.monotonic() < deadline, "no training job started"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not list((project / "results" / "train").rglob("model.pt")), "training finished before the kill"
    subprocess.run([*command, "--unlock"], cwd=project, env=env, capture_output=True, check=True)


def test_the_workflow_deployed_into_an_empty_folder_killed_and_rerun_writes_the_tiny_tables_there(
    clone, venv, finished_run, tmp_path
):
    env = user_env(venv)
    project = tmp_path / "my study"
    run([shutil.which("snakedeploy"), "deploy-workflow", str(clone), str(project), "--branch", "main"], tmp_path, env)
    assert sorted(p.name for p in (project / "config").iterdir()) == ["README.md", "config.yaml"]
    assert (project / "profiles" / "slurm" / "config.yaml").is_file()
    snakefile = project / "workflow" / "Snakefile"
    declared = re.sub(
        r'snakefile:\s*\n\s*"workflow/Snakefile"',
        "snakefile:\n        " + MODULE_FROM_CLONE.format(clone=clone),
        snakefile.read_text(),
    )
    assert declared != snakefile.read_text(), snakefile.read_text()
    snakefile.write_text(declared)
    (project / "config" / "config.yaml").write_text(TINY_CONFIG.read_text())
    command = [str(venv / "bin" / "python"), "-m", "snakemake", "--cores", "2"]
    kill_during_training(project, command, env)
    # the rerun needs no profile: a killed job leaves no output behind (each is written whole, atomically)
    run([*command, "--workflow-profile", "none"], project, env, timeout=1500)
    result = run([*command, "--dry-run"], project, env)
    assert "Using workflow specific profile profiles/default" in result.stdout + result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr
    assert sorted(p.name for p in project.iterdir()) == [
        ".snakemake",
        "LICENSE",
        "config",
        "profiles",
        "results",
        "workflow",
    ]
    for table in ("synthetic_table.csv", "synthetic_mer_table.csv", "synthetic_folds.csv"):
        deployed = (project / "results" / table).read_bytes()
        assert deployed == (finished_run / "results" / table).read_bytes(), table
