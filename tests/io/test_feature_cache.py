"""The feature cache: its HDF5 layout, and a cache written then read is the same cache."""

import json
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np
import pytest

from microau.io.feature_cache import FeatureCache, FeatureCacheError, cache_geometry, read_cache, write_cache
from microau.version import __version__


def small_cache() -> FeatureCache:
    rng = np.random.default_rng(0)
    au_tokens = rng.integers(1, 50, (3, 2, 4))
    au_tokens[:, :, 3] = -1
    return FeatureCache(
        tokens=rng.standard_normal((3, 50, 8)).astype(np.float16),
        au_tokens=au_tokens,
        labels=np.array([[1, 0], [0, 0], [1, 1]], dtype=np.uint8),
        subjects=["006", "006", "007"],
        samples=["006_1", "006_2", "007_1"],
        class3=["positive", "", "surprise"],
        encoder="microau-tiny-ViT",
        pretrained="none",
        weights="none (random init, torch seed 0)",
        k=2,
        aus=[1, 12],
        grid=(7, 7),
        image_size=224,
        config_hash="abc123",
    )


def test_a_cache_round_trips(tmp_path: Path) -> None:
    cache = small_cache()
    path = tmp_path / "features" / "tiny.h5"
    write_cache(path, cache)
    back = read_cache(path)
    for key, value in asdict(cache).items():
        read = getattr(back, key)
        if isinstance(value, np.ndarray):
            assert read.dtype == value.dtype and np.array_equal(read, value), key
        else:
            assert read == value, key
    assert cache_geometry(path) == ((7, 7), 224)
    assert [p.name for p in path.parent.iterdir()] == ["tiny.h5"]


def test_the_file_has_the_documented_layout(tmp_path: Path) -> None:
    write_cache(tmp_path / "c.h5", small_cache())
    with h5py.File(tmp_path / "c.h5") as h5:
        assert list(h5) == ["au_tokens", "class3", "labels", "sample", "subject", "tokens"]
        assert (h5["tokens"].dtype, h5["au_tokens"].dtype, h5["labels"].dtype) == (np.float16, np.int64, np.uint8)
        assert h5["subject"][0].decode() == "006"
        assert json.loads(h5.attrs["aus"]) == [1, 12] and json.loads(h5.attrs["grid"]) == [7, 7]
        assert h5.attrs["microau_version"] == __version__ and h5.attrs["k"] == 2


def test_an_hdf5_file_that_is_not_a_cache_is_one_error_naming_what_it_lacks(tmp_path: Path) -> None:
    write_cache(tmp_path / "c.h5", small_cache())
    with h5py.File(tmp_path / "c.h5", "a") as h5:
        del h5["labels"]
        del h5.attrs["grid"]
    with pytest.raises(
        FeatureCacheError,
        match=r"c.h5 is not a feature cache written by `microau features` "
        r"\(lacks labels, grid\)",
    ):
        read_cache(tmp_path / "c.h5")
    with pytest.raises(FeatureCacheError, match=r"\(lacks grid\)"):
        cache_geometry(tmp_path / "c.h5")
