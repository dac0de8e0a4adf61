"""SAMM reader: titled coding sheet, 4/5-digit frame padding, FACS letters and alternatives."""

from pathlib import Path

import pytest

from microau import cli
from microau.datasets.index import DatasetError, build_index, main
from microau.io.sample_table import au_columns, frame_paths, read_samples
from tests.fake_releases import SAMM_HEADER, SAMM_ROWS, make_samm, paper_flags, paper_settings, write_xlsx

# sample -> (onset, apex, offset, AUs on among 2/4/7/12, au_side, au_intensity, class3). The fake
# frames are flat: an apex found by motion is the first frame after the onset (earliest of a tie).
EXPECTED = {
    "006_006_1_2": (5562, 5564, 5567, set(), "R+", "A+A", "negative"),
    "007_007_3_1": (801, 803, 806, {4}, "+L", "", "surprise"),
    "011_011_2_3": (100, 102, 104, {2}, "A+A", "B+C", "negative"),
    "028_028_4_1": (200, 201, 205, {12}, "R+R", "", "positive"),
    "032_032_3_1": (300, 301, 305, {7}, "", "", ""),
    "020_020_1_1": (50, 52, 54, {4}, "", "", ""),
}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return make_samm(tmp_path_factory.mktemp("samm"))


@pytest.fixture(scope="module")
def result(release):
    return build_index(
        "samm", "samm", release, frames_layout="selected", missing_apex="motion", **paper_settings("samm")
    )


def problems(result, sample):
    rows = result.validation[result.validation["sample"] == sample]
    return list(zip(rows["problem"], rows["action"]))


def test_table_rows_match_the_coding_sheet(result):
    df = result.samples
    assert au_columns(df) == ["AU02", "AU04", "AU07", "AU12"]
    assert list(df["sample"]) == list(EXPECTED)
    for _, row in df.iterrows():
        onset, apex, offset, on, side, intensity, class3 = EXPECTED[row["sample"]]
        assert (row["onset"], row["apex"], row["offset"]) == (onset, apex, offset)
        assert {int(c[2:]) for c in au_columns(df) if row[c] == 1} == on
        assert (row["au_side"], row["au_intensity"], row["class3"]) == (side, intensity, class3)
    assert list(df["subject"]) == ["006", "007", "011", "028", "032", "020"]  # int 6 and "007" alike
    assert df["class3"].value_counts().to_dict() == {"negative": 2, "": 2, "surprise": 1, "positive": 1}


def test_frame_padding_is_read_from_the_trailing_integer(result, release):
    df = result.samples.set_index("sample")
    five = frame_paths(df.loc["006_006_1_2"])
    assert five == [str(release / "SAMM" / "006" / "006_1_2" / f"006_{n:05d}.jpg") for n in range(5562, 5568)]
    four = frame_paths(df.loc["007_007_3_1"])
    assert [Path(p).name for p in four] == [f"007_{n:04d}.jpg" for n in range(801, 807)]
    assert df.loc["007_007_3_1", "apex_path"].endswith("007_0803.jpg")


def test_validation_rows(result):
    assert problems(result, "006_006_1_2") == [
        (
            "SAMM_Micro_FACS_Codes_v2.xlsx row 15: AU string 'R14A or 17A' gives alternatives",
            "all alternatives counted as present",
        )
    ]
    assert problems(result, "028_028_4_1") == [
        (
            "SAMM_Micro_FACS_Codes_v2.xlsx row 18: apex 210 outside onset..offset 200..205",
            "apex set to 201, the frame of largest motion from onset in 200..205"
            " (no face detected on the onset frame: motion measured over the whole frame)",
        )
    ]
    ((problem, action),) = problems(result, "032_032_3_1")
    assert problem.endswith("apex 295 outside onset..offset 300..305") and action.startswith("apex set to 301, ")
    ((empty, dropped),) = problems(result, "025_025_1_1")
    assert "SAMM/025 is empty" in empty and dropped == "dropped"
    ((corrupt, dropped),) = problems(result, "026_026_1_1")
    assert "onset frame" in corrupt and "026_0010.jpg cannot be decoded" in corrupt and dropped == "dropped"
    assert len(result.validation) == 5  # "Other" and "Others" are known exclusions, not reported


def test_alternatives_count_every_au(release):
    df = build_index(
        "samm",
        "samm",
        release,
        aus=[14, 17],
        frames_layout="selected",
        missing_apex="motion",
        class3=paper_settings("samm")["class3"],
    ).samples.set_index("sample")
    assert (df.loc["006_006_1_2", "AU14"], df.loc["006_006_1_2", "AU17"]) == (1, 1)


def test_sheet_without_header_row(tmp_path):
    make_samm(tmp_path)
    write_xlsx(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", ["Subj", *SAMM_HEADER[1:]], [], title_rows=13)
    with pytest.raises(
        DatasetError,
        match=r"SAMM_Micro_FACS_Codes_v2.xlsx: no header row starting with 'Subject'.*datasets\.samm\.root",
    ):
        build_index("samm", "samm", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("samm"))


def test_renamed_column_names_file_and_key(tmp_path, capsys):
    make_samm(tmp_path)
    header = [("Onset" if h == "Onset Frame" else h) for h in SAMM_HEADER]
    coding = tmp_path / "elsewhere.xlsx"
    write_xlsx(coding, header, [[6, "006_1_2", 1, 1, 2, 3, 3, "Micro", "4", "Anger", 1, None]], title_rows=13)
    argv = [
        "index",
        "--reader",
        "samm",
        "--dataset",
        "samm",
        "--frames-layout",
        "selected",
        "--root",
        str(tmp_path),
        "--out",
        str(tmp_path / "s.tsv"),
        "--coding-file",
        str(coding),
        "--missing-apex",
        "motion",
        *paper_flags("samm"),
    ]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "elsewhere.xlsx: column(s) 'Onset Frame' not found in the header row (row 14" in err
    assert "(datasets.samm.coding_file)" in err and err.count("\n") == 1


def test_main_on_samm(release, tmp_path, capsys):
    out = tmp_path / "samples.tsv"
    validation = tmp_path / "report" / "v.tsv"
    assert (
        main(
            [
                "--reader",
                "samm",
                "--dataset",
                "samm",
                "--root",
                str(release),
                "--out",
                str(out),
                "--validation",
                str(validation),
                "--frames-layout",
                "selected",
                "--missing-apex",
                "motion",
                *paper_flags("samm"),
            ]
        )
        == 0
    )
    assert "samm: 6 samples (positive 1, negative 2, surprise 1, unclassed 2)" in capsys.readouterr().out
    assert read_samples(out)["subject"].tolist()[0] == "006" and validation.exists()


def test_rows_stay_in_sheet_order(result):
    kept = [f"{int(r[0]):03d}_{r[1]}" for r in SAMM_ROWS]
    assert [s for s in kept if s in EXPECTED] == list(result.samples["sample"])
