"""CASME (Yan et al. 2013, 60 fps, 19 subjects): the coding sheet and two frame layouts.

Read from the facts of tvaranka/meb's `Casme` loader (meb/datasets/datasets.py and
config/dataset_config.py at f731b0a; no copy of the release was available): the sheet has columns
`Subject` (an integer), `Filename`, `OnsetF`, `ApexF1`, `OffsetF`, `AU` and `Emotion`, with two
unnamed ones; frames lie in `CASME_raw_selected/subNN/<Filename>/` (frames_layout `selected`) or
`Cropped/subNN/<Filename>/` (`cropped`), numbered by the trailing integer of their names. MEB
stores the sheet as `casme.xlsx`; the release's own file name could not be checked, so the glob is
`casme*.xlsx` (set `coding_file` for another name). MEB also repairs rows 40, 42, 43, 54 and 140 of
its copy by hand (onsets and offsets that disagree with the frame folders); here such rows go
through the shared repairs and are reported in validation.tsv instead.

Defaults, since the paper does not use CASME: CASME II's AU set, and MEGC 2019's grouping applied
to CASME's emotion words (amusement/happiness -> positive; disgust, repression, sadness, fear,
contempt -> negative; surprise -> surprise; tense and others excluded).
"""

from __future__ import annotations

from microau.datasets.casme2 import folder_key, subject_name
from microau.datasets.release import Release

RELEASE = Release(
    title="CASME",
    coding_glob="casme*.xlsx",
    sheet="",
    headers={
        "subject": "Subject",
        "filename": "Filename",
        "onset": "OnsetF",
        "apex": "ApexF1",
        "offset": "OffsetF",
        "au": "AU",
        "emotion": "Emotion",
    },
    excluded_emotions=frozenset({"tense", "others"}),
    frame_layouts={"selected": frozenset({"casme_raw_selected"}), "cropped": frozenset({"cropped"})},
    subject_name=subject_name,
    folder_key=folder_key,
)
