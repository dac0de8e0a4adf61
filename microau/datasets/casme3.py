"""CAS(ME)^3 Part A (30 fps): the ME label sheet (every cell a string) and the colour frames.

Sheet `annotation/partA/cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`, sheet `label`; frames
`.../spNO.X/<letter>/color/<N>.jpg`, the subject folder spelled `spNO.X` or `spNo.X` (matched
ignoring case). Subject ids are written `spNO.X` as in the sheet. One frame layout, read by
frames_layout `raw` and `selected` alike.

Defaults, since the paper gives none for this release: the AU set is CASME II's
(1, 2, 4, 7, 12, 14, 15, 17); choosing the AUs with more than 14 samples needs the data, so set
`aus` in the config after reading the first index. Three classes: happy -> positive,
surprise -> surprise, disgust/fear/anger/sad -> negative, others excluded (MEGC 2019's grouping
applied to this release's emotion words).
"""

from __future__ import annotations

import re

from microau.datasets.release import Release

_SUBJECT = re.compile(r"sp\s*no\.?\s*(\d+)", re.IGNORECASE)
_FOLDER = re.compile(r"spno\.(\d+)", re.IGNORECASE)


def subject_name(text: str) -> str:
    """`spNO.1` (any case, with or without the dot) -> `spNO.1`; '' when unreadable."""
    match = _SUBJECT.fullmatch(text)
    return f"spNO.{int(match.group(1))}" if match else ""


def folder_key(name: str) -> str | None:
    """`spNo.1` / `spNO.1` -> `spno.1`; None for folders that are not subject folders."""
    match = _FOLDER.fullmatch(name)
    return f"spno.{int(match.group(1))}" if match else None


RELEASE = Release(
    title="CAS(ME)^3 Part A",
    coding_glob="cas(me)3_part_A_ME_label*.xlsx",
    sheet="label",
    headers={
        "subject": "Subject",
        "filename": "Filename",
        "onset": "Onset",
        "apex": "Apex",
        "offset": "Offset",
        "au": "AU",
        "emotion": "emotion",
    },
    excluded_emotions=frozenset({"others"}),
    frame_layouts={"selected": None, "raw": None},
    subject_name=subject_name,
    folder_key=folder_key,
    frame_subdir="color",
)
