"""The Python code passes ruff's lint (pyflakes, pycodestyle with 120-character lines, import order)
and is laid out as `ruff format` writes it, as the Snakemake files are checked by snakefmt
(tests/end_to_end/test_workflow.py); the settings are pyproject's [tool.ruff]."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECKED = ["microau", "tests"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args, *CHECKED], cwd=REPO, capture_output=True, text=True)


def test_python_code_passes_ruff_check():
    result = ruff("check", "--output-format", "concise")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


def test_python_code_is_laid_out_as_ruff_format_writes_it():
    result = ruff("format", "--check")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
