"""The sample tables: what is written is read back, by pandas and by the stdlib reader alike."""

from pathlib import Path

import pytest

from microau.io.sample_table import (
    FACE_COLUMNS,
    REPORT_COLUMNS,
    SampleTableError,
    make_table,
    read_rows,
    read_samples,
    sample_row,
    table_columns,
    write_rows,
    write_table,
)

AUS = [1, 4]


def record(sample: str, subject: str, class3: str, au01: int) -> dict[str, object]:
    return {
        "dataset": "fake",
        "subject": subject,
        "sample": sample,
        "onset": 3,
        "apex": 5,
        "offset": 9,
        "onset_path": f"/d/{sample}/img3.jpg",
        "apex_path": f"/d/{sample}/img5.jpg",
        "frames": ";".join(f"/d/{sample}/img{n}.jpg" for n in range(3, 10)),
        "AU01": au01,
        "AU04": 1 - au01,
        "au_raw": "1" if au01 else "4",
        "au_side": "",
        "au_intensity": "",
        "emotion": "happiness" if class3 else "others",
        "class3": class3,
        "source": f"codes.csv row {3 + au01}",
    }


def test_index_table_round_trips_with_its_types(tmp_path: Path) -> None:
    table = make_table([record("006_1", "006", "positive", 1), record("007_2", "007", "", 0)], AUS)
    path = tmp_path / "out" / "samples.tsv"
    write_table(table, path)
    back = read_samples(path)
    assert back.equals(table.astype({c: back[c].dtype for c in back.columns}))
    assert list(back.columns) == table_columns(AUS)
    assert back["onset"].dtype.kind == "i" and back["AU01"].dtype.kind == "i"
    assert back["subject"].tolist() == ["006", "007"] and back.loc[1, "class3"] == ""
    assert [p.name for p in path.parent.iterdir()] == ["samples.tsv"]  # no temporary left behind
    columns, rows = read_rows(path)
    assert columns == table_columns(AUS) and rows[0]["subject"] == "006" and rows[1]["AU04"] == "1"


def test_a_table_without_the_contract_columns_is_not_a_sample_table(tmp_path: Path) -> None:
    path = tmp_path / "samples.tsv"
    path.write_text("sample\tonset_path\na\t/x.jpg\n")
    with pytest.raises(SampleTableError, match="is not a sample table: missing columns dataset, subject"):
        read_samples(path)
    with pytest.raises(SampleTableError, match="lacks the column\\(s\\) apex_path"):
        read_rows(path, ("sample", "onset_path", "apex_path"))


def test_faces_table_and_report_round_trip(tmp_path: Path) -> None:
    columns = table_columns(AUS)
    rows = [{key: str(value) for key, value in record("s1", "a", "positive", 1).items()}]
    with_face = [{**rows[0], **dict(zip(FACE_COLUMNS, ("10.5", "20.0", "100.25", "101.0", "0.93")))}]
    write_rows(tmp_path / "faces.tsv", columns + list(FACE_COLUMNS), with_face)
    assert read_rows(tmp_path / "faces.tsv") == (columns + list(FACE_COLUMNS), with_face)
    assert sample_row(tmp_path / "faces.tsv", "s1") == with_face[0]
    with pytest.raises(SampleTableError, match=f"sample s2 is not in {tmp_path / 'faces.tsv'}"):
        sample_row(tmp_path / "faces.tsv", "s2")
    report = [{"sample": "s2", "subject": "b", "onset_path": "/x.jpg", "problem": "no_face", "reason": "no face"}]
    write_rows(tmp_path / "report.tsv", REPORT_COLUMNS, report)
    assert read_rows(tmp_path / "report.tsv") == (list(REPORT_COLUMNS), report)
    write_rows(tmp_path / "empty.tsv", REPORT_COLUMNS, [])
    assert (tmp_path / "empty.tsv").read_text() == "sample\tsubject\tonset_path\tproblem\treason\n"
