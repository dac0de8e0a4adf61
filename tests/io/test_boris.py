"""BORIS's files as BORIS 9 writes them (`microau.io.boris`): a project's events flagged START, STOP
and POINT as BORIS flags them, the tabular events export, and a written project read back."""

import json
from pathlib import Path

import pytest

from microau.io.boris import (
    MULTIPLE_SELECTION,
    Behavior,
    BorisError,
    MediaObservation,
    read_observations,
    write_project,
)

ETHOGRAM = {
    "0": {
        "type": "State event",
        "key": "m",
        "code": "ME",
        "description": "",
        "color": "",
        "category": "",
        "modifiers": {
            "0": {"name": "AU", "type": 1, "values": ["1", "2", "L12"]},
            "1": {"name": "Emotion", "type": 0, "values": ["surprise", "happiness"]},
        },
        "excluded": "",
        "coding map": "",
    },
    "1": {
        "type": "Point event",
        "key": "a",
        "code": "Apex",
        "description": "",
        "color": "",
        "category": "",
        "modifiers": "",
        "excluded": "",
        "coding map": "",
    },
}
"""An ethogram as BORIS 9 saves it (boris/config.py's ETHOGRAM fields; modifier type 1 is a multiple
selection, 0 a single one)."""


def boris_project(path: Path, events: list[list], media: str = "videos/p01/interview.avi") -> Path:
    """A .boris project file of one MEDIA observation, every key BORIS 9 writes (project format 7.0)."""
    observation = {
        "file": {"1": [media], **{str(n): [] for n in range(2, 9)}},
        "type": "MEDIA",
        "date": "2026-12-07T10:00:00.000",
        "description": "",
        "time offset": 0.0,
        "events": events,
        "observation time interval": [0, 0],
        "independent_variables": {},
        "visualize_spectrogram": False,
        "visualize_waveform": False,
        "media_creation_date_as_offset": False,
        "media_scan_sampling_duration": 0,
        "image_display_duration": 1,
        "close_behaviors_between_videos": False,
        "media_info": {
            "length": {media: 2.0},
            "fps": {media: 25.0},
            "hasVideo": {media: True},
            "hasAudio": {media: False},
            "offset": {"1": 0.0},
        },
    }
    project = {
        "time_format": "hh:mm:ss",
        "project_date": "2026-12-07T09:00:00",
        "project_name": "study",
        "project_description": "",
        "project_format_version": "7.0",
        "subjects_conf": {"0": {"key": "1", "name": "p01", "description": ""}},
        "behaviors_conf": ETHOGRAM,
        "observations": {"p01 interview": observation},
        "behavioral_categories": [],
        "behavioral_categories_config": {},
        "independent_variables": {},
        "coding_map": {},
        "behaviors_coding_map": [],
        "converters": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(project, indent=1))
    return path


EVENTS = [
    [0.04, "p01", "ME", "1,2|surprise", "", 1],
    [0.28, "p01", "Apex", "", "", 7],
    [0.4, "p01", "ME", "1,2|surprise", "", 10],
    [0.48, "p01", "ME", "L12|None", "", "NA"],
    [0.84, "p01", "ME", "L12|None", "", "NA"],
]
"""Two micro-expressions: BORIS writes a state event as two events with the same modifiers, a
multiple selection joined by `,`, sets by `|`, `None` for an empty set, "NA" for no frame index."""

TABULAR_HEADER = (
    "Observation id\tObservation date\tDescription\tObservation duration\tObservation type\tSource\t"
    "Time offset (s)\tMedia duration (s)\tFPS\tSubject\tBehavior\tBehavioral category\tModifier #1\t"
    "Modifier #2\tBehavior type\tTime\tMedia file name\tImage index\tImage file path\tComment"
)
"""boris/export_observation.py's export_tabular_events header for one media file and two modifier sets."""


def tabular_row(time, code, modifiers, status, frame) -> str:
    first, second = modifiers
    return "\t".join(
        [
            "p01 interview",
            "2026-12-07 10:00:00.000",
            "",
            "0.840",
            "Media file(s)",
            "player #1:videos/p01/interview.avi",
            "0.0",
            "2.000",
            "25.000",
            "p01",
            code,
            "",
            first,
            second,
            status,
            f"{time:.3f}",
            "videos/p01/interview.avi",
            str(frame),
            "NA",
            "",
        ]
    )


def test_project_events_are_flagged_as_boris_flags_them(tmp_path):
    (observation,) = read_observations(boris_project(tmp_path / "study.boris", EVENTS))
    assert (observation.id, observation.media, observation.fps) == ("p01 interview", ["videos/p01/interview.avi"], 25.0)
    assert [(e.behavior, e.status, e.modifiers, e.frame) for e in observation.events] == [
        ("ME", "START", ("1,2", "surprise"), 1),
        ("Apex", "POINT", ("",), 7),
        ("ME", "STOP", ("1,2", "surprise"), 10),
        ("ME", "START", ("L12", ""), None),
        ("ME", "STOP", ("L12", ""), None),
    ]
    assert observation.events[1].where == "observation 'p01 interview' event 2"


def test_the_tabular_export_reads_as_the_project(tmp_path):
    lines = [
        TABULAR_HEADER,
        tabular_row(0.04, "ME", ("1,2", "surprise"), "START", 1),
        tabular_row(0.28, "Apex", ("", ""), "POINT", 7),
        tabular_row(0.4, "ME", ("1,2", "surprise"), "STOP", 10),
    ]
    (tmp_path / "events.tsv").write_text("\n".join(lines) + "\n")
    (observation,) = read_observations(tmp_path / "events.tsv")
    assert (observation.media, observation.fps) == (["videos/p01/interview.avi"], 25.0)
    assert [(e.behavior, e.status, e.modifiers, e.frame, e.where) for e in observation.events] == [
        ("ME", "START", ("1,2", "surprise"), 1, "row 2"),
        ("Apex", "POINT", ("", ""), 7, "row 3"),
        ("ME", "STOP", ("1,2", "surprise"), 10, "row 4"),
    ]
    (tmp_path / "other.tsv").write_text("time\tcode\n1\tME\n")
    with pytest.raises(BorisError, match="not a BORIS tabular events export: no column Observation id"):
        read_observations(tmp_path / "other.tsv")


def test_a_written_project_reads_back(tmp_path):
    behaviors = [Behavior("ME", True, [("AU", MULTIPLE_SELECTION, ["1", "2"])]), Behavior("Apex", False)]
    events = [
        (0.04, "p01", "ME", ("1,2",), 1, "microau emotion (combinations): surprise"),
        (0.28, "p01", "Apex", (), 7, ""),
        (0.4, "p01", "ME", ("1,2",), 10, ""),
    ]
    write_project(
        tmp_path / "out.boris", "out", behaviors, ["p01"], [MediaObservation("v", "v.avi", 25.0, 2.0, events)]
    )
    (observation,) = read_observations(tmp_path / "out.boris")
    assert [(e.time, e.subject, e.behavior, e.status, e.frame) for e in observation.events] == [
        (0.04, "p01", "ME", "START", 1),
        (0.28, "p01", "Apex", "POINT", 7),
        (0.4, "p01", "ME", "STOP", 10),
    ]
    project = json.loads((tmp_path / "out.boris").read_text())
    assert project["project_format_version"] == "7.0" and project["behaviors_conf"]["0"]["type"] == "State event"
