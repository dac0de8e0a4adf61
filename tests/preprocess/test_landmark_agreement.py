"""`microau landmark-agreement`: per-region distances between dlib's and mediapipe's points."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import cv2
import pytest
from skimage import data

from microau import cli
from microau.preprocess import landmark_agreement
from microau.preprocess.crop import crop_pair
from microau.preprocess.images import write_image
from microau.preprocess.landmark_agreement import table_i_regions


def test_regions_group_the_aus_that_share_landmarks() -> None:
    regions = table_i_regions([1, 2, 4, 7, 12, 14, 15, 17])
    assert [(r.name, r.landmarks) for r in regions[:3]] == [
        ("AU1+AU2+AU4", (19, 20, 21, 22, 23, 24)),
        ("AU7", (38, 41, 44, 47)),
        ("AU12+AU15", (48, 54)),
    ]
    assert [r.name for r in regions[3:]] == ["AU14", "AU17", "all"]


@pytest.mark.skipif(
    importlib.util.find_spec("mediapipe") is None, reason="the optional mediapipe extra is not installed"
)
def test_the_command_writes_one_row_per_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = tmp_path / "photo.png"
    write_image(photo, cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    for sample in ("s1", "s2"):
        _, apex, info = crop_pair(sample, photo, photo, 256, 0.25)
        write_image(tmp_path / "frames" / sample / "apex.png", apex)
        (tmp_path / "frames" / sample / "box.json").write_text(json.dumps(info))
    out = tmp_path / "agreement.tsv"
    assert (
        landmark_agreement.main(
            ["--frames-dir", str(tmp_path / "frames"), "--aus", "1,12", "--image-size", "224", "--out", str(out)]
        )
        == 0
    )
    with open(out, newline="") as handle:
        rows = {row["region"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert list(rows) == ["AU1", "AU12", "all"]
    assert rows["AU1"]["samples"] == "2" and rows["AU1"]["token_sets"] == "2"
    assert 0 < float(rows["AU12"]["mean_distance"]) < 0.1 and float(rows["all"]["max_distance"]) < 0.3
    assert rows["all"]["tokens"] == ""
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_an_unknown_au_or_an_empty_folder_gives_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = [
        "landmark-agreement",
        "--frames-dir",
        str(tmp_path),
        "--image-size",
        "224",
        "--out",
        str(tmp_path / "a.tsv"),
    ]
    assert cli.main([*command, "--aus", "5"]) == 2
    expected = "microau landmark-agreement: error: --aus: Table I has no landmarks for AU 5"
    assert capsys.readouterr().err.strip() == expected
    assert cli.main([*command, "--aus", "1,2,4,7,12,14,15,17"]) == 2
    assert "no sample folders with apex.png under" in capsys.readouterr().err
