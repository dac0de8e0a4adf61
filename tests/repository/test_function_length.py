"""No function or method of the package is longer than MAX_LINES lines (its signature, docstring and
body): a longer one is several steps that each deserve a name."""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "microau"
MAX_LINES = 80


def long_functions() -> list[str]:
    """'file:line name (N lines)' for each function over MAX_LINES lines."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_is_longer_than_the_limit():
    assert long_functions() == []


def test_the_check_finds_a_long_function(tmp_path, monkeypatch):
    package = tmp_path / "microau"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (package / "long.py").write_text(f"def too_long():\n{body}\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert long_functions() == ["microau/long.py:1 too_long (81 lines)"]
