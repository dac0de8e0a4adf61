"""CASME (v1) reader on a fake release in the layout tvaranka/meb's loader reads."""

import pytest

from microau.datasets.index import build_index
from microau.io.sample_table import frame_paths
from tests.fake_releases import make_casme, paper_settings


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return make_casme(tmp_path_factory.mktemp("casme"))


@pytest.mark.parametrize("layout, prefix", [("selected", "CASME_raw_selected"), ("cropped", "Cropped")])
def test_rows_frames_and_classes(release, layout, prefix):
    result = build_index(
        "casme", "casme", release, frames_layout=layout, missing_apex="midpoint", **paper_settings("casme")
    )
    df = result.samples.set_index("sample")
    assert list(df.index) == ["sub01_EP03_2", "sub01_EP05_5", "sub02_EP06_1", "sub04_EP12_2"]
    assert list(df["class3"]) == ["surprise", "negative", "", "positive"]
    assert (df.loc["sub01_EP03_2", ["AU01", "AU02", "AU04"]] == [1, 1, 0]).all()
    assert df.loc["sub04_EP12_2", "au_side"] == "L"
    assert frame_paths(df.loc["sub01_EP05_5"])[0].endswith(
        f"{prefix}/sub01/EP05_5/{'reg_' if layout == 'cropped' else ''}img40.jpg"
    )
    # the apex after the offset is replaced and reported; 'tense' falls outside the three classes unreported
    assert df.loc["sub02_EP06_1", "apex"] == 109
    assert list(result.validation["sample"]) == ["sub02_EP06_1"]
