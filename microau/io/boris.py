"""BORIS files: the one owner of BORIS's formats in microau.

BORIS (Behavioral Observation Research Interactive Software; Friard & Gamba 2016, Methods Ecol.
Evol. 7:1325, doi:10.1111/2041-210X.12584; user guide https://boris.readthedocs.io) codes video
as events. The shapes below are those BORIS 9 writes, read from its source
(github.com/olivierfriard/BORIS: `boris/config.py`, `boris/project_functions.py`,
`boris/write_event.py`, `boris/export_observation.py`):

- The project file (`.boris`, JSON; `project_format_version` "7.0"): `behaviors_conf`, the
  ethogram (per behaviour its `code`, its `type` "State event" or "Point event", and `modifiers`,
  numbered sets each with a `name`, a `type`, 0 single or 1 multiple selection, and `values`);
  `subjects_conf`; and `observations`, id -> {`type` "MEDIA", `file` {"1": [player #1's media
  paths, absolute or relative to the project file]}, `media_info` {`fps`, `length`, ... per media
  path}, `time offset`, `events`}. An event is [time in s, subject, behaviour code, modifiers,
  comment, frame index]: the modifiers one string per set joined by `|` in set order, a multiple
  selection's values joined by `,`, `None` where none was chosen; a state event is two events,
  START then STOP, paired in time order per subject, behaviour and modifiers
  (`project_functions.events_start_stop`); the frame index is mpv's 0-based estimated frame
  number, or "NA".
- The tabular events export (Observations > Export events > Tabular events, TSV or CSV): a header
  row (`Observation id`, ..., `Source`, `Time offset (s)`, `Media duration (s)`, `FPS`, the
  independent variables, `Subject`, `Behavior`, `Behavioral category`, `Modifier #1` ...,
  `Behavior type` START, STOP or POINT, `Time`, `Media file name`, `Image index` (a media
  observation's frame index), `Image file path`, `Comment`) and one row per event.

`read_observations` reads either into `Observation`s whose events carry START, STOP or POINT;
`write_project` writes a project BORIS opens, one MEDIA observation per video.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.io.exports import claim_export

PROJECT_VERSION = "7.0"
STATE_EVENT = "State event"
POINT_EVENT = "Point event"
SINGLE_SELECTION, MULTIPLE_SELECTION = 0, 1
START, STOP, POINT = "START", "STOP", "POINT"
NO_MODIFIER = "None"
TABULAR_SUFFIXES = (".tsv", ".csv")
TABULAR_REQUIRED = ("Observation id", "Subject", "Behavior", "Behavior type", "Time")
PLAYERS = 8
WRITTEN_BY = "written by microau; events "  # then the digest of the events written (`is_microau_project`)


class BorisError(MicroauError):
    """A BORIS file cannot be read as one; the message names it."""


@dataclass(frozen=True)
class Event:
    """One coded event: time (s, observation time), subject, behaviour, one modifier text per set
    ('' where none), its frame index (None when BORIS gives none), START, STOP or POINT, and where
    it is written (for messages)."""

    time: float
    subject: str
    behavior: str
    modifiers: tuple[str, ...]
    frame: int | None
    status: str
    where: str
    comment: str = ""


@dataclass
class Observation:
    """One MEDIA observation: player #1's media (as written), its frame rate, the time offset
    added to media times, and its events in time order."""

    id: str
    media: list[str]
    fps: float | None
    time_offset: float
    events: list[Event]
    where: str


@dataclass
class Behavior:
    """An ethogram entry written by `write_project`: code, state or point, modifier sets
    (name, SINGLE_SELECTION or MULTIPLE_SELECTION, values)."""

    code: str
    state: bool
    modifiers: list[tuple[str, int, list[str]]] = field(default_factory=list)


@dataclass
class MediaObservation:
    """An observation written by `write_project`: id, the media path as BORIS should read it
    (relative to the project file), its fps and length (s), and its events as (time s, subject,
    behaviour, modifier texts, frame index, comment)."""

    id: str
    media: str
    fps: float
    length: float
    events: list[tuple[float, str, str, tuple[str, ...], int, str]]


def read_observations(path: Path) -> list[Observation]:
    """A `.boris` project or a tabular events export (by its suffix)."""
    if path.suffix.lower() in TABULAR_SUFFIXES:
        return read_tabular(path)
    return read_project(path)


def _modifier_texts(text: str) -> tuple[str, ...]:
    return tuple("" if part.strip() == NO_MODIFIER else part.strip() for part in str(text or "").split("|"))


def _frame(value: object) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) else None


def read_project(path: Path) -> list[Observation]:
    """The MEDIA observations of a .boris project, events flagged as BORIS flags them."""
    try:
        project = json.loads(Path(path).read_text(encoding="utf-8"))
        ethogram = project["behaviors_conf"]
        observations = project["observations"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise BorisError(f"cannot read {path} as a BORIS project (.boris JSON): {exc}") from None
    states = {str(b.get("code")) for b in ethogram.values() if "State" in str(b.get("type", ""))}
    found = []
    for obs_id, observation in observations.items():
        if observation.get("type") != "MEDIA":
            continue
        media = [str(m) for m in observation.get("file", {}).get("1", [])]
        fps_of = observation.get("media_info", {}).get("fps", {})
        fps = next((float(fps_of[m]) for m in media if m in fps_of), None)
        events = []
        open_count: dict[tuple, int] = {}
        for n, event in enumerate(sorted(observation.get("events", []), key=lambda e: float(e[0])), start=1):
            time, subject, code, modifier = float(event[0]), str(event[1]), str(event[2]), str(event[3])
            key = (subject, code, modifier)
            status = POINT
            if code in states:
                status = STOP if open_count.get(key, 0) % 2 else START
                open_count[key] = open_count.get(key, 0) + 1
            frame = _frame(event[5]) if len(event) > 5 else None
            comment = str(event[4]) if len(event) > 4 else ""
            where = f"observation '{obs_id}' event {n}"
            events.append(Event(time, subject, code, _modifier_texts(modifier), frame, status, where, comment))
        offset = float(observation.get("time offset", 0) or 0)
        found.append(Observation(str(obs_id), media, fps, offset, events, f"observation '{obs_id}'"))
    return found


def read_tabular(path: Path) -> list[Observation]:
    """The observations of a tabular events export, one per `Observation id`, rows in file order."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle, delimiter=delimiter))
    except (OSError, UnicodeDecodeError) as exc:
        raise BorisError(f"cannot read {path} as a BORIS tabular export: {exc}") from None
    header = rows[0] if rows else []
    missing = [column for column in TABULAR_REQUIRED if column not in header]
    if missing:
        raise BorisError(
            f"{path} is not a BORIS tabular events export: no column {', '.join(missing)} (header: {', '.join(header)})"
        )
    column = {name: i for i, name in enumerate(header)}
    modifier_columns = [i for name, i in column.items() if name.startswith("Modifier #")]
    observations: dict[str, Observation] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in column.items()}
        obs_id = cell["Observation id"]
        observation = observations.get(obs_id)
        if observation is None:
            media = cell.get("Media file name", "")
            fps = _number(cell.get("FPS", ""))
            offset = _number(cell.get("Time offset (s)", "")) or 0.0
            observation = Observation(obs_id, [media] if media else [], fps, offset, [], f"observation '{obs_id}'")
            observations[obs_id] = observation
        modifiers = tuple(
            "" if row[i].strip() in ("", NO_MODIFIER) else row[i].strip() for i in modifier_columns if i < len(row)
        )
        time = _number(cell["Time"])
        if time is None:
            raise BorisError(f"{path} row {number}: Time '{cell['Time']}' is not a number")
        observation.events.append(
            Event(
                time,
                cell["Subject"],
                cell["Behavior"],
                modifiers,
                _frame(cell.get("Image index", "")),
                cell["Behavior type"].upper(),
                f"row {number}",
                cell.get("Comment", ""),
            )
        )
    return list(observations.values())


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def write_project(
    path: Path, name: str, behaviors: list[Behavior], subjects: list[str], observations: list[MediaObservation]
) -> None:
    """A .boris project BORIS opens: the ethogram, subjects and one MEDIA observation per video."""
    ethogram = {
        str(n): {
            "type": STATE_EVENT if b.state else POINT_EVENT,
            "key": "",
            "code": b.code,
            "description": "written by microau",
            "color": "",
            "category": "",
            "modifiers": {
                str(m): {"name": set_name, "type": kind, "values": values}
                for m, (set_name, kind, values) in enumerate(b.modifiers)
            }
            if b.modifiers
            else "",
            "excluded": "",
            "coding map": "",
        }
        for n, b in enumerate(behaviors)
    }
    claim_export(path, is_microau_project, "--boris")
    written = {o.id: _observation(o) for o in observations}
    project = {
        "time_format": "hh:mm:ss",
        "project_date": "",
        "project_name": name,
        "project_description": f"{WRITTEN_BY}{_events_digest(written)}",
        "project_format_version": PROJECT_VERSION,
        "subjects_conf": {str(n): {"key": "", "name": s, "description": ""} for n, s in enumerate(subjects)},
        "behaviors_conf": ethogram,
        "observations": written,
        "behavioral_categories": [],
        "behavioral_categories_config": {},
        "independent_variables": {},
        "coding_map": {},
        "behaviors_coding_map": [],
        "converters": {},
    }
    with atomic_open(path, encoding="utf-8") as handle:
        json.dump(project, handle, indent=1)


