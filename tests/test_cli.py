"""`microau <command>`: one line and exit 2 for errors a user can fix, a traceback for bugs."""

import importlib

import pytest

from microau import cli
from microau.datasets.index import DatasetError


def test_every_command_resolves_to_a_callable() -> None:
    for name, command in cli.COMMANDS.items():
        assert callable(getattr(importlib.import_module(command.module), command.function)), name


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in cli.COMMANDS)


def test_a_microau_error_is_one_line_and_exit_2(monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    def fail(argv: list[str]) -> int:
        raise DatasetError("the release is not there (datasets.x.root)")

    monkeypatch.setattr("microau.datasets.index.main", fail)
    assert cli.main(["index"]) == 2
    assert capsys.readouterr().err == "microau index: error: the release is not there (datasets.x.root)\n"


def test_an_unreadable_input_file_is_one_line_and_exit_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.png"
    argv = ["magnify", "--onset", str(missing), "--apex", str(missing), "--method", "phase", "--factor", "3"]
    assert cli.main([*argv, "--levels", "4", "--out", str(tmp_path / "m.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("microau magnify: error: cannot read image ") and str(missing) in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_missing_table_is_one_line_and_exit_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.tsv"
    argv = ["faces", "--samples", str(missing), "--out", str(tmp_path / "f.tsv"), "--report", str(tmp_path / "r.tsv")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("microau faces: error: ") and str(missing) in err and err.count("\n") == 1


def test_a_programming_error_keeps_its_traceback(monkeypatch) -> None:
    def bug(argv: list[str]) -> int:
        raise KeyError("a bug")

    monkeypatch.setattr("microau.datasets.index.main", bug)
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["index"])
