"""Reader `table` on clips built from a real photograph (skimage's astronaut): videos and frame
folders, planted bad rows, one decode per video, and the whole workflow on the generator's table."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import microau.preprocess.video
from microau.datasets import DatasetError, build_index
from microau.datasets.index import main as index_main
from microau.preprocess.images import read_image
from tests.inference.test_analyse import astronaut_clip, write_folder, write_video

LAB = {
    "aus": [1, 2, 4, 7, 12, 14, 15, 17],
    "class3": {
        "positive": ["happiness", "happy"],
        "negative": ["disgust", "repression", "anger", "contempt", "fear", "sadness", "sad"],
        "surprise": ["surprise"],
    },
}
"""A lab's own dataset has no paper settings: its config entry names its AUs and classes."""
HEADER = "Subject,Clip,Onset,Apex,Offset,AU,Emotion,fps\n"
ROWS = """\
p1,videos/p1.avi,1,8,11,1+2,surprise,25
p1,videos/p1.avi,12,,22,R12,happiness,
p2,frames/p2a,1,7,11,4+L7,disgust,
p2,videos/missing.avi,1,3,5,1,surprise,
p2,videos/bad.avi,1,3,5,1,surprise,
p3,videos/p1.avi,9,5,3,2,surprise,
p3,videos/p1.avi,2,4,6,2+AU99,others,
p3,videos/p1.avi,15,18,40,1,surprise,30
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Path:
    """A table over one video holding two expressions, a frame folder and planted bad rows."""
    root = tmp_path_factory.mktemp("lab")
    frames = astronaut_clip(11, 7)
    write_video(root / "videos" / "p1.avi", frames + frames)
    write_folder(root / "frames" / "p2a", frames)
    (root / "videos" / "bad.avi").write_bytes(b"not a video" * 100)
    (root / "codes.csv").write_text(HEADER + ROWS)
    return root


def index(root, tmp_path, **options):
    options = {"first_frame": 1, **LAB, **options}
    return build_index(
        "lab", "table", root, frames_layout="selected", missing_apex="motion", clips_dir=tmp_path / "clips", **options
    )


def problems(result, sample):
    return [f"{r.problem} -> {r.action}" for r in result.validation.itertuples() if r.sample == sample]


def test_good_rows_of_videos_and_folders_become_samples(lab, tmp_path):
    result = index(lab, tmp_path)
    samples = result.samples.set_index("sample")
    assert list(samples.index) == ["p1_p1_1", "p1_p1_12", "p2_p2a_1", "p3_p1_2", "p3_p1_15"]
    first = samples.loc["p1_p1_1"]
    assert (first.onset, first.apex, first.offset, first.AU01, first.AU02, first.class3) == (1, 8, 11, 1, 1, "surprise")
    # frame 1 (first_frame 1) is the video's first decoded frame; frame 8 its eighth
    video = [frame for _, frame in microau.preprocess.video.video_frames(lab / "videos" / "p1.avi")]
    assert np.array_equal(read_image(first.onset_path), video[0]) and np.array_equal(
        read_image(first.apex_path), video[7]
    )
    assert Path(first.onset_path).is_absolute()
    # a frame folder is read as the releases are: its numbers are the file names'
    folder = samples.loc["p2_p2a_1"]
    assert folder.apex_path == str(lab / "frames" / "p2a" / "img7.png") and len(folder.frames.split(";")) == 11
    assert (folder.AU04, folder.AU07, folder.au_side) == (1, 1, "+L")


def test_planted_bad_rows_are_validation_rows(lab, tmp_path):
    result = index(lab, tmp_path)
    assert problems(result, "p2_missing_1") == ["codes.csv row 5: clip videos/missing.avi not found -> dropped"]
    assert problems(result, "p2_bad_1") == [
        "codes.csv row 6: video videos/bad.avi cannot be decoded (no frame OpenCV reads) -> dropped"
    ]
    assert problems(result, "p3_p1_9") == [
        "codes.csv row 7: offset '3' is missing or before onset 9, and apex '5' cannot replace it -> dropped"
    ]
    assert problems(result, "p3_p1_2") == [
        "codes.csv row 8: AU piece 'AU99' in '2+AU99' is not an AU code -> piece ignored"
    ]
    assert problems(result, "p3_p1_15") == [
        "codes.csv row 9: fps 30 in the table but 25 in p1.avi -> kept; frame numbers are read as the video's "
        "decoded frames",
        "codes.csv row 9: offset 40 is beyond the 22 frames of videos/p1.avi -> offset set to the last frame 22",
    ]


def test_a_missing_apex_is_found_by_motion_in_the_video(lab, tmp_path):
    # the second expression of p1.avi peaks at its 8th frame: frame 19 counted from 1
    result = index(lab, tmp_path)
    assert result.samples.set_index("sample").loc["p1_p1_12", "apex"] == 19
    assert problems(result, "p1_p1_12") == [
        "codes.csv row 3: apex '' is not a frame number -> apex set to 19, the frame of largest motion from onset "
        "in 12..22"
    ]


def test_each_video_is_decoded_once_for_all_its_samples(lab, tmp_path, monkeypatch):
    opened = []
    original = microau.preprocess.video.video_frames

    def counting(path):
        opened.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(microau.preprocess.video, "video_frames", counting)
    index(lab, tmp_path)
    assert sorted(opened) == ["bad.avi", "p1.avi"]


def test_counting_from_zero_names_the_same_frames(lab, tmp_path):
    zero = tmp_path / "zero"
    zero.mkdir()
    shifted = "".join(
        ",".join(cells[:2] + [str(int(c) - 1) if c else "" for c in cells[2:5]] + cells[5:]) + "\n"
        for cells in (line.split(",") for line in ROWS.splitlines()[:2])
    )
    (zero / "codes.csv").write_text(
        HEADER.replace("fps", "first_frame") + shifted.replace(",25\n", ",0\n").replace(",\n", ",0\n")
    )
    (zero / "videos").symlink_to(lab / "videos")
    from_zero = index(zero, tmp_path / "a", first_frame=None).samples
    from_one = index(lab, tmp_path / "b").samples
    for a, b in zip(from_zero.itertuples(), from_one.itertuples()):
        assert (a.onset + 1, a.apex + 1) == (b.onset, b.apex)
        assert np.array_equal(read_image(a.apex_path), read_image(b.apex_path))


def test_the_table_must_say_how_frames_are_counted(lab, tmp_path):
    with pytest.raises(DatasetError, match=r"no first_frame column.*datasets\.lab\.first_frame"):
        index(lab, tmp_path, first_frame=None)


def test_table_errors_name_the_config_key(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER)
    (tmp_path / "b.tsv").write_text("subject\tclip\n")
    with pytest.raises(DatasetError, match=r"exactly one .csv or .tsv table, found a.csv, b.tsv.*coding_file"):
        index(tmp_path, tmp_path)
    with pytest.raises(DatasetError, match=r"no column for onset, offset, au .*datasets\.lab\.root"):
        index(tmp_path, tmp_path, coding_file="b.tsv")


def test_ids_are_made_safe_for_file_names(lab, tmp_path):
    root = tmp_path / "odd"
    root.mkdir()
    (root / "videos").symlink_to(lab / "videos")
    (root / "codes.tsv").write_text("subject\tclip\tonset\tapex\toffset\tau\nP 1/x\tvideos/p1.avi\t1\t8\t11\t12\n")
    result = index(root, tmp_path)
    assert list(result.samples["sample"]) == ["P-1-x_p1_1"] and list(result.samples["subject"]) == ["P-1-x"]
    assert "subject id written 'P-1-x'" in "".join(result.validation["action"])


def test_main_writes_the_clips_folder(lab, tmp_path, capsys):
    out = tmp_path / "index" / "samples.tsv"
    index_main(
        [
            "--reader",
            "table",
            "--dataset",
            "lab",
            "--root",
            str(lab),
            "--first-frame",
            "1",
            "--out",
            str(out),
            "--frames-layout",
            "selected",
            "--missing-apex",
            "midpoint",
            "--aus",
            "1,2,4,12",
            "--class3",
            json.dumps(LAB["class3"]),
        ]
    )
    assert "lab: 5 samples" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "index" / "clips").iterdir()) == [
        "p1_p1_1",
        "p1_p1_12",
        "p3_p1_15",
        "p3_p1_2",
    ]
    assert pd.read_csv(out, sep="\t").set_index("sample").loc["p1_p1_12", "apex"] == 17  # midpoint of 12..22


@pytest.mark.slow
def test_workflow_on_a_generated_table_of_videos(tmp_path):
    from tests.end_to_end.test_workflow import REPO, place_config, snakemake, table_rows

    place_config(tmp_path, REPO / "tests" / "data" / "table_config.yaml")
    result = snakemake(tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    results = tmp_path / "results"
    assert pd.read_csv(results / "index" / "lab" / "validation.tsv", sep="\t").empty
    samples = pd.read_csv(results / "index" / "lab" / "samples.tsv", sep="\t")
    assert len(samples) == 12 and all("/clips/" in path for path in samples["apex_path"])
    rows = {r["au"]: r for r in table_rows(results / "lab_table.csv")}
    assert {"AU01", "AU12", "mean", "baseline"} <= set(rows)
    assert {r["metric"] for r in table_rows(results / "lab_mer_table.csv")} >= {"f1_macro", "uar"}


def test_a_row_of_typos_only_is_dropped_once_and_a_clash_of_names_keeps_both(tmp_path):
    frames = astronaut_clip(11, 7)
    for participant in ("p1", "p2"):
        write_video(tmp_path / "videos" / participant / "interview.avi", frames + frames)
    write_video(tmp_path / "videos" / "p1" / "day2" / "interview.avi", frames + frames)
    (tmp_path / "codes.csv").write_bytes(
        (
            "\ufeffsubject,clip,onset,apex,offset,au,emotion,notes\r\n"
            'p1,videos/p1/interview.avi,1,8,11,AU99,surprise,"typed, badly"\r\n'
            "p1,videos/p1/interview.avi,12,15,22,1+2,surprise,\r\n"
            "p2,videos/p2/interview.avi,12,15,22,1+2,surprise,\r\n"
            "p1,videos/p1/day2/interview.avi,12,15,22,4,disgust,\r\n"
            "p2,videos/p2/interview.avi,12,16,21,1,surprise,\r\n"
        ).encode()
    )
    result = index(tmp_path, tmp_path)
    assert list(result.samples["sample"]) == [
        "p1_videos-p1-interview_12",
        "p2_interview_12",
        "p1_videos-p1-day2-interview_12",
    ]
    assert list(result.samples["source"]) == ["codes.csv row 3", "codes.csv row 4", "codes.csv row 5"]
    assert [f"{r.problem} -> {r.action}" for r in result.validation.itertuples()] == [
        "codes.csv row 6: sample p2_interview_12 coded twice (first in codes.csv row 4) -> dropped; the first row "
        "is kept",
        "codes.csv row 2: no AU code in 'AU99' is readable (none is a FACS code) -> dropped",
    ]


def test_an_imports_report_beside_the_table_joins_the_index_report(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    (study / "codes_validation.tsv").write_text(
        "file\twhere\ttime\tproblem\taction\nelan/p09.eaf\t\t\tno linked video found\tfile skipped\n"
    )
    (study / "codes.csv").write_text(HEADER + "p1,videos/none.avi,1,8,11,1+2,surprise,25\n")
    result = index(study, tmp_path)
    assert [f"{r.problem} -> {r.action}" for r in result.validation.itertuples()] == [
        "codes_validation.tsv: elan/p09.eaf: no linked video found -> file skipped",
        "codes.csv row 2: clip videos/none.avi not found -> dropped",
    ]