def _events_digest(observations: dict) -> str:
    """A digest of a project's observations' events, which changes when a coder edits them."""
    events = {key: observation.get("events", []) for key, observation in observations.items()}
    return hashlib.sha1(json.dumps(events, sort_keys=True).encode()).hexdigest()


def is_microau_project(path: Path) -> bool:
    """Whether the .boris project at `path` is an export of microau's whose events nobody has edited
    since (`microau.io.exports.claim_export`): its description's digest matches its events."""
    try:
        with open(path, encoding="utf-8") as handle:
            project = json.load(handle)
        description = str(project.get("project_description", ""))
        observations = project.get("observations", {})
        return description.startswith(WRITTEN_BY) and description[len(WRITTEN_BY) :] == _events_digest(observations)
    except (OSError, ValueError, AttributeError):
        return False


def _observation(o: MediaObservation) -> dict:
    files = {str(n): [] for n in range(1, PLAYERS + 1)}
    files["1"] = [o.media]
    events = [
        [round(time, 3), subject, code, "|".join(m or NO_MODIFIER for m in modifiers), comment, frame]
        for time, subject, code, modifiers, frame, comment in sorted(o.events, key=lambda e: e[0])
    ]
    return {
        "file": files,
        "type": "MEDIA",
        "date": "",
        "description": "written by microau",
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
            "length": {o.media: round(o.length, 3)},
            "fps": {o.media: o.fps},
            "hasVideo": {o.media: True},
            "hasAudio": {o.media: False},
            "offset": {"1": 0.0},
        },
    }
