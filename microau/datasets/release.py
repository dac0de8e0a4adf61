"""What describes one dataset release (`Release`), and the error of a release or config the user must fix.

Each release module of `microau.releases.RELEASE_READERS` holds one `Release`;
`microau.datasets.samples` reads any of them with the same rules. The index stage's readers
(`INDEX_READERS`) add SMIC's folders (`microau.datasets.smic`) and a lab's own table
(`microau.datasets.table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from microau.errors import MicroauError

TABLE_READER = "table"
SMIC_READER = "smic"
FRAME_LAYOUTS = ("raw", "selected", "cropped", "hs", "vis", "nir")
FIELDS = ("subject", "filename", "onset", "apex", "offset", "au", "emotion")


class DatasetError(MicroauError):
    """A problem with the user's release or config; the message names the file and config key."""


@dataclass(frozen=True)
class Release:
    """What distinguishes one release's files; everything else is shared reading logic.

    `sheet` names the worksheet (the first one when absent or ''). `headers` maps each of
    FIELDS to the header text in the coding sheet. `frame_layouts` maps a
    frames_layout to the folder names the subject folders lie below (None: anywhere under root).
    `subject_name` turns a sheet's Subject cell into the subject id ('' if unreadable) and
    `folder_key` turns a folder name into the same id's lookup key (None if not a subject folder).
    `parent_folders_in_top`: every folder directly in a frame layout's top folder is a parent
    folder, whatever its name (4DME's subject folders, MMEW's emotion folders, whose names no
    pattern is known for); `sample_parent` says which cell names a sample's parent folder,
    `subject` or `emotion` (MMEW files samples under their emotion). `au_coded` is False for a
    release without AU codes (SMIC): its samples then get no "no AU coded" row each.
    """

    title: str
    coding_glob: str
    sheet: str
    headers: dict[str, str]
    excluded_emotions: frozenset[str]
    frame_layouts: dict[str, frozenset[str] | None]
    subject_name: Callable[[str], str]
    folder_key: Callable[[str], str | None]
    frame_subdir: str = ""
    parent_folders_in_top: bool = False
    sample_parent: str = "subject"
    au_coded: bool = True


def child_folder(folder: Path, name: str) -> Path | None:
    """Sub-folder by name, exact first, then ignoring case (releases differ in `spNO`/`spNo`)."""
    exact = folder / name
    if exact.is_dir():
        return exact
    return next((c for c in sorted(folder.iterdir()) if c.is_dir() and c.name.lower() == name.lower()), None)
