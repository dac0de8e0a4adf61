"""Result tables and provenance records: a plain CSV and its metadata sidecar; read back as written."""

import json
from pathlib import Path

import pandas
import pytest

from microau.io.result_tables import (
    ResultTableError,
    metadata_path,
    read_provenance,
    read_result_table,
    write_provenance,
    write_result_table,
)


def test_a_table_round_trips_its_metadata_and_rows(tmp_path: Path) -> None:
    metadata = {
        "dataset": "fake",
        "weights": "none (random init, torch seed 0)",
        "n_samples": 8,
        "config_hash": "",
        "intervals": "95% percentile intervals of a subject-level bootstrap: 100 resamples",
    }
    rows = [{"au": "AU01", "n_pos": 3, "F1": 0.5, "ACC": 2 / 3}, {"au": "baseline", "n_pos": "", "F1": 0.25, "ACC": ""}]
    path = tmp_path / "results" / "fake_table.csv"
    write_result_table(path, rows, metadata)
    assert path.read_text().splitlines() == ["au,n_pos,F1,ACC", "AU01,3,0.5000,0.6667", "baseline,,0.2500,"]
    assert pandas.read_csv(path)["F1"].tolist() == [0.5, 0.25]
    assert json.loads(metadata_path(path).read_text())["n_samples"] == "8"
    back_metadata, back_rows = read_result_table(path)
    assert back_metadata == {key: str(value) for key, value in metadata.items()}
    assert back_rows == [
        {"au": "AU01", "n_pos": "3", "F1": "0.5000", "ACC": "0.6667"},
        {"au": "baseline", "n_pos": "", "F1": "0.2500", "ACC": ""},
    ]
    write_result_table(tmp_path / "again.csv", back_rows, back_metadata)
    assert (tmp_path / "again.csv").read_bytes() == path.read_bytes()
    assert (tmp_path / "again.meta.json").read_bytes() == metadata_path(path).read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake_table.csv", "fake_table.meta.json"]


def test_a_table_without_what_its_reader_needs_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_result_table(path, [{"au": "AU01", "F1": 0.5}], {"dataset": "d"})
    assert read_result_table(path, columns=("au", "F1"), keys=("dataset",))[1] == [{"au": "AU01", "F1": "0.5000"}]
    with pytest.raises(
        ResultTableError, match=r"t.csv lacks ACC, table \(in t.meta.json\): not the result table this command reads"
    ):
        read_result_table(path, columns=("au", "ACC"), keys=("dataset", "table"))


def test_provenance_round_trips_with_sorted_keys(tmp_path: Path) -> None:
    record = {"weights": "none", "config": {"targets": ["fake"], "flow": {"clip_px": 3.0}}, "config_hash": "abc"}
    write_provenance(tmp_path / "p.json", record)
    assert read_provenance(tmp_path / "p.json") == record
    text = (tmp_path / "p.json").read_text()
    assert text.startswith('{\n  "config": {') and text.endswith("}\n")


def test_a_table_without_its_sidecar_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("au,F1\nAU01,0.5\n")
    with pytest.raises(ResultTableError, match=r"t.csv has no metadata file .*t.meta.json"):
        read_result_table(path)
