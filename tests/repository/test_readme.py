"""Every shell command in the README's fenced `bash` blocks is valid: `microau <command>` exists and
takes each flag given, Snakemake's flags exist and its targets are rules or files a rule makes,
and the paths named exist."""

import contextlib
import io
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from microau.cli import COMMANDS
from microau.plan import results as paths

REPO = Path(__file__).resolve().parents[2]
FENCED_BASH = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
FLAG = re.compile(r"--?[A-Za-z][\w-]*")


def readme_commands() -> list[list[str]]:
    """Each command line of the README's bash blocks, split as the shell would."""
    text = (REPO / "README.md").read_text()
    lines = [line for block in FENCED_BASH.findall(text) for line in block.replace("\\\n", " ").splitlines()]
    return [shlex.split(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]


COMMANDS_IN_README = readme_commands()


def help_text(run, argv: list[str]) -> str:
    """What `--help` prints (argparse exits 0 after printing it)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        run(argv)
    assert exit_.value.code == 0
    return out.getvalue()


def flags(words: list[str]) -> list[str]:
    """The flags of a command line (`--out=x` -> `--out`), not the values after them."""
    return [FLAG.match(word).group() for word in words if word.startswith("-") and FLAG.match(word)]


@pytest.fixture(scope="module")
def snakemake_help() -> str:
    return subprocess.run(["snakemake", "--help"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def rule_names() -> set[str]:
    result = subprocess.run(["snakemake", "--list-rules"], cwd=REPO, capture_output=True, text=True, check=True)
    return {line.strip() for line in result.stdout.splitlines() if re.fullmatch(r"\w+", line.strip())}


def output_patterns() -> list[re.Pattern]:
    """Every `results/...` file a rule writes (the map of `microau/plan/results.py`), its wildcards as one path part."""
    patterns = []
    for path in paths.RESULTS:
        parts = re.split(r"(\{\w+\})", path)
        patterns.append(re.compile("".join(r"[^/]+" if re.fullmatch(r"\{\w+\}", p) else re.escape(p) for p in parts)))
    return patterns


def snakemake_targets(words: list[str]) -> list[str]:
    """Positional arguments of a Snakemake command line: after `--`, or not the value of a flag."""
    if "--" in words:
        return words[words.index("--") + 1 :]
    takes_value = {"--cores", "--config", "--workflow-profile", "--report", "--profile", "--configfile", "-j"}
    targets, skip = [], False
    for word in words[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in takes_value
        else:
            targets.append(word)
    return targets


def test_the_readme_has_the_commands_it_promises():
    programs = {words[0] for words in COMMANDS_IN_README}
    assert {"pip", "snakemake", "microau", "python", "snakedeploy"} <= programs
    assert len(COMMANDS_IN_README) >= 10


@pytest.mark.parametrize("words", COMMANDS_IN_README, ids=[" ".join(w)[:60] for w in COMMANDS_IN_README])
def test_each_readme_command_is_valid(words, snakemake_help, rule_names):
    program = words[0]
    if program == "microau":
        assert words[1] in COMMANDS, f"microau has no command {words[1]}"
        import importlib

        command = COMMANDS[words[1]]
        run = getattr(importlib.import_module(command.module), command.function)
        text = help_text(run, ["--help"])
        missing = [flag for flag in flags(words[2:]) if flag not in text]
        assert not missing, f"`microau {words[1]} --help` lacks {missing}"
    elif program == "snakemake":
        before_targets = words[: words.index("--")] if "--" in words else words
        missing = [flag for flag in flags(before_targets) if flag not in snakemake_help]
        assert not missing, f"snakemake --help lacks {missing}"
        if "--workflow-profile" in words:
            assert (REPO / words[words.index("--workflow-profile") + 1] / "config.yaml").is_file()
        patterns = output_patterns()
        for target in snakemake_targets(before_targets if "--" not in words else words):
            known = target in rule_names or any(p.fullmatch(target) for p in patterns)
            assert known, f"{target} is neither a rule nor a file a rule makes"
    elif program == "pip":
        editable = words[1:3] == ["install", "-e"] and words[3] in (".", ".[test]", ".[mediapipe]")
        assert editable or (words[1] == "install" and words[2].startswith("git+https://")), words
    elif program == "snakedeploy":
        assert words[1] == "deploy-workflow" and words[2].startswith("https://") and len(words) >= 4
        usage = subprocess.run(["snakedeploy", "deploy-workflow", "--help"], capture_output=True, text=True).stdout
        missing = [flag for flag in flags(words[3:]) if flag not in usage]
        assert not missing, f"snakedeploy deploy-workflow --help lacks {missing}"
    elif program == "cd":
        deployed = [w for line in COMMANDS_IN_README if line[0] == "snakedeploy" for w in line[3:4]]
        assert words[1:] in ([d] for d in deployed), f"cd {words[1:]} is not a folder the README deploys into"
    elif program == "python":
        assert words[1:3] == ["-m", "pytest"]
        assert all(flag in ("-m", "-q", "-x") for flag in flags(words[3:]))
    else:
        pytest.fail(f"the README runs {program}, which this test does not check")


def test_a_wrong_flag_or_target_is_caught(snakemake_help, rule_names):
    run = __import__("microau.inference.analyse", fromlist=["main"]).main
    assert "--device" in help_text(run, ["--help"]) and "--no-such-flag" not in help_text(run, ["--help"])
    patterns = output_patterns()
    assert any(p.fullmatch("results/casme2_table.csv") for p in patterns)
    assert not any(p.fullmatch("results/casme2_tables.csv") for p in patterns) and "tables_everything" not in rule_names
    assert "--workflow-profile" in snakemake_help and "--no-such-snakemake-flag" not in snakemake_help


def test_the_readme_stays_short_and_leaves_the_rest_to_docs():
    """What the README does not need lives in docs/ (the README's own table names each page)."""
    assert len((REPO / "README.md").read_text().splitlines()) <= 200
