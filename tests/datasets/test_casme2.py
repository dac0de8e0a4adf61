"""CASME II reader on a fake release with the real one's quirks: rows, frame layouts, AU cells."""

from pathlib import Path

import openpyxl
import pytest

from microau.datasets.index import build_index
from microau.io.sample_table import au_columns, frame_paths, table_columns
from tests.datasets.test_index import problems
from tests.fake_releases import make_casme2, paper_settings

AUS = [1, 2, 4, 7, 12, 14, 15, 17]
# sample -> (onset, apex, offset, AUs on, au_side, au_intensity, emotion, class3). The fake frames
# are flat, so an apex found by motion is the first frame after the onset (the earliest of a tie).
EXPECTED = {
    "sub01_EP02_01f": (10, 12, 14, {1, 2}, "", "", "happiness", "positive"),
    "sub01_EP03_02": (20, 22, 24, {4}, "", "", "disgust", "negative"),
    "sub02_EP01_11f": (5, 7, 9, {4}, "+L", "", "repression", "negative"),
    "sub04_EP12_01f": (30, 31, 34, {12}, "", "", "others", ""),
    "sub05_EP09_05f": (3, 4, 6, {12, 15}, "R+R", "", "surprise", "surprise"),
    "sub16_EP01_08": (73, 75, 80, {14}, "", "", "sadness", ""),
    "sub08_EP02_02": (10, 11, 15, {12}, "", "", "Happiness", "positive"),
    "sub09_EP03_01": (40, 42, 44, {1, 2, 4}, "", "", "fear", ""),
}
AU_RAW = {"sub01_EP03_02": "4", "sub04_EP12_01f": "12", "sub02_EP01_11f": "4+L10", "sub05_EP09_05f": "R12 + R15"}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return make_casme2(tmp_path_factory.mktemp("casme2"))


@pytest.fixture(scope="module")
def selected(release):
    return build_index(
        "casme2", "casme2", release, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
    )


def test_table_rows_match_the_coding_sheet(selected):
    df = selected.samples
    assert list(df.columns) == table_columns(AUS)
    assert list(df["sample"]) == list(EXPECTED)
    for _, row in df.iterrows():
        onset, apex, offset, on, side, intensity, emotion, class3 = EXPECTED[row["sample"]]
        assert (row["onset"], row["apex"], row["offset"]) == (onset, apex, offset)
        assert {int(c[2:]) for c in au_columns(df) if row[c] == 1} == on
        assert (row["au_side"], row["au_intensity"], row["emotion"], row["class3"]) == (
            side,
            intensity,
            emotion,
            class3,
        )
        assert row["dataset"] == "casme2" and row["sample"].startswith(row["subject"] + "_")
    for sample, raw in AU_RAW.items():
        assert df.loc[df["sample"] == sample, "au_raw"].item() == raw  # int 4 -> "4", float 12.0 -> "12"
    assert df["class3"].value_counts().to_dict() == {"": 3, "positive": 2, "negative": 2, "surprise": 1}


def test_frames_are_absolute_in_order_and_skip_non_images(selected, release):
    row = selected.samples.set_index("sample").loc["sub01_EP02_01f"]
    folder = release / "CASME2_RAW_selected" / "sub01" / "EP02_01f"
    assert frame_paths(row) == [str(folder / f"img{n}.jpg") for n in range(10, 15)]  # img13.lnk ignored
    assert row["onset_path"] == str(folder / "img10.jpg") and row["apex_path"] == str(folder / "img12.jpg")
    gap = selected.samples.set_index("sample").loc["sub09_EP03_01"]
    assert [Path(p).name for p in frame_paths(gap)] == ["img40.jpg", "img41.jpg", "img42.jpg", "img44.jpg"]


def test_validation_reports_each_quirk(selected):
    no_face = " (no face detected on the onset frame: motion measured over the whole frame)"
    assert problems(selected, "sub04_EP12_01f") == [
        (
            "CASME2-coding-20140508.xlsx row 5: apex '/' is not a frame number",
            "apex set to 31, the frame of largest motion from onset in 30..34" + no_face,
        )
    ]
    assert problems(selected, "sub05_EP09_05f") == [
        (
            "CASME2-coding-20140508.xlsx row 6: apex 3 equals onset (no motion between the pair)",
            "apex set to 4, the frame of largest motion from onset in 3..6" + no_face,
        )
    ]
    assert problems(selected, "sub08_EP02_02") == [
        (
            "CASME2-coding-20140508.xlsx row 11: apex 20 outside onset..offset 10..15",
            "apex set to 11, the frame of largest motion from onset in 10..15" + no_face,
        ),
        ("CASME2-coding-20140508.xlsx row 11: AU piece '?' in '12+?' is not an AU code", "piece ignored"),
    ]
    assert problems(selected, "sub09_EP03_01") == [
        ("frames 43 of coded 40..44 missing on disk", "kept the 4 frames present")
    ]
    (empty,) = problems(selected, "sub03_EP05_01")
    assert "sub03 is empty" in empty[0] and empty[1] == "dropped"
    (missing,) = problems(selected, "sub06_EP07_01")
    assert "sample folder" in missing[0] and "EP07_01 not found" in missing[0] and missing[1] == "dropped"
    (corrupt,) = problems(selected, "sub07_EP01_01")
    assert "apex frame" in corrupt[0] and "cannot be decoded" in corrupt[0] and corrupt[1] == "dropped"
    assert len(selected.validation) == 8
    assert list(selected.validation.columns) == ["sample", "problem", "action"]


def test_cropped_layout_finds_doubled_folder_and_reports_short_sequence(release):
    result = build_index(
        "casme2", "casme2", release, frames_layout="cropped", missing_apex="motion", **paper_settings("casme2")
    )
    row = result.samples.set_index("sample").loc["sub16_EP01_08"]
    assert [Path(p).name for p in frame_paths(row)] == [f"reg_img{n}.jpg" for n in range(73, 77)]
    assert "/Cropped/Cropped/sub16/" in row["onset_path"]
    assert problems(result, "sub16_EP01_08") == [
        ("frames 77..80 of coded 73..80 missing on disk", "kept the 4 frames present")
    ]


def test_raw_layout_selects_onset_to_offset_from_full_sequences(release):
    result = build_index(
        "casme2", "casme2", release, frames_layout="raw", missing_apex="motion", **paper_settings("casme2")
    )
    row = result.samples.set_index("sample").loc["sub02_EP01_11f"]
    assert [Path(p).name for p in frame_paths(row)] == [f"img{n}.jpg" for n in range(5, 10)]
    assert "/CASME2_RAW/CASME2-RAW/sub02/" in row["apex_path"]


def test_au_column_mixing_ints_floats_and_strings(tmp_path):
    make_casme2(tmp_path, rows=[[1, "EP02_01f", None, 10, 12, 14, None, 4.0, "happiness"]])
    workbook = openpyxl.load_workbook(tmp_path / "CASME2-coding-20140508.xlsx")
    assert isinstance(workbook.active["H2"].value, (int, float))
    row = build_index(
        "casme2", "casme2", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
    ).samples.iloc[0]
    assert row["au_raw"] == "4" and row["AU04"] == 1
