"""The EAF format (`microau.io.elan`): frames and milliseconds round trip at common rates, and what
the writer puts under each tier mapping (a lab's names, one tier per AU, onset/apex/offset points)
reads back as the same micro-expressions."""

import os
from pathlib import Path

import pytest
from pympi.Elan import Eaf

from microau.io.elan import (
    EafContent,
    ElanError,
    MicroExpression,
    TierMapping,
    expressions,
    frame_at,
    ms_at,
    participant,
    read_eaf_file,
    validate_eaf,
    write_eaf,
)

XSD = os.environ.get("MICROAU_EAF_XSD", "")
DEFAULT = TierMapping("ME", "Emotion", "Apex", None, None)
CODED = [
    MicroExpression(3, 9, "1+2", 6, "surprise", {"AU01": 0.9, "AU02": 0.7}, {"joined": "positive"}),
    MicroExpression(40, 47, "12", 44, "happiness", {"AU01": 0.1, "AU02": 0.2}, {"joined": "positive"}),
]


def read_back(path: Path, mapping: TierMapping, fps: float = 25.0):
    problems = []
    eaf = read_eaf_file(path)
    found = expressions(eaf, mapping, fps, lambda *problem: problems.append(problem))
    return [(e.onset, e.apex, e.offset, e.codes, e.emotion) for e in found], participant(eaf, mapping), problems


def test_times_and_frames_round_trip_at_common_rates():
    for fps in (25.0, 29.97, 30.0, 50.0, 200.0):
        assert all(frame_at(ms_at(n, fps), fps) == n for n in range(3000)), fps


@pytest.mark.parametrize(
    "mapping",
    [
        DEFAULT,
        TierMapping("Micro", "Feeling", "Peak", None, None),
        TierMapping("ME", "Emotion", "Apex", "AU", None),
        TierMapping("ME", "Emotion", None, None, "Phases"),
    ],
    ids=["default", "lab names", "one tier per AU", "points"],
)
def test_each_mapping_reads_back_what_it_wrote(tmp_path, mapping):
    path = tmp_path / "p01.eaf"
    write_eaf(path, EafContent(tmp_path / "p01.avi", 25.0, "p01", CODED, {"macro": [(60, 90)]}), mapping)
    found, subject, problems = read_back(path, mapping)
    assert found == [(3, 6, 9, "1+2", "surprise"), (40, 44, 47, "12", "happiness")] and subject == "p01"
    assert problems == []


def test_the_writer_names_its_tiers_by_the_mapping(tmp_path):
    path = tmp_path / "p01.eaf"
    write_eaf(
        path, EafContent(tmp_path / "p01.avi", 25.0, "p01", CODED), TierMapping("ME", None, None, "AU", None), True
    )
    tiers = Eaf(str(path)).get_tier_names()
    assert set(tiers) == {"ME", "AU1", "AU2", "AU12", "microau emotion (joined)", "microau P(AU01)", "microau P(AU02)"}


def test_au_tiers_without_an_interval_tier_make_the_micro_expressions(tmp_path):
    eaf = Eaf(author="coder")
    eaf.remove_tier("default")
    for tier in ("AU01", "AU 12", "Notes"):
        eaf.add_tier(tier, part="p07")
    eaf.add_annotation("AU01", 120, 400, "C")
    eaf.add_annotation("AU 12", 200, 480, "L")
    eaf.add_annotation("AU01", 1000, 1200, "?x")
    eaf.add_annotation("Notes", 0, 100, "look")
    eaf.to_file(str(tmp_path / "au.eaf"))
    found, subject, problems = read_back(tmp_path / "au.eaf", TierMapping("ME", "Emotion", "Apex", "AU", None))
    assert found == [(3, None, 11, "1C+L12", ""), (25, None, 29, "1", "")] and subject == "p07"
    assert [p[2] for p in problems] == [
        "value '?x' is not a side (L, R, T, B) and/or intensity (A-E)",
        "tier 'Notes' (1 annotations) is not in the tier mapping",
    ]


@pytest.mark.skipif(not XSD, reason="set MICROAU_EAF_XSD to ELAN's EAFv2.8.xsd to validate exported files")
def test_exported_files_are_valid_eaf(tmp_path):
    write_eaf(tmp_path / "ok.eaf", EafContent(tmp_path / "v.avi", 25.0, "p01", CODED[:1]), DEFAULT)
    validate_eaf(tmp_path / "ok.eaf", Path(XSD))
    broken = tmp_path / "broken.eaf"
    broken.write_text((tmp_path / "ok.eaf").read_text().replace(' MIME_TYPE="video/x-msvideo"', ""))
    with pytest.raises(ElanError, match="is not valid against"):
        validate_eaf(broken, Path(XSD))
