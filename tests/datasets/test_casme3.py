"""CAS(ME)^3 Part A reader: string-only label sheet, spNO/spNo folders, broken rows."""

import json
from pathlib import Path

import pytest

from microau.datasets.index import DatasetError, build_index, main
from microau.io.sample_table import au_columns, frame_paths
from tests.fake_releases import CASME3_HEADER, CASME3_SHEET, make_casme3, paper_settings, write_xlsx

# sample -> (onset, apex, offset, AUs on, au_side, emotion, class3). The fake frames are flat: an
# apex found by motion is the first frame after the onset (the earliest of a tie).
EXPECTED = {
    "spNO.1_a": (1, 3, 6, {1, 2}, "L+L", "happy", "positive"),
    "spNO.1_b": (10, 12, 14, {4, 7}, "", "disgust", "negative"),
    "spNO.2_c": (5, 7, 9, {12}, "", "Others", ""),
    "spNO.149_d": (20, 21, 25, {14}, "", "anger", "negative"),
    "spNO.216_d": (40, 41, 45, {15}, "", "sad", "negative"),
    "spNO.40_e": (5, 8, 8, {17}, "", "fear", "negative"),
    "spNO.3_a": (1, 2, 4, {4}, "", "surprise", "surprise"),
    "spNO.3_b": (1, 2, 4, {1}, "", "others", ""),
}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return make_casme3(tmp_path_factory.mktemp("casme3"))


@pytest.fixture(scope="module")
def result(release):
    return build_index(
        "casme3", "casme3", release, frames_layout="selected", missing_apex="motion", **paper_settings("casme3")
    )


def test_table_rows_match_the_label_sheet(result):
    df = result.samples
    assert au_columns(df) == ["AU01", "AU02", "AU04", "AU07", "AU12", "AU14", "AU15", "AU17"]
    assert list(df["sample"]) == list(EXPECTED)
    for _, row in df.iterrows():
        onset, apex, offset, on, side, emotion, class3 = EXPECTED[row["sample"]]
        assert (row["onset"], row["apex"], row["offset"]) == (onset, apex, offset)
        assert {int(c[2:]) for c in au_columns(df) if row[c] == 1} == on
        assert (row["au_side"], row["emotion"], row["class3"]) == (side, emotion, class3)
    assert df["class3"].value_counts().to_dict() == {"negative": 4, "": 2, "positive": 1, "surprise": 1}


def test_colour_frames_in_either_folder_spelling(result, release):
    df = result.samples.set_index("sample")
    assert df.loc["spNO.2_c", "subject"] == "spNO.2"
    assert frame_paths(df.loc["spNO.2_c"]) == [
        str(release / "data/part_A/spNo.2/c/color" / f"{n}.jpg") for n in range(5, 10)
    ]
    assert all("/color/" in p for p in frame_paths(df.loc["spNO.1_a"]))


def test_broken_rows_get_validation_actions(result):
    rows = {s: (p, a) for s, p, a in result.validation.itertuples(index=False)}
    assert len(result.validation) == 3
    assert rows["spNO.149_d"] == (
        "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx row 5: apex 15 outside onset..offset 20..25",
        "apex set to 21, the frame of largest motion from onset in 20..25"
        " (no face detected on the onset frame: motion measured over the whole frame)",
    )
    assert rows["spNO.216_d"][1].startswith("apex set to 41, ")
    assert rows["spNO.40_e"] == (
        "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx row 7: offset '0' is missing or before onset 5",
        "offset set to apex 8",
    )


def test_custom_mapping_through_main(release, tmp_path, capsys):
    mapping = {"positive": ["HAPPY"], "negative": ["disgust"], "surprise": ["surprise"]}
    argv = [
        "--reader",
        "casme3",
        "--dataset",
        "casme3",
        "--frames-layout",
        "selected",
        "--root",
        str(release),
        "--out",
        str(tmp_path / "s.tsv"),
        "--class3",
        json.dumps(mapping),
        "--aus",
        "4,7",
        "--missing-apex",
        "midpoint",
    ]
    assert main(argv) == 0
    assert "casme3: 8 samples (positive 1, negative 1, surprise 1, unclassed 5)" in capsys.readouterr().out
    validation = build_index(
        "casme3",
        "casme3",
        release,
        class3=mapping,
        frames_layout="selected",
        missing_apex="motion",
        aus=paper_settings("casme3")["aus"],
    ).validation
    assert (validation["action"] == "class3 left empty").sum() == 3  # anger, sad, fear now unmapped


def test_cropped_layout_does_not_exist_here(release):
    with pytest.raises(DatasetError, match=r"frames_layout 'cropped' is not available.*datasets\.c3\.frames_layout"):
        build_index("c3", "casme3", release, frames_layout="cropped", missing_apex="motion", **paper_settings("casme3"))


def test_missing_label_sheet(release, tmp_path):
    (tmp_path / "data").symlink_to(release / "data")
    with pytest.raises(
        DatasetError, match=r"no CAS\(ME\)\^3 Part A coding sheet .*datasets\.casme3\.root.*coding_file"
    ):
        build_index(
            "casme3", "casme3", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("casme3")
        )
    result = build_index(
        "casme3",
        "casme3",
        tmp_path,
        coding_file=release / CASME3_SHEET,
        frames_layout="selected",
        missing_apex="motion",
        **paper_settings("casme3"),
    )
    assert len(result.samples) == 8


def test_unusable_rows_are_dropped_with_reasons(tmp_path):
    make_casme3(tmp_path)
    broken = [
        ["spNO.1", "a", "x", "3", "6", "1", "1", "happy"],  # onset not a number
        ["spNO.1", "b", "10", "", "", "4", "2", "disgust"],  # neither offset nor apex
        ["spNO.99", "a", "1", "2", "3", "4", "2", "disgust"],  # no such subject folder
        ["spNO.3", "a", "1", "2", "4", "4", "6", "surprise"],
        ["spNO.3", "a", "1", "2", "4", "4", "6", "surprise"],  # coded twice
        ["", "", "", "", "", "", "", "note: rows below were re-coded"],  # stray text row
    ]
    write_xlsx(tmp_path / CASME3_SHEET, CASME3_HEADER, broken, sheet="label")
    result = build_index(
        "casme3", "casme3", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("casme3")
    )
    assert list(result.samples["sample"]) == ["spNO.3_a"]
    rows = list(result.validation.itertuples(index=False))
    assert [(r.sample, r.action) for r in rows] == [
        ("spNO.1_a", "dropped"),
        ("spNO.1_b", "dropped"),
        ("spNO.99_a", "dropped"),
        ("spNO.3_a", "dropped; the first row is kept"),
        ("", "dropped"),
    ]
    assert "onset 'x' is not a frame number" in rows[0].problem
    assert "offset '' is missing or before onset 10, and apex '' cannot replace it" in rows[1].problem
    assert rows[2].problem == "subject folder spNO.99 not found"
    assert "row 7: subject '' / filename '' unreadable" in rows[4].problem
