"""The prediction rows' two CSV files, one schema with two kinds of context: written, read back and
written again, the same bytes; a file of other columns is named."""

import filecmp

import pytest

from microau.io.prediction_rows import (
    Prediction,
    PredictionRow,
    PredictionRowsError,
    read_clip_rows,
    read_interval_rows,
    write_clip_rows,
    write_interval_rows,
)

AUS = ["AU01", "AU12"]
CLASSES = {"combinations": ["happiness", "others"], "joined": ["positive", "negative_x"]}


def prediction(p01: float, p12: float) -> Prediction:
    return Prediction(
        {"AU01": p01, "AU12": p12},
        [au for au, p in (("AU01", p01), ("AU12", p12)) if p > 0.5],
        {"combinations": "others", "joined": "negative_x"},
        {"combinations": {"happiness": 0.1234567, "others": -0.25}, "joined": {"positive": 0.0, "negative_x": 1.0}},
    )


def clip_context(name: str, kind: str = "video") -> dict[str, object]:
    return {
        "clip": name,
        "path": f"study/{name}, with a comma",
        "kind": kind,
        "onset": 0,
        "onset_file": "",
        "onset_from": "first frame",
        "apex": 7,
        "apex_file": "",
        "apex_from": "motion",
    }


def test_a_clips_csv_reads_back_into_the_rows_that_wrote_it(tmp_path):
    rows = [
        PredictionRow(clip_context("a"), prediction(0.9, 0.1)),
        PredictionRow({"clip": "wall", "path": "study/wall"}, None, "no face detected in frame 0"),
    ]
    first = tmp_path / "first.csv"
    write_clip_rows(first, rows, AUS, CLASSES)
    text = first.read_text().splitlines()
    assert text[0].split(",")[9:13] == ["AU01_prob", "AU01_on", "AU12_prob", "AU12_on"]
    assert text[0].endswith("mer_joined_positive,mer_joined_negative_x,mer_joined_pred,status")
    assert ",0.900000,1,0.100000,0,0.123457,-0.250000,others," in text[1]
    assert text[2] == ",".join(["wall", "study/wall", *[""] * 17, "no face detected in frame 0"])
    back = read_clip_rows(first)
    assert back[0].prediction.active == ["AU01"] and back[1].prediction is None
    assert back[0].prediction.emotion_scores["joined"] == {"positive": 0.0, "negative_x": 1.0}
    again = tmp_path / "again.csv"
    write_clip_rows(again, back, AUS, CLASSES)
    assert filecmp.cmp(first, again, shallow=False)


def test_an_analysis_csv_has_the_clips_csvs_prediction_columns_and_reads_back(tmp_path):
    context = {"video": "v", "kind": "micro", "onset": 10, "apex": 14, "offset": 20}
    context |= {"onset_s": 0.333, "apex_s": 0.467, "offset_s": 0.667}
    rows = [PredictionRow(context, prediction(0.612345, 0.7)), PredictionRow(context, prediction(0.2, 0.3))]
    first = tmp_path / "first.csv"
    write_interval_rows(first, rows, AUS, CLASSES)
    lines = first.read_text().splitlines()
    clips = tmp_path / "clips.csv"
    write_clip_rows(clips, [], AUS, CLASSES)
    clip_header = clips.read_text().splitlines()[0].split(",")
    assert lines[0].split(",")[8:] == clip_header[9:]  # the same prediction columns and status
    assert lines[0].startswith("video,kind,onset,apex,offset,onset_s,apex_s,offset_s,AU01_prob,AU01_on,AU12_prob")
    assert lines[1].startswith("v,micro,10,14,20,0.333000,0.467000,0.667000,0.612345,1,0.700000,1,0.123457,")
    assert lines[2].endswith(",0.200000,0,0.300000,0,0.123457,-0.250000,others,0.000000,1.000000,negative_x,ok")
    back = read_interval_rows(first)
    assert [row.prediction.active for row in back] == [["AU01", "AU12"], []]
    assert back[0].prediction.emotions == {"combinations": "others", "joined": "negative_x"}
    again = tmp_path / "again.csv"
    write_interval_rows(again, back, AUS, CLASSES)
    assert filecmp.cmp(first, again, shallow=False)


def test_an_empty_analysis_csv_is_its_header(tmp_path):
    write_interval_rows(tmp_path / "empty.csv", [], AUS, CLASSES)
    assert (tmp_path / "empty.csv").read_text().startswith("video,kind,onset,apex,offset,onset_s,apex_s,offset_s,AU01_")
    assert read_interval_rows(tmp_path / "empty.csv") == []


def test_a_csv_of_other_columns_is_named(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("video,kind\nv,micro\n")
    with pytest.raises(PredictionRowsError, match=r"other.csv lacks onset, apex.*microau spot --model"):
        read_interval_rows(other)
    with pytest.raises(PredictionRowsError, match=r"other.csv lacks clip, path.*microau analyse"):
        read_clip_rows(other)
