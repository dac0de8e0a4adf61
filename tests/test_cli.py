"""`microau <command>`: one line and exit 2 for errors a user can fix, a traceback for bugs."""

import argparse
import importlib
from unittest import mock

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


RESOURCE_FLAGS = {"threads", "device"}
"""Where and with what a job computes, not what it computes (ARCHITECTURE.md): a default is fine."""


class _Parsed(Exception):
    pass


def command_parser(command: cli.Command) -> argparse.ArgumentParser:
    """The parser a command builds, caught as it starts parsing (no command runs)."""
    entry = getattr(importlib.import_module(command.module), command.function)
    caught = {}

    def catch(self, *args, **kwargs):
        caught["parser"] = self
        raise _Parsed

    with (
        mock.patch.object(argparse.ArgumentParser, "parse_args", catch),
        mock.patch.object(argparse.ArgumentParser, "parse_known_args", catch),
    ):
        with pytest.raises(_Parsed):
            entry([])
    return caught["parser"]


def schema_defaults(node: dict, found: dict | None = None) -> dict[str, list]:
    """Every key of the schema that has a default -> its defaults (a key may sit in several sections)."""
    found = {} if found is None else found
    for key, child in node.get("properties", {}).items():
        if "default" in child:
            found.setdefault(key, []).append(child["default"])
        schema_defaults(child, found)
    for child in node.get("definitions", {}).values():
        schema_defaults(child, found)
    if isinstance(node.get("additionalProperties"), dict):
        schema_defaults(node["additionalProperties"], found)
    return found


def flags_repeating_defaults(parser: argparse.ArgumentParser, defaults: dict[str, list]) -> list[str]:
    """Optional flags whose default is a schema default of the key they are named for (None is
    no default: an absent flag then means what the schema's null means, nothing given)."""
    return [
        action.option_strings[0]
        for action in parser._actions
        if action.option_strings
        and not action.required
        and action.dest not in RESOURCE_FLAGS
        and action.default is not None
        and action.dest in defaults
        and action.default in defaults[action.dest]
    ]


def test_no_command_flag_repeats_a_default_of_the_schema():
    from microau.plan.config import SCHEMA_PATH, load_schema

    defaults = schema_defaults(load_schema(SCHEMA_PATH))
    assert {"clip_px", "subtract_median", "missing_apex", "factor"} <= set(defaults)
    found = {
        name: flags_repeating_defaults(command_parser(command), defaults) for name, command in cli.COMMANDS.items()
    }
    assert not {name: flags for name, flags in found.items() if flags}
    planted = argparse.ArgumentParser()
    planted.add_argument("--clip-px", type=float, default=3.0)
    planted.add_argument("--subtract-median", action=argparse.BooleanOptionalAction, default=True)
    assert flags_repeating_defaults(planted, defaults) == ["--clip-px", "--subtract-median"]
