"""CASME II (Yan et al. 2014, 200 fps, 26 subjects): the coding sheet and the three frame layouts.

frames_layout picks the folder the subject folders lie below, wherever the unpacking put it:
`raw` -> CASME2_RAW/CASME2-RAW/subNN/<Filename>/imgN.jpg (full sequences), `selected` ->
CASME2_RAW_selected/subNN/<Filename>/imgN.jpg (onset..offset), `cropped` ->
Cropped/subNN/<Filename>/reg_imgN.jpg (face crops; also found as Cropped/Cropped/...).
The sheet's `Subject` is an integer; its folder is `sub{:02d}`, which is also the subject id.
"""

from __future__ import annotations

import re

from microau.datasets.release import Release

_SHEET_SUBJECT = re.compile(r"(?:sub)?\s*(\d+)", re.IGNORECASE)
_FOLDER = re.compile(r"sub(\d+)", re.IGNORECASE)


def subject_name(text: str) -> str:
    """`1` (or `sub1`) -> `sub01`; '' when the cell holds no subject number."""
    match = _SHEET_SUBJECT.fullmatch(text)
    return f"sub{int(match.group(1)):02d}" if match else ""


def folder_key(name: str) -> str | None:
    """`sub01` -> `sub01`; None for folders that are not subject folders."""
    match = _FOLDER.fullmatch(name)
    return f"sub{int(match.group(1)):02d}" if match else None


RELEASE = Release(
    title="CASME II",
    coding_glob="CASME2-coding*.xlsx",
    sheet="Sheet1",
    headers={
        "subject": "Subject",
        "filename": "Filename",
        "onset": "OnsetFrame",
        "apex": "ApexFrame",
        "offset": "OffsetFrame",
        "au": "Action Units",
        "emotion": "Estimated Emotion",
    },
    excluded_emotions=frozenset({"others", "fear", "sadness"}),
    frame_layouts={
        "raw": frozenset({"casme2_raw", "casme2-raw"}),
        "selected": frozenset({"casme2_raw_selected"}),
        "cropped": frozenset({"cropped"}),
    },
    subject_name=subject_name,
    folder_key=folder_key,
)
