from pathlib import Path

import pytest

from microau.datasets.long_index import main
from microau.datasets.long_release import read_long_release
from microau.datasets.release import DatasetError
from microau.io.intervals import Interval, read_intervals
from microau.io.video_table import read_videos
from tests.fake_releases import make_casme_sq, make_samm_lv


def test_casme_sq_release(tmp_path):
    release = read_long_release("casme_sq", make_casme_sq(tmp_path / "CAS(ME)^2"))
    videos = {v.video: v for v in release.videos}
    assert sorted(videos) == ["s15_0101", "s15_0401", "s16_0502"]
    assert videos["s15_0101"].fps == 30 and videos["s15_0101"].frames == 70
    assert Path(videos["s15_0101"].source).name == "15_0101disgustingteeth"
    assert release.truth == [
        Interval("s15_0101", "s15", "micro", 9, 11, 13, "disgust"),
        Interval("s15_0101", "s15", "macro", 29, 39, 59, "disgust"),
        Interval("s15_0401", "s15", "micro", 4, 7, 7, "anger"),  # offset 0: the apex ends it
        Interval("s16_0502", "s16", "micro", 19, 21, 24, "happy"),
    ]
    assert [s["video"] for s in release.skipped] == ["s19/19_0401"]


def test_samm_lv_release(tmp_path):
    release = read_long_release("samm_lv", make_samm_lv(tmp_path / "SAMM"))
    assert [(v.video, v.subject, v.fps, v.frames) for v in release.videos] == [
        ("006_1", "006", 200.0, 700),
        ("007_3", "007", 200.0, 60),
    ]
    assert release.truth == [
        Interval("006_1", "006", "micro", 100, 104, 109),
        Interval("006_1", "006", "macro", 299, 339, 499),
        Interval("006_1", "006", "micro", 599, 609, 609),
        Interval("007_3", "007", "micro", 19, -1, 39),
    ]
    assert [s["video"] for s in release.skipped] == ["011_2"]


def test_spot_index_writes_videos_and_truth(tmp_path, capsys):
    root = make_samm_lv(tmp_path / "SAMM")
    assert main(["--reader", "samm_lv", "--root", str(root), "--out-dir", str(tmp_path / "out")]) == 0
    assert "2 videos, 3 micro, 1 macro expressions, 1 rows skipped" in capsys.readouterr().out
    assert [v.video for v in read_videos(tmp_path / "out" / "videos.tsv")] == ["006_1", "007_3"]
    assert len(read_intervals(tmp_path / "out" / "truth.csv")) == 4


def test_missing_sheet_is_named(tmp_path):
    (tmp_path / "rawpic").mkdir()
    with pytest.raises(DatasetError, match=r"CAS\(ME\)\^2code_final"):
        read_long_release("casme_sq", tmp_path)


def test_synthetic_long_truth_takes_each_expression_emotion_from_the_record(tmp_path):
    import json

    (tmp_path / "truth.csv").write_text(
        "video,subject,kind,onset,apex,offset\ns01,s01,micro,10,15,20\n"
    )  # written before emotions
    record = {
        "videos": [
            {
                "subject": "s01",
                "fps": 30,
                "frames": 300,
                "expressions": [{"onset": 10, "offset": 20, "emotion": "disgust"}],
            }
        ]
    }
    (tmp_path / "synthesis.json").write_text(json.dumps(record))
    release = read_long_release("synthetic_long", tmp_path)
    assert release.truth == [Interval("s01", "s01", "micro", 10, 15, 20, "disgust")]


def test_samm_lv_keeps_the_emotion_of_a_sheet_that_has_one(tmp_path, monkeypatch):
    from tests import fake_releases

    monkeypatch.setattr(fake_releases, "SAMM_LV_HEADER", [*fake_releases.SAMM_LV_HEADER, "Estimated Emotion"])
    monkeypatch.setattr(fake_releases, "SAMM_LV_ROWS", [[*row, "Happiness"] for row in fake_releases.SAMM_LV_ROWS])
    release = read_long_release("samm_lv", fake_releases.make_samm_lv(tmp_path / "SAMM"))
    assert {i.emotion for i in release.truth} == {"happiness"}
