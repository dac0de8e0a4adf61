"""SMIC (Li et al. 2013; HS 100 fps, VIS and NIR 25 fps): emotion only, read from its folders.

From the facts of tvaranka/meb's `Smic` loader (meb/datasets/datasets.py and
config/dataset_config.py at f731b0a; no copy of the release was available): frames lie in
`<camera>/<subject>/micro/<emotion>/<clip>/`, camera `HS`, `VIS` or `NIR` (frames_layout `hs`,
`vis`, `nir`), emotion `positive`, `negative` or `surprise`. The release codes no AUs and ships
no coding sheet (MEB's `smic.xlsx` is a sheet of its own making, with the apex set to the middle
of onset..offset), so every clip folder is a sample: onset and offset are its first and last frame
(the trailing integers of the image names), the apex is found as `frames.missing_apex` says, and
every AU is off (no "no AU coded" row: the release has none). Such a dataset serves the
zero-shot MER table and the protocols; its AU table has no positive labels.
"""

from __future__ import annotations

import os
from pathlib import Path

from microau.datasets.release import DatasetError, Release, child_folder
from microau.preprocess.video import numbered_images

CAMERAS = {"hs": "HS", "vis": "VIS", "nir": "NIR"}
MAX_SEARCH_DEPTH = 4

RELEASE = Release(
    title="SMIC",
    coding_glob="",
    sheet="",
    headers={},
    excluded_emotions=frozenset(),
    frame_layouts={layout: frozenset({folder.lower()}) for layout, folder in CAMERAS.items()},
    subject_name=lambda text: text,
    folder_key=lambda name: None,
    au_coded=False,
)


def camera_folder(root: Path, layout: str, name: str) -> Path:
    """The camera's folder (`HS`, `VIS`, `NIR`, case ignored) below the root, at any depth up to
    MAX_SEARCH_DEPTH, holding subject folders with a `micro` folder."""
    if layout not in CAMERAS:
        raise DatasetError(
            f"frames_layout '{layout}' is not a SMIC camera; choose one of {', '.join(CAMERAS)} "
            f"(datasets.{name}.frames_layout)"
        )
    wanted = CAMERAS[layout].lower()
    found = []
    for folder, dirnames, _ in os.walk(root, followlinks=True):
        depth = len(Path(folder).relative_to(root).parts)
        for d in dirnames:
            candidate = Path(folder, d)
            if d.lower() == wanted and any(child_folder(s, "micro") for s in candidate.iterdir() if s.is_dir()):
                found.append(candidate)
        dirnames[:] = [d for d in sorted(dirnames) if depth < MAX_SEARCH_DEPTH and d.lower() != wanted]
    if len(found) != 1:
        where = ", ".join(map(str, found)) or "none"
        raise DatasetError(
            f"need one SMIC {CAMERAS[layout]} folder of <subject>/micro/<emotion>/<clip> under {root}, found {where} "
            f"(datasets.{name}.root, frames_layout '{layout}')"
        )
    return found[0]


def clip_rows(root: Path, layout: str, name: str) -> list[dict[str, str]]:
    """One table row (`microau.datasets.table.COLUMNS`) per clip folder of the camera."""
    rows = []
    for subject in sorted(p for p in camera_folder(root, layout, name).iterdir() if p.is_dir()):
        micro = child_folder(subject, "micro")
        for emotion in sorted(p for p in (micro.iterdir() if micro else ()) if p.is_dir()):
            for clip in sorted(p for p in emotion.iterdir() if p.is_dir()):
                numbers = list(numbered_images(clip)[0])
                first, last = (str(min(numbers)), str(max(numbers))) if numbers else ("", "")
                rows.append(
                    {
                        "subject": subject.name,
                        "clip": str(clip),
                        "onset": first,
                        "apex": "",
                        "offset": last,
                        "au": "",
                        "emotion": emotion.name.lower(),
                        "fps": "",
                        "first_frame": "",
                        "sample": f"{subject.name}_{clip.name}",
                    }
                )
    return rows
