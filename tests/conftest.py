import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.helpers import AUS, PREPROCESS, TINY, model_options, train_settings, write_tiny_inputs  # noqa: E402


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """The tiny workflow run once per session, read by the end-to-end tests and the SLURM comparison."""

    from tests.end_to_end.test_workflow import TINY_CONFIG, place_config, snakemake

    workdir = tmp_path_factory.mktemp("workflow")
    place_config(workdir, TINY_CONFIG)
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.fixture(scope="session")
def tiny_clip():
    from microau.model.features import ClipSpec, load_clip

    return load_clip(ClipSpec(TINY, "none"))


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    import torch

    from microau.model.features import ClipSpec, build_cache

    root = tmp_path_factory.mktemp("tiny")
    samples = write_tiny_inputs(root)
    out = root / "features.h5"
    build_cache(
        samples,
        root / "flow",
        root / "landmarks",
        ClipSpec(TINY, "none"),
        2,
        AUS,
        "testhash",
        out,
        torch.device("cpu"),
        "fp32",
    )
    return out


@pytest.fixture(scope="session")
def fold_model(tiny_cache, tmp_path_factory) -> Path:
    """The model.pt of one tiny fold (2 epochs, sub01 held out) trained with the default preprocessing
    settings: what predict, analyse, spot --model, the review pages and the ELAN round trip read."""
    import torch

    from microau.training.run import train_fold
    from microau.training.settings import TrainingJob

    out = tmp_path_factory.mktemp("fold")
    settings = train_settings(epochs=2, batch_size=4, lr_drop_epoch=1)
    job = TrainingJob(settings, model_options(), out, torch.device("cpu"), 0, log=lambda m: None, preprocess=PREPROCESS)
    train_fold(tiny_cache, "sub01", job)
    return out / "model.pt"
