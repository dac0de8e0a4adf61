"""An export replaces only an export of microau's that nobody edited: a coder's .eaf or .boris, or an
export a coder changed, is refused in one line."""

import json
from pathlib import Path

import pytest

from microau.io.boris import MediaObservation, is_microau_project, write_project
from microau.io.elan import EafContent, MicroExpression, TierMapping, is_microau_eaf, write_eaf
from microau.io.exports import ExportClashError

MAPPING = TierMapping("ME", "Emotion", "Apex", None, None)


def content(tmp_path: Path) -> EafContent:
    video = tmp_path / "interview.avi"
    video.write_bytes(b"")
    return EafContent(video, 30.0, "p01", [MicroExpression(10, 20, "1+2", 15, "surprise")])


def test_an_eaf_export_is_replaced_by_its_rerun_and_an_edited_or_coders_file_never(tmp_path):
    path = tmp_path / "interview.eaf"
    write_eaf(path, content(tmp_path), MAPPING)
    assert is_microau_eaf(path)
    write_eaf(path, content(tmp_path), MAPPING)  # a rerun replaces its own export
    edited = path.read_text().replace(">1+2<", ">1+4<")
    path.write_text(edited)
    assert not is_microau_eaf(path)
    with pytest.raises(ExportClashError, match=r"--eaf: .*interview.eaf exists and is not an export of microau's"):
        write_eaf(path, content(tmp_path), MAPPING)
    assert path.read_text() == edited  # the coder's correction is still there
    coders = tmp_path / "coded.eaf"
    coders.write_text(edited.replace('AUTHOR="microau"', 'AUTHOR="coder"').replace("microau annotations", "x"))
    assert not is_microau_eaf(coders)
    (tmp_path / "notes.eaf").write_text("not xml")
    assert not is_microau_eaf(tmp_path / "notes.eaf")


def test_a_boris_export_is_replaced_by_its_rerun_and_an_edited_project_never(tmp_path):
    path = tmp_path / "study.boris"
    observation = MediaObservation("p01/interview.avi", "interview.avi", 30.0, 2.0, [(0.5, "p01", "ME", (), 15, "")])
    write_project(path, "study", [], ["p01"], [observation])
    assert is_microau_project(path)
    write_project(path, "study", [], ["p01"], [observation])
    project = json.loads(path.read_text())
    project["observations"]["p01/interview.avi"]["events"][0][0] = 0.6
    path.write_text(json.dumps(project))
    assert not is_microau_project(path)
    with pytest.raises(ExportClashError, match=r"--boris: .*study.boris exists and is not an export of microau's"):
        write_project(path, "study", [], ["p01"], [observation])
    (tmp_path / "coders.boris").write_text(json.dumps({"project_description": "our pilot"}))
    assert not is_microau_project(tmp_path / "coders.boris")
