"""An export never replaces a file microau did not write.

`microau spot --eaf/--boris` and `microau analyse --eaf-dir/--boris` write where a coder's own
`.eaf` or `.boris` may already lie (beside the video, in the study's folder). Each format's module
tells whether a file is one of microau's exports (`microau.io.elan.is_microau_eaf`,
`microau.io.boris.is_microau_project`); a rerun replaces its own export, anything else is refused
in one line, before the model loads where the command can tell the paths that early.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from microau.errors import MicroauError


class ExportClashError(MicroauError):
    """An export would replace a file microau did not write (a coder's, say)."""


def claim_export(path: Path, written_by_microau: Callable[[Path], bool], what: str) -> None:
    """Refuse an export to `path` where a file lies that `written_by_microau` does not recognise."""
    path = Path(path)
    if path.exists() and not (path.is_file() and written_by_microau(path)):
        raise ExportClashError(
            f"{what}: {path} exists and is not an export of microau's as microau wrote it (a coder's file, or "
            "an export edited since); it is never replaced: give the export another name or folder"
        )
