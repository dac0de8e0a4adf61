"""4DME reader on a fake release in the layout tvaranka/meb's loader reads."""

import pytest

from microau.datasets.index import build_index
from microau.io.sample_table import frame_paths
from tests.fake_releases import make_fourd, paper_settings


@pytest.mark.parametrize("layout, top", [("selected", "gray_micro"), ("cropped", "gray_micro_crop")])
def test_rows_frames_and_k_aus(tmp_path, layout, top):
    release = make_fourd(tmp_path)
    result = build_index(
        "fourd", "fourd", release, frames_layout=layout, missing_apex="motion", **paper_settings("fourd")
    )
    df = result.samples.set_index("sample")
    assert list(df.index) == ["S01_S01_1", "S01_S01_2", "S03_S03_1"]
    assert list(df["class3"]) == ["surprise", "positive", "negative"]
    assert frame_paths(df.loc["S03_S03_1"])[0] == str(release / "4DMicro" / top / "S03/S03_1/5.jpg")
    # AU4(k) is left off and reported, as MEB sets (k) AUs off
    assert (df.loc["S01_S01_2", ["AU12", "AU04"]] == [1, 0]).all()
    rows = dict(zip(result.validation["sample"], result.validation["problem"]))
    assert (
        rows["S01_S01_2"]
        == "4DME_Labelling_Micro_release v1.xlsx row 3: AU piece 'AU4(k)' in 'AU12+AU4(k)' is not an AU code"
    )
    assert rows["S04_S04_1"] == "subject folder S04 not found"
