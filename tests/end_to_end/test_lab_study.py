"""A study as a lab hands one over, through the workflow's index and faces stages: two participants'
`videos/<p>/interview.mp4` coded in ELAN and imported, rows typed by hand after them, and every bad
row of docs/own-data.md's list planted among them. Each is named once, with its table row or its
file's path, in the one report `results/faces/<name>/validation.tsv`, and the run goes on."""

import numpy as np
import pytest
from pympi.Elan import Eaf, to_eaf

from microau.cli import main as cli_main
from microau.io.sample_table import read_rows
from tests.datasets.test_elan import PARTICIPANTS, coded_eaf, write_mp4
from tests.end_to_end.test_workflow import place_config, snakemake

pytestmark = pytest.mark.slow

TYPED = """\
p03,videos/p03/missing.mp4,1,3,5,1,surprise,25,1
p03,videos/bad.mp4,1,3,5,1,surprise,25,1
p01,videos/p01/interview.mp4,25,5,6,2,surprise,25,1
p01,videos/p01/interview.mp4,23,26,30,4+x7,disgust,25,1
p02,videos/p02/interview.mp4,23,26,30,AU99,surprise,25,1
p02,videos/p02/interview.mp4,25,28,99,1,surprise,25,1
p01,videos/p01/interview.mp4,26,28,31,12,happiness,30,1
p01,videos/p01/interview.mp4,1,8,11,1+2,surprise,25,1
p04,videos/p04/away.mp4,1,3,6,4,disgust,25,1
"""
"""Rows 6 to 14 of codes.csv, typed after the import's rows 2 to 5: each a planted fault."""

PLANTED = [
    "codes_validation.tsv: elan/p09.eaf: no linked video found",
    "codes.csv row 6: clip videos/p03/missing.mp4 not found",
    "codes.csv row 7: video videos/bad.mp4 cannot be decoded",
    "codes.csv row 8: offset '6' is missing or before onset 25, and apex '5' cannot replace it",
    "codes.csv row 9: AU piece 'x7' in '4+x7' is not an AU code",
    "codes.csv row 10: no AU code in 'AU99' is readable",
    "codes.csv row 11: offset 99 is beyond the 33 frames of videos/p02/interview.mp4",
    "codes.csv row 12: fps 30 in the table but 25 in interview.mp4",
    "codes.csv row 13: sample p01_interview_1 coded twice (first in codes.csv row 2)",
    "codes.csv row 14: no face detected in onset frame",
]

CONFIG = """\
targets: [study]
datasets:
  study:
    reader: table
    root: {root}
    aus: [1, 2, 4, 7, 12, 14, 15, 17]
    class3: {{positive: [happiness], negative: [disgust], surprise: [surprise]}}
spotting_targets: []
"""


def lab_study(root):
    """The study folder: ELAN files imported into codes.csv, the typed rows appended, the videos."""
    for participant in PARTICIPANTS:
        coded_eaf(root, participant)
    eaf = Eaf(author="coder")
    eaf.add_linked_file("file:///nowhere/p09.mp4", relpath="../videos/p09.mp4", mimetype="video/mp4")
    to_eaf(str(root / "elan" / "p09.eaf"), eaf)
    (root / "videos" / "bad.mp4").write_bytes(b"not a video" * 100)
    write_mp4(root / "videos" / "p04" / "away.mp4", [np.full((360, 640, 3), 127, np.uint8)] * 11)
    argv = ["elan-import", str(root / "elan"), "--out", str(root / "codes.csv"), "--first-frame", "1"]
    assert cli_main(argv) == 0
    with open(root / "codes.csv", "a", newline="") as table:
        table.write(TYPED.replace("\n", "\r\n"))
    return root


def test_every_planted_fault_is_named_once_in_the_one_report(tmp_path):
    study = lab_study(tmp_path / "study")
    place_config(tmp_path / "run", CONFIG.format(root=study))
    result = snakemake(tmp_path / "run", "results/faces/study/validation.tsv")
    assert result.returncode == 0, result.stderr[-4000:]
    report = read_rows(tmp_path / "run" / "results" / "faces" / "study" / "validation.tsv")[1]
    print("\n".join(f"{row['problem']} -> {row['action']}" for row in report))
    for planted in PLANTED:
        assert sum(row["problem"].startswith(planted) for row in report) == 1, planted
    # the rest: per coded file its Notes tier and the emotion outside every ME (the import's rows), and
    # the apexes the coders left blank, found by motion (rows 3 and 5, the second ME of each file)
    others = sorted(row["problem"] for row in report if not any(row["problem"].startswith(p) for p in PLANTED))
    assert [p.split(":")[0] for p in others] == ["codes.csv row 3", "codes.csv row 5"] + ["codes_validation.tsv"] * 4
    assert all(p.startswith(("codes_validation.tsv: elan/p0", "codes.csv row")) for p in others), others
    samples = read_rows(tmp_path / "run" / "results" / "faces" / "study" / "samples.tsv")[1]
    assert sorted(row["sample"] for row in samples) == sorted(
        ["p01_interview_1", "p01_interview_12", "p02_interview_1", "p02_interview_12"]
        + ["p01_interview_23", "p02_interview_25", "p01_interview_26"]
    )
