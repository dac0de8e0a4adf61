"""SAMM (Davison et al. 2016, 200 fps, subjects 006..037): the v2 FACS coding sheet and frames.

The sheet has a title block; its header row is the row whose first cell is `Subject`. Frames are
`SAMM/<subj>/<Filename>/<subj>_<frame>.jpg` with 4- or 5-digit frame padding (the trailing integer
is the frame number). The release has one frame layout (full sequences), so frames_layout `raw`
and `selected` both read it; onset..offset are selected from it. Subject ids are 3-digit (`006`)
whether the sheet stores 6 or "006".
"""

from __future__ import annotations

import re

from microau.datasets.release import Release

_SHEET_SUBJECT = re.compile(r"\d+")
_FOLDER = re.compile(r"\d{3}")


def subject_name(text: str) -> str:
    """`6` or `006` -> `006`; '' when the cell holds no subject number."""
    return f"{int(text):03d}" if _SHEET_SUBJECT.fullmatch(text) else ""


def folder_key(name: str) -> str | None:
    """`006` -> `006`; None for folders that are not subject folders."""
    return name if _FOLDER.fullmatch(name) else None


RELEASE = Release(
    title="SAMM",
    coding_glob="SAMM_Micro_FACS_Codes*.xlsx",
    sheet="",
    headers={
        "subject": "Subject",
        "filename": "Filename",
        "onset": "Onset Frame",
        "apex": "Apex Frame",
        "offset": "Offset Frame",
        "au": "Action Units",
        "emotion": "Estimated Emotion",
    },
    excluded_emotions=frozenset({"other", "others"}),
    frame_layouts={"selected": None, "raw": None},
    subject_name=subject_name,
    folder_key=folder_key,
)
