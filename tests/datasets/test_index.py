"""The index stage (`microau.datasets.index`), on a fake CASME II release: apex replacement,
config checks, coding-sheet errors and the `microau index` command."""

from pathlib import Path

import cv2
import pytest

from microau import cli
from microau.datasets.index import DatasetError, build_index, main
from microau.io.sample_table import au_columns, read_rows, read_samples
from tests.fake_releases import (
    CASME2_HEADER,
    CASME2_ROWS,
    make_casme2,
    motion_clip,
    paper_flags,
    paper_settings,
    write_corrupt,
    write_xlsx,
)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return make_casme2(tmp_path_factory.mktemp("casme2"))


def problems(result, sample):
    rows = result.validation[result.validation["sample"] == sample]
    return list(zip(rows["problem"], rows["action"]))


@pytest.fixture(scope="module")
def motion_release(tmp_path_factory) -> Path:
    """One sample coded 1 / 16 with apex '/', whose face moves most at frame 9, and one coded with
    its apex before its onset (as CAS(ME)^3 rows are), moving most at frame 5."""
    rows = [
        [1, "EP02_01f", None, 1, "/", 16, None, "4", "disgust"],
        [2, "EP02_01", None, 1, 0, 12, None, "1+2", "surprise"],
    ]
    root = make_casme2(tmp_path_factory.mktemp("motion"), rows)
    for (subject, filename), count, peak in ((("sub01", "EP02_01f"), 16, 8), (("sub02", "EP02_01"), 12, 4)):
        for index, frame in enumerate(motion_clip(count, peak, seed=count)):
            cv2.imwrite(str(root / "CASME2_RAW_selected" / subject / filename / f"img{index + 1}.jpg"), frame)
    return root


def test_an_unusable_apex_is_the_frame_of_largest_motion(motion_release):
    result = build_index(
        "casme2", "casme2", motion_release, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
    )
    assert result.samples.set_index("sample")["apex"].to_dict() == {"sub01_EP02_01f": 9, "sub02_EP02_01": 5}
    assert problems(result, "sub01_EP02_01f") == [
        (
            "CASME2-coding-20140508.xlsx row 2: apex '/' is not a frame number",
            "apex set to 9, the frame of largest motion from onset in 1..16",
        )
    ]
    assert problems(result, "sub02_EP02_01")[0][0].endswith("apex 0 outside onset..offset 1..12")


def test_midpoint_replaces_an_unusable_apex_when_chosen(motion_release):
    result = build_index(
        "casme2",
        "casme2",
        motion_release,
        frames_layout="selected",
        missing_apex="midpoint",
        **paper_settings("casme2"),
    )
    assert result.samples.set_index("sample")["apex"].to_dict() == {"sub01_EP02_01f": 8, "sub02_EP02_01": 6}
    assert problems(result, "sub01_EP02_01f")[0][1] == "apex set to midpoint 8 of 1..16"


