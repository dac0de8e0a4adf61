"""MMEW reader on a fake release in the layout tvaranka/meb's loader reads (emotion folders)."""

from microau.datasets.index import build_index
from microau.io.sample_table import frame_paths
from tests.fake_releases import make_mmew, paper_settings


def test_samples_are_found_under_their_emotion_folder(tmp_path):
    release = make_mmew(tmp_path)
    result = build_index(
        "mmew", "mmew", release, frames_layout="selected", missing_apex="midpoint", **paper_settings("mmew")
    )
    df = result.samples.set_index("sample")
    assert list(df.index) == ["S01_happiness_1_1", "S01_surprise_1_2", "S02_disgust_2_1"]
    assert list(df["subject"]) == ["S01", "S01", "S02"]
    assert list(df["class3"]) == ["positive", "surprise", "negative"]
    assert frame_paths(df.loc["S01_happiness_1_1"])[0] == str(
        release / "MMEW/Micro_Expression/Happiness/happiness_1_1/5.jpg"
    )
    assert (df.loc["S01_happiness_1_1", ["AU12", "AU01"]] == [1, 0]).all()
    rows = dict(zip(result.validation["sample"], result.validation["problem"]))
    assert rows["S02_fear_2_1"] == "emotion folder fear not found"
    assert rows["S02_disgust_2_1"].endswith("apex 14 outside onset..offset 10..12")
