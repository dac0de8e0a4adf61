"""`microau boris-import` (`microau.datasets.boris`) on two participants' `interview.avi` built from a
real photograph: a BORIS project and its tabular export give the hand-typed table; what the mapping
does not cover is reported; an exported project imports back as what was exported."""

import csv
import json
from pathlib import Path

import pytest

from microau.cli import main as cli_main
from microau.datasets.boris import BorisMapping, write_boris
from microau.io.elan import EafContent, MicroExpression
from tests.inference.test_analyse import astronaut_clip, write_video
from tests.io.test_boris import EVENTS, TABULAR_HEADER, boris_project, tabular_row

HAND = [
    {
        "subject": "p01",
        "clip": "videos/p01/interview.avi",
        "onset": "2",
        "apex": "8",
        "offset": "11",
        "au": "1+2",
        "emotion": "surprise",
        "fps": "25",
        "first_frame": "1",
    },
    {
        "subject": "p01",
        "clip": "videos/p01/interview.avi",
        "onset": "13",
        "apex": "",
        "offset": "22",
        "au": "L12",
        "emotion": "",
        "fps": "25",
        "first_frame": "1",
    },
]
"""EVENTS typed by hand, frames counted from 1 (BORIS's frame index 1 is the table's frame 2)."""


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    frames = astronaut_clip(11, 7)
    for participant in ("p01", "p02"):
        write_video(root / "videos" / participant / "interview.avi", frames + frames + frames)
    return root


def imported(root: Path, *files: str, extra: tuple[str, ...] = ()) -> tuple[list[dict], list[dict]]:
    out = root / "imported" / "codes.csv"
    argv = ["boris-import", *(str(root / f) for f in files), "--out", str(out), "--first-frame", "1", *extra]
    assert cli_main(argv) == 0
    with open(out, newline="") as table, open(out.with_name("codes_validation.tsv"), newline="") as report:
        return list(csv.DictReader(table)), list(csv.DictReader(report, delimiter="\t"))


def as_study(rows: list[dict]) -> list[dict]:
    """Clips as the hand table names them (the import writes them relative to its own folder)."""
    return [{**row, "clip": row["clip"].removeprefix("../")} for row in rows]


def test_a_project_imports_as_the_hand_typed_table(study):
    boris_project(study / "study.boris", EVENTS)
    rows, report = imported(study, "study.boris")
    assert as_study(rows) == HAND
    assert report == []


def test_the_tabular_export_imports_as_the_hand_typed_table(study):
    lines = [
        TABULAR_HEADER,
        tabular_row(0.04, "ME", ("1,2", "surprise"), "START", 1),
        tabular_row(0.28, "Apex", ("", ""), "POINT", 7),
        tabular_row(0.4, "ME", ("1,2", "surprise"), "STOP", 10),
        tabular_row(0.48, "ME", ("L12", "None"), "START", "NA"),
        tabular_row(0.84, "ME", ("L12", "None"), "STOP", "NA"),
    ]
    (study / "exports").mkdir(exist_ok=True)
    (study / "exports" / "p01 interview.tsv").write_text("\n".join(lines) + "\n")
    rows, report = imported(study, "exports/p01 interview.tsv", extra=("--media-dir", str(study)))
    assert as_study(rows) == HAND and report == []


def test_a_labs_own_behaviour_names_and_modifier_sets_come_from_the_config(study):
    """The lab codes `Micro` with the emotion in modifier set 1 and the AUs in set 2, apexes as `Peak`."""
    names = {"ME": "Micro", "Apex": "Peak"}
    renamed = [
        [time, subject, names[code], "|".join(reversed(mods.split("|"))) if mods else "", comment, frame]
        for time, subject, code, mods, comment, frame in EVENTS
    ]
    path = boris_project(study / "lab" / "study.boris", renamed, "../videos/p01/interview.avi")
    project = json.loads(path.read_text())
    for behavior in project["behaviors_conf"].values():
        behavior["code"] = names[behavior["code"]]
        if behavior["modifiers"]:
            behavior["modifiers"] = {"0": behavior["modifiers"]["1"], "1": behavior["modifiers"]["0"]}
    (study / "lab" / "study.boris").write_text(json.dumps(project))
    config = study / "lab" / "config.yaml"
    config.write_text("boris: {behavior: Micro, apex_behavior: Peak, au_modifier: 2, emotion_modifier: 1}\n")
    rows, report = imported(study, "lab/study.boris", extra=("--config", str(config)))
    assert as_study(rows) == HAND and report == []


def test_what_the_mapping_does_not_cover_is_reported_by_path(study):
    events = [*EVENTS, [1.0, "p01", "Blink", "", "", 25], [1.2, "p01", "ME", "4|None", "", 30]]
    boris_project(study / "coding" / "p01.boris", events, media="../videos/p01/interview.avi")
    boris_project(study / "coding" / "gone.boris", EVENTS, media="../videos/p09/interview.avi")
    rows, report = imported(study, "coding/p01.boris", "coding/gone.boris")
    assert len(rows) == 2
    assert [(r["file"], r["where"], r["problem"], r["action"]) for r in report] == [
        ("../coding/p01.boris", "observation 'p01 interview' event 7", "START of 'ME' without a STOP", "dropped"),
        (
            "../coding/p01.boris",
            "observation 'p01 interview'",
            "behaviour 'Blink' (1 events) is not in the boris mapping",
            "ignored",
        ),
        (
            "../coding/gone.boris",
            "observation 'p01 interview'",
            "video ../videos/p09/interview.avi not found or unreadable (read under ../coding/)",
            "observation skipped",
        ),
    ]


def test_an_exported_project_imports_back_as_exported(study, tmp_path):
    mapping = BorisMapping("ME", 1, 2, "Apex")
    contents = [
        (
            f"{p}/interview.avi",
            EafContent(
                study / "videos" / p / "interview.avi",
                25.0,
                p,
                [MicroExpression(1, 10, "1+2", 7, "surprise"), MicroExpression(12, 21, "12", 15, "negative")],
            ),
        )
        for p in ("p01", "p02")
    ]
    write_boris(study / "out" / "spotted.boris", contents, mapping)
    rows, _ = imported(study, "out/spotted.boris")
    assert [(r["subject"], r["clip"], r["onset"], r["apex"], r["offset"], r["au"], r["emotion"]) for r in rows] == [
        (p, f"../videos/{p}/interview.avi", *numbers)
        for p in ("p01", "p02")
        for numbers in (("2", "8", "11", "1+2", "surprise"), ("13", "16", "22", "12", "negative"))
    ]


def test_an_observation_playing_two_videos_is_reported_and_skipped(study):
    path = boris_project(study / "coding" / "two.boris", EVENTS, media="../videos/p01/interview.avi")
    project = json.loads(path.read_text())
    (observation,) = project["observations"].values()
    observation["file"]["1"].append("../videos/p02/interview.avi")
    path.write_text(json.dumps(project))
    rows, report = imported(study, "coding/two.boris")
    assert rows == []
    assert [(r["file"], r["problem"], r["action"]) for r in report] == [
        (
            "../coding/two.boris",
            "player #1 plays 2 media files; microau reads one video per observation",
            "observation skipped",
        )
    ]
