"""4DME (Li et al. 2022, 60 fps grey-level 2D video, 41 subjects): the micro-expression sheet and frames.

Read from the facts of tvaranka/meb's `Fourd` loader (meb/datasets/datasets.py and
config/dataset_config.py at f731b0a; no copy of the release was available): the sheet
`4DME_Labelling_Micro_release v1.xlsx` has columns `sub_ID`, `fold_name`, `Onset`, `Apex`,
`Offset`, `AUs`, `Emotion`; frames lie in `gray_micro/<sub_ID>/<fold_name>/` (frames_layout
`selected`) or `gray_micro_crop/<sub_ID>/<fold_name>/` (`cropped`). The subject folders' names
follow no pattern MEB shows, so every folder in `gray_micro/` is a subject folder and the sub_ID
cell must name it as written (compared ignoring case). AUs marked `(k)` (`AU4(k)`) do not parse as
AU codes: they are left off and reported, as MEB sets them off by default.

Defaults, since the paper does not use 4DME: CASME II's AU set, and MEGC 2019's grouping applied
to the emotion words this project expects (positive/happiness -> positive; negative, disgust,
anger, fear, sadness, contempt, repression -> negative; surprise -> surprise; others excluded). The
sheet's emotion vocabulary is not in MEB: index a copy and set `class3` from what the report lists.
"""

from __future__ import annotations

from microau.datasets.release import Release


def subject_name(text: str) -> str:
    """The sub_ID cell as written ('' when blank)."""
    return text.strip()


def folder_key(name: str) -> str | None:
    """A subject folder's name, lower-cased (every folder in gray_micro/ is one)."""
    return name.strip().lower() or None


RELEASE = Release(
    title="4DME",
    coding_glob="4DME_Labelling_Micro*.xlsx",
    sheet="",
    headers={
        "subject": "sub_ID",
        "filename": "fold_name",
        "onset": "Onset",
        "apex": "Apex",
        "offset": "Offset",
        "au": "AUs",
        "emotion": "Emotion",
    },
    excluded_emotions=frozenset({"others"}),
    frame_layouts={"selected": frozenset({"gray_micro"}), "cropped": frozenset({"gray_micro_crop"})},
    subject_name=subject_name,
    folder_key=folder_key,
    parent_folders_in_top=True,
)
