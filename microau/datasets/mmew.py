"""MMEW (Ben et al. 2021, 90 fps, 30 subjects): the micro-expression sheet and its emotion folders.

Read from the facts of tvaranka/meb's `Mmew` loader (meb/datasets/datasets.py and
config/dataset_config.py at f731b0a; no copy of the release was available): the sheet
`MMEW_Micro_Exp.xlsx` has columns `Subject`, `Filename`, `OnsetFrame`, `ApexFrame`, `OffsetFrame`,
`Action Units`, `Estimated Emotion` (and `remarks`); frames lie in
`Micro_Expression/<emotion>/<Filename>/` (one layout; MEB's cropped and original paths are the
same folder), so a sample's folder is found under its row's emotion, matched ignoring case. The
subject cell is kept as written (no pattern for it is known). MEB repairs 16 apexes and offsets by
hand (its rows 33..42 and 142..156); here those rows go through the shared repairs and are reported.

Defaults, since the paper does not use MMEW: CASME II's AU set, and MEGC 2019's grouping applied
to MMEW's emotion words (happiness -> positive; disgust, fear, sadness, anger -> negative;
surprise -> surprise; others excluded; MEB calls them repression, which MEGC 2019 counts negative).
"""

from __future__ import annotations

from microau.datasets.release import Release


def subject_name(text: str) -> str:
    """The Subject cell as written ('' when blank)."""
    return text.strip()


def folder_key(name: str) -> str | None:
    """An emotion folder's name, lower-cased (every folder in Micro_Expression/ is one)."""
    return name.strip().lower() or None


RELEASE = Release(
    title="MMEW",
    coding_glob="MMEW_Micro_Exp*.xlsx",
    sheet="",
    headers={
        "subject": "Subject",
        "filename": "Filename",
        "onset": "OnsetFrame",
        "apex": "ApexFrame",
        "offset": "OffsetFrame",
        "au": "Action Units",
        "emotion": "Estimated Emotion",
    },
    excluded_emotions=frozenset({"others"}),
    frame_layouts={"selected": frozenset({"micro_expression"}), "raw": frozenset({"micro_expression"})},
    subject_name=subject_name,
    folder_key=folder_key,
    parent_folders_in_top=True,
    sample_parent="emotion",
)
