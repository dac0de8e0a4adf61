"""What many tests share and is not a fixture: the schema's settings around a tiny dataset, and
a tiny feature cache's inputs. Import with `from tests.helpers import ...`."""

from pathlib import Path

import numpy as np

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
