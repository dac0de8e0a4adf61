import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TINY = "microau-tiny-ViT"
AUS = [1, 2, 4, 7, 12, 14, 15, 17]


def schema_config() -> dict:
    """The schema's defaults around one dataset of CASME II's AUs: tests take every setting they do
    not vary from here, as the workflow does, so no test repeats a default."""
    from microau.plan.config import config_around

    class3 = {"positive": ["happiness"], "negative": ["disgust", "repression"], "surprise": ["surprise"]}
    return config_around("tiny", {"reader": "casme2", "aus": AUS, "class3": class3})


def train_settings(**changes):
    """TrainSettings of the default variant on the schema's defaults, with `changes` applied."""
    from microau.plan.workflow import train_settings as planned
    from microau.training.settings import TrainSettings

    config = schema_config()
    return TrainSettings(**{**planned(config, "tiny", config["variant"], config["train"]["seed"]), **changes})


def schema_preprocess() -> dict[str, dict]:
    """The schema defaults of the preprocessing sections, as the train rule stores them in model.pt
    (`plan.workflow.preprocess_settings` of the schema's config)."""
    from microau.plan.workflow import preprocess_settings

    return preprocess_settings(schema_config())


PREPROCESS = schema_preprocess()


def model_options(**changes):
    """ModelOptions of the default variant (the full model), with `changes` applied."""
    from microau.model.micro_au_clip import ModelOptions
    from microau.plan.workflow import model_options as planned

    config = schema_config()
    return ModelOptions(**{**planned(config, "tiny", config["variant"]), **changes})


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """The tiny workflow run once per session, read by the end-to-end tests and the SLURM comparison."""

    from test_workflow import TINY_CONFIG, place_config, snakemake

    workdir = tmp_path_factory.mktemp("workflow")
    place_config(workdir, TINY_CONFIG)
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.fixture(scope="session")
def tiny_clip():
    from microau.model.features import ClipSpec, load_clip

    return load_clip(ClipSpec(TINY, "none"))


def write_tiny_inputs(root: Path, subjects=("sub01", "sub02", "sub03"), per_subject=4, seed=0) -> Path:
    """Samples table, flow images and landmarks for a few fake samples (no real motion)."""
    import cv2

    from microau.io.landmarks_csv import write_landmarks
    from microau.io.sample_table import write_rows

    rng = np.random.default_rng(seed)
    (root / "flow").mkdir(parents=True)
    (root / "landmarks").mkdir()
    rows = []
    for subject in subjects:
        for i in range(per_subject):
            sample = f"{subject}_EP0{i}"
            cv2.imwrite(str(root / "flow" / f"{sample}.png"), rng.integers(0, 255, (224, 224, 3), dtype=np.uint8))
            write_landmarks(root / "landmarks" / f"{sample}.csv", rng.uniform(10, 214, (68, 2)))
            labels = {f"AU{au:02d}": int(rng.integers(0, 2)) for au in AUS}
            rows.append(
                {
                    "subject": subject,
                    "sample": sample,
                    "class3": ["positive", "negative", "surprise", ""][i % 4],
                    **labels,
                }
            )
    write_rows(root / "samples.tsv", list(rows[0]), rows)
    return root / "samples.tsv"


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    import torch

    from microau.model.features import ClipSpec, build_cache

    root = tmp_path_factory.mktemp("tiny")
    samples = write_tiny_inputs(root)
    out = root / "features.h5"
    build_cache(
        samples, root / "flow", root / "landmarks", ClipSpec(TINY, "none"), 2, AUS, "testhash", out, torch.device("cpu")
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
