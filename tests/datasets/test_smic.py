"""SMIC reader (emotion only, from its folders) on a fake release in the layout MEB reads."""

import pytest

from microau.datasets.index import DatasetError, build_index
from microau.io.sample_table import au_columns
from tests.fake_releases import make_smic, paper_settings


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return make_smic(tmp_path_factory.mktemp("smic"))


def test_each_clip_folder_is_a_sample_with_its_emotion(release, tmp_path):
    result = build_index(
        "smic",
        "smic",
        release,
        frames_layout="hs",
        missing_apex="midpoint",
        clips_dir=tmp_path,
        **paper_settings("smic"),
    )
    df = result.samples.set_index("sample")
    assert list(df.index) == ["s1_s1_po_01", "s1_s1_sur_01", "s2_s2_ne_03"]
    assert list(df["class3"]) == ["positive", "surprise", "negative"]
    assert (df.loc["s1_s1_po_01", ["onset", "apex", "offset"]] == [100, 105, 110]).all()
    assert df[au_columns(result.samples)].to_numpy().sum() == 0
    # one row per sample for its apex, none for the AUs the release does not code
    assert list(result.validation["action"].str.startswith("apex set to midpoint")) == [True] * 3


def test_cameras_and_errors(release, tmp_path):
    vis = build_index(
        "smic",
        "smic",
        release,
        frames_layout="vis",
        missing_apex="motion",
        clips_dir=tmp_path,
        **paper_settings("smic"),
    )
    assert list(vis.samples["sample"]) == ["s1_s1_ne_01"]
    with pytest.raises(DatasetError, match=r"not a SMIC camera; choose one of hs, vis, nir"):
        build_index(
            "smic",
            "smic",
            release,
            frames_layout="selected",
            missing_apex="motion",
            clips_dir=tmp_path,
            **paper_settings("smic"),
        )
    with pytest.raises(DatasetError, match=r"need one SMIC HS folder"):
        build_index(
            "smic",
            "smic",
            tmp_path,
            frames_layout="hs",
            missing_apex="motion",
            clips_dir=tmp_path,
            **paper_settings("smic"),
        )