def test_unreadable_frames_are_left_out_of_the_motion_search(motion_release, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(motion_release, root)
    folder = root / "CASME2_RAW_selected" / "sub01" / "EP02_01f"
    write_corrupt(folder / "img9.jpg")
    (folder / "img10.jpg").write_bytes((folder / "img10.jpg").read_bytes()[:500])
    result = build_index(
        "casme2", "casme2", root, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
    )
    action = problems(result, "sub01_EP02_01f")[0][1]
    assert action.startswith("apex set to 8, ") and action.endswith("; unreadable frames 9..10 left out")


def test_custom_aus_class3_and_name(release):
    result = build_index(
        "synthetic",
        "casme2",
        release,
        aus=[10, 4],
        class3={"negative": ["Fear"]},
        frames_layout="selected",
        missing_apex="motion",
    )
    df = result.samples.set_index("sample")
    assert au_columns(result.samples) == ["AU04", "AU10"]
    assert df.loc["sub02_EP01_11f", "AU10"] == 1 and df.loc["sub09_EP03_01", "class3"] == "negative"
    assert set(result.samples["dataset"]) == {"synthetic"}
    unmapped = result.validation[result.validation["problem"].str.contains("three-class mapping")]
    assert (
        set(unmapped["action"]) == {"class3 left empty"} and "datasets.synthetic.class3" in unmapped["problem"].iloc[0]
    )


def test_wrong_root_names_the_config_key(tmp_path):
    with pytest.raises(DatasetError, match=r"does not exist.*\(datasets\.casme2\.root\)"):
        build_index(
            "casme2",
            "casme2",
            tmp_path / "nowhere",
            frames_layout="selected",
            missing_apex="motion",
            **paper_settings("casme2"),
        )


def test_renamed_column_is_a_clear_error(tmp_path):
    header = [("Action Unit" if h == "Action Units" else h) for h in CASME2_HEADER]
    make_casme2(tmp_path)
    write_xlsx(tmp_path / "CASME2-coding-20140508.xlsx", header, CASME2_ROWS)
    with pytest.raises(DatasetError) as err:
        build_index(
            "casme2", "casme2", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
        )
    message = str(err.value)
    assert "CASME2-coding-20140508.xlsx" in message and "'Action Units' not found" in message
    assert "datasets.casme2.root" in message


def test_several_coding_sheets_need_coding_file(tmp_path):
    make_casme2(tmp_path)
    write_xlsx(tmp_path / "extra" / "CASME2-coding-20190701.xlsx", CASME2_HEADER, CASME2_ROWS[:2])
    with pytest.raises(DatasetError, match="several CASME II coding sheets.*datasets.casme2.coding_file"):
        build_index(
            "casme2", "casme2", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
        )
    coding = "extra/CASME2-coding-20190701.xlsx"
    result = build_index(
        "casme2",
        "casme2",
        tmp_path,
        coding_file=coding,
        frames_layout="selected",
        missing_apex="motion",
        **paper_settings("casme2"),
    )
    assert list(result.samples["sample"]) == ["sub01_EP02_01f", "sub01_EP03_02"]


def test_unreadable_coding_file_and_missing_frames_folder(tmp_path):
    make_casme2(tmp_path)
    write_corrupt(tmp_path / "CASME2-coding-20140508.xlsx")
    with pytest.raises(DatasetError, match="cannot read .*CASME2-coding-20140508.xlsx as an .xlsx"):
        build_index(
            "casme2", "casme2", tmp_path, frames_layout="selected", missing_apex="motion", **paper_settings("casme2")
        )
    bare = tmp_path / "bare"
    write_xlsx(bare / "CASME2-coding-20140508.xlsx", CASME2_HEADER, CASME2_ROWS)
    with pytest.raises(DatasetError, match="below a folder named cropped .*frames_layout 'cropped'"):
        build_index(
            "casme2", "casme2", bare, frames_layout="cropped", missing_apex="motion", **paper_settings("casme2")
        )


def test_main_writes_tables_and_summarises(release, tmp_path, capsys):
    out = tmp_path / "index" / "samples.tsv"
    assert (
        main(
            [
                "--reader",
                "casme2",
                "--dataset",
                "casme2",
                "--root",
                str(release),
                "--out",
                str(out),
                "--frames-layout",
                "selected",
                "--missing-apex",
                "motion",
                *paper_flags("casme2"),
            ]
        )
        == 0
    )
    summary = capsys.readouterr().out.strip()
    assert summary.startswith("casme2: 8 samples (positive 2, negative 2, surprise 1, unclassed 3)")
    assert "8 validation rows" in summary
    assert len(read_samples(out)) == 8
    columns, validation = read_rows(out.with_name("validation.tsv"))
    assert len(validation) == 8 and columns == ["sample", "problem", "action"]


@pytest.mark.parametrize(
    "extra, text",
    [
        (["--root", "/definitely/not/here"], "(datasets.mine.root)"),
        (["--aus", "1,two"], "--aus must be comma-separated AU numbers like 1,2,4, got '1,two' (datasets.mine.aus)"),
        (["--class3", "{not json"], "--class3 is not valid JSON"),
        (["--class3", '{"happy": ["happiness"]}'], "class3 class 'happy' is not one of"),
    ],
)
def test_main_errors_are_one_line_and_exit_2(release, tmp_path, capsys, extra, text):
    argv = [
        "index",
        "--reader",
        "casme2",
        "--dataset",
        "mine",
        "--root",
        str(release),
        "--out",
        str(tmp_path / "s.tsv"),
        "--frames-layout",
        "selected",
        "--missing-apex",
        "motion",
        *paper_flags("casme2"),
        *extra,
    ]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("microau index: error: ") and text in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "s.tsv").exists()


def test_main_rejects_unknown_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--reader", "nope", "--dataset", "d", "--root", ".", "--out", "x.tsv"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
