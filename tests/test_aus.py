"""`microau.aus`: the one --aus parser every command uses, and its one-line error."""

import pytest

from microau import cli
from microau.aus import AUsError, parse_aus
from microau.errors import MicroauError


def test_comma_separated_numbers_are_read_and_empty_parts_skipped():
    assert parse_aus("1,2,4") == [1, 2, 4]
    assert parse_aus("12, 14,") == [12, 14]


def test_anything_else_names_the_flag_and_the_config_key():
    with pytest.raises(AUsError, match=r"^--aus must be comma-separated AU numbers like 1,2,4, got '1,two'$"):
        parse_aus("1,two")
    with pytest.raises(AUsError, match=r"\(datasets\.mine\.aus\)$"):
        parse_aus("AU1", where="datasets.mine.aus")
    assert issubclass(AUsError, MicroauError)


@pytest.mark.parametrize("command", ["features", "landmark-agreement"])
def test_a_bad_aus_flag_is_one_line_not_a_traceback(command, tmp_path, capsys):
    """`features` once raised a bare ValueError here; every command now stops with the one message."""
    args = {
        "features": [
            "--samples",
            str(tmp_path / "s.tsv"),
            "--flow-dir",
            str(tmp_path),
            "--landmarks-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "f.h5"),
            "--model",
            "microau-tiny-ViT",
            "--pretrained",
            "none",
            "--trainable-blocks",
            "2",
            "--device",
            "cpu",
            "--precision",
            "fp32",
        ],
        "landmark-agreement": ["--frames-dir", str(tmp_path), "--image-size", "224", "--out", str(tmp_path / "a.tsv")],
    }[command]
    assert cli.main([command, *args, "--aus", "1,x"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"microau {command}: error: --aus must be comma-separated AU numbers like 1,2,4, got '1,x'"
