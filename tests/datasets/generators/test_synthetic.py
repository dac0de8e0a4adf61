"""The synthetic release: layout, coding sheet, AU rules, determinism, and motion that is really there."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from openpyxl import load_workbook

from microau.datasets.generators import synthetic
from microau.datasets.generators.synthetic import (
    CODING_COLUMNS,
    CODING_FILE,
    EMOTION_AU_SETS,
    FRAMES_DIR,
    TRUTH_FILE,
    Sample,
    SynthesisError,
    plan_samples,
    sample_displacement,
    synthesize,
)
from microau.preprocess.flow import Tvl1, crop_flow
from tests.fake_releases import SHIPPED_CONFIG, paper_flags
from tests.helpers import schema_config

SUBJECTS, PER_SUBJECT = 2, 3


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic") / "release"
    synthesize(root, seed=0, subjects=SUBJECTS, per_subject=PER_SUBJECT)
    return root


@pytest.fixture(scope="module")
def truth(release: Path) -> dict:
    return json.loads((release / TRUTH_FILE).read_text())


def frame_path(root: Path, sample: dict, number: int) -> Path:
    return root / FRAMES_DIR / f"sub{sample['subject']:02d}" / sample["filename"] / f"img{number}.jpg"


def as_sample(record: dict) -> Sample:
    fields = dict(record)
    fields["amplitude_px"] = {int(k): v for k, v in record["amplitude_px"].items()}
    fields["sigma_px"] = {int(k): v for k, v in record["sigma_px"].items()}
    return Sample(**fields)


def test_layout_and_frames(release: Path, truth: dict) -> None:
    assert len(truth["samples"]) == SUBJECTS * PER_SUBJECT
    for sample in truth["samples"]:
        folder = release / FRAMES_DIR / f"sub{sample['subject']:02d}" / sample["filename"]
        numbers = sorted(int(p.stem[3:]) for p in folder.glob("img*.jpg"))
        assert numbers == list(range(sample["onset"], sample["offset"] + 1))
        assert 15 <= len(numbers) <= 30
        assert sample["onset"] < sample["apex"] < sample["offset"]
        assert 20 <= sample["onset"] <= 300
    first = truth["samples"][0]
    image = cv2.imread(str(frame_path(release, first, first["onset"])))
    assert image.shape == (480, 640, 3)


def test_coding_sheet_has_exactly_the_casme2_columns(release: Path, truth: dict) -> None:
    book = load_workbook(release / CODING_FILE)
    assert book.sheetnames == ["Sheet1"]
    rows = list(book["Sheet1"].iter_rows(values_only=True))
    assert rows[0] == CODING_COLUMNS
    assert all(len(row) == 9 for row in rows)
    assert len(rows) == 1 + len(truth["samples"])
    for row, sample in zip(rows[1:], truth["samples"]):
        subject, filename, blank1, onset, apex, offset, blank2, aus, emotion = row
        assert (subject, filename, onset, apex, offset) == (
            sample["subject"],
            sample["filename"],
            sample["onset"],
            sample["apex"],
            sample["offset"],
        )
        assert blank1 is None and blank2 is None
        assert isinstance(subject, int) and emotion == emotion.lower()
        assert aus == sample["action_units"]


def test_au_sets_follow_the_emotions_and_cover_every_au() -> None:
    samples = plan_samples(0, 8, 12)
    for sample in samples:
        assert tuple(sample.aus) in EMOTION_AU_SETS[sample.emotion]
        codes = sample.action_units.split("+")
        assert [int(code.lstrip("LR")) for code in codes] == sample.aus
    counts = Counter(au for sample in samples for au in sample.aus)
    assert all(counts[au] >= 3 for au in (1, 2, 4, 7, 12, 14, 15, 17))
    emotions = Counter(sample.emotion for sample in samples)
    assert emotions.most_common(1)[0][0] == "others"
    assert set(emotions) == set(EMOTION_AU_SETS)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, release: Path, truth: dict) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    synthesize(again, seed=0, subjects=SUBJECTS, per_subject=PER_SUBJECT)
    synthesize(other, seed=1, subjects=SUBJECTS, per_subject=PER_SUBJECT)
    sample = truth["samples"][-1]
    files = [CODING_FILE, TRUTH_FILE, frame_path(release, sample, sample["apex"]).relative_to(release)]
    for name in files:
        assert (release / name).read_bytes() == (again / name).read_bytes(), name
    assert (release / CODING_FILE).read_bytes() != (other / CODING_FILE).read_bytes()
    assert (release / TRUTH_FILE).read_bytes() != (other / TRUTH_FILE).read_bytes()


def test_refuses_to_overwrite_frames_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / FRAMES_DIR).mkdir()
    with pytest.raises(SynthesisError, match="refusing"):
        synthesize(tmp_path, seed=0, subjects=1, per_subject=1)


def test_motion_is_at_the_active_au_and_nowhere_else(release: Path, truth: dict) -> None:
    """TV-L1 between onset and apex follows the generated field near the AU, ~0 on still skin."""
    sample = max(truth["samples"], key=lambda s: max(s["amplitude_px"].values()))
    subject = truth["subjects"][sample["subject"] - 1]
    landmarks = np.asarray(subject["landmarks68"], np.float32)
    field = sample_displacement(landmarks, as_sample(sample))
    x0, y0 = (landmarks.min(axis=0) - 30).astype(int)
    x1, y1 = (landmarks.max(axis=0) + 30).astype(int)
    onset = cv2.imread(str(frame_path(release, sample, sample["onset"])))[y0:y1, x0:x1]
    apex = cv2.imread(str(frame_path(release, sample, sample["apex"])))[y0:y1, x0:x1]
    u, v, _ = crop_flow(onset, apex, True, Tvl1.of(schema_config()["flow"]))
    truth_u, truth_v = field[y0:y1, x0:x1, 0], field[y0:y1, x0:x1, 1]
    magnitude = np.hypot(truth_u, truth_v)
    active = magnitude > 0.5 * magnitude.max()
    still = magnitude < 0.01 * magnitude.max()
    along = float((u * truth_u + v * truth_v)[active].sum() / (magnitude[active] ** 2).sum())
    assert 0.4 < along < 1.3, along
    assert float(np.median(np.hypot(u, v)[active])) > 0.3 * max(sample["amplitude_px"].values())
    assert float(np.median(np.hypot(u, v)[still])) < 0.1


def test_cli_prints_one_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        synthetic.main(
            [
                "--out",
                str(tmp_path / "r"),
                "--seed",
                "0",
                "--subject-count",
                "1",
                "--samples-per-subject",
                "1",
                "--threads",
                "1",
                "--layout",
                "casme2",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "1 samples" in lines[0]


@pytest.fixture(scope="module")
def samm_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic_samm") / "release"
    synthesize(root, seed=2, subjects=2, per_subject=2, layout="samm")
    return root


def test_samm_layout_is_read_by_the_samm_reader(samm_release: Path, tmp_path: Path) -> None:
    from microau.cli import main as cli_main
    from microau.io.sample_table import read_rows

    truth = json.loads((samm_release / TRUTH_FILE).read_text())
    assert truth["layout"] == "samm"
    sample = truth["samples"][0]
    folder = samm_release / synthetic.SAMM_FRAMES_DIR / "006" / sample["filename"]
    assert sample["filename"].startswith("006_")
    assert sorted(p.name for p in folder.iterdir())[0] == f"006_{sample['onset']:04d}.jpg"
    rows = list(load_workbook(samm_release / synthetic.SAMM_CODING_FILE).active.iter_rows(values_only=True))
    assert rows[synthetic.SAMM_TITLE_ROWS] == synthetic.SAMM_COLUMNS
    assert {row[9] for row in rows[synthetic.SAMM_TITLE_ROWS + 1 :]} <= set(synthetic.SAMM_EMOTIONS.values())
    out = tmp_path / "samples.tsv"
    code = cli_main(
        [
            "index",
            "--reader",
            "samm",
            "--dataset",
            "s",
            "--root",
            str(samm_release),
            *paper_flags("samm"),
            "--frames-layout",
            "selected",
            "--missing-apex",
            "motion",
            "--out",
            str(out),
            "--validation",
            str(tmp_path / "validation.tsv"),
        ]
    )
    assert code == 0
    indexed = read_rows(out)[1]
    assert sorted({row["subject"] for row in indexed}) == ["006", "007"]
    assert len(indexed) == len(truth["samples"])
    assert {int(row["onset"]) for row in indexed} == {s["onset"] for s in truth["samples"]}


def test_the_shipped_demo_and_the_tests_samm_layout_class_every_generated_emotion():
    """A generated dataset's class3 (config, not the generator) must list each emotion the generator
    writes under its class, or its clips go unclassed; `emotion_classes` is what the bench indexes with."""
    import yaml

    protocols = Path(__file__).parents[2] / "data" / "protocols_config.yaml"
    entries = [
        (yaml.safe_load(SHIPPED_CONFIG.read_text())["datasets"]["synthetic"], "casme2"),
        (yaml.safe_load(protocols.read_text())["datasets"]["sammsyn"], "samm"),
    ]
    for entry, layout in entries:
        listed = {label: {e.lower() for e in emotions} for label, emotions in entry["class3"].items()}
        for label, emotions in synthetic.emotion_classes(layout).items():
            assert set(emotions) <= listed[label], (layout, label)
    assert synthetic.emotion_classes("samm")["negative"] == ["anger", "contempt"]
