"""Files appear under their final name whole, or not at all."""

from pathlib import Path

import pytest

from microau.io.atomic import atomic_open, atomic_path


def test_the_file_appears_only_once_written(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "table.csv"
    with atomic_open(path, newline="") as handle:
        handle.write("a,b\n")
        assert not path.exists()
    assert path.read_text() == "a,b\n"
    assert [p.name for p in path.parent.iterdir()] == ["table.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
