"""`microau elan-import` and the exports of `microau analyse --eaf-dir` / `--boris`
(`microau.datasets.elan`, `microau.datasets.boris`) on videos built from a real photograph
(skimage's astronaut): a coded .eaf -> table -> index, under the default and a lab's own tier
mapping; two participants' `interview` videos in per-participant folders through a trained fold
model and back, nothing overwritten and every number as analysed."""

import csv
import os
from pathlib import Path

import cv2
import pandas as pd
import pytest
from pympi.Elan import Eaf, to_eaf

from microau.cli import main as cli_main
from microau.datasets import build_index
from microau.datasets.elan import eaf_names, export_keys, import_folder
from microau.io.elan import ElanError, TierMapping, read_eaf_file
from tests.datasets.test_table import LAB
from tests.inference.test_analyse import astronaut_clip

DEFAULT = TierMapping("ME", "Emotion", "Apex", None, None)
PARTICIPANTS = ("p01", "p02")


def write_mp4(path: Path, frames) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def coded_eaf(study: Path, participant: str, tiers: tuple[str, str, str] = ("ME", "Emotion", "Apex")) -> Path:
    """A coder's `elan/<participant>/interview.eaf` over `videos/<participant>/interview.mp4` at 25 fps:
    two MEs (frames 0..10 with an apex at 7, and 11..21 without), their emotions, a Notes tier
    and an emotion outside every ME."""
    frames = astronaut_clip(11, 7)
    video = write_mp4(study / "videos" / participant / "interview.mp4", frames + frames + frames)
    path = study / "elan" / participant / "interview.eaf"
    me, emotion, apex = tiers
    eaf = Eaf(author="coder")
    eaf.remove_tier("default")
    relative = os.path.relpath(video, path.parent)
    eaf.add_linked_file(video.resolve().as_uri(), relpath=relative, mimetype="video/mp4")
    for tier in (me, emotion, apex, "Notes"):
        eaf.add_tier(tier, part=participant if tier == me else None)
    eaf.add_annotation(me, 0, 440, "1+2")
    eaf.add_annotation(emotion, 0, 440, "surprise")
    eaf.add_annotation(apex, 280, 320, "apex")
    eaf.add_annotation(me, 440, 880, "R12")
    eaf.add_annotation(emotion, 440, 880, "happiness")
    eaf.add_annotation("Notes", 100, 200, "left")
    eaf.add_annotation(emotion, 1000, 1100, "fear")
    path.parent.mkdir(parents=True, exist_ok=True)
    to_eaf(str(path), eaf)
    return path


HAND = [
    ["p01", "videos/p01/interview.mp4", "1", "8", "11", "1+2", "surprise", "25", "1"],
    ["p01", "videos/p01/interview.mp4", "12", "", "22", "R12", "happiness", "25", "1"],
    ["p02", "videos/p02/interview.mp4", "1", "8", "11", "1+2", "surprise", "25", "1"],
    ["p02", "videos/p02/interview.mp4", "12", "", "22", "R12", "happiness", "25", "1"],
]
"""The same coding typed by hand, frames counted from 1."""


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    for participant in PARTICIPANTS:
        coded_eaf(root, participant)
    return root


def table_rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_import_equals_the_hand_typed_table_and_reports_the_rest_by_path(study):
    table = study / "codes.csv"
    assert import_folder(study / "elan", table, study / "codes_validation.tsv", DEFAULT, 1) == (4, 4)
    assert table_rows(table) == HAND
    report = pd.read_csv(study / "codes_validation.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert report.to_dict("records")[:2] == [
        {
            "file": "elan/p01/interview.eaf",
            "where": "tier Emotion",
            "time": "1.000-1.100 s",
            "problem": "emotion 'fear' lies in no micro-expression",
            "action": "ignored",
        },
        {
            "file": "elan/p01/interview.eaf",
            "where": "tier Notes",
            "time": "",
            "problem": "tier 'Notes' (1 annotations) is not in the tier mapping",
            "action": "ignored",
        },
    ]
    # the table is a dataset for reader table (the apex coded, else found by motion: the clip peaks at
    # its 8th frame), and the import's report is part of the dataset's one report
    result = build_index(
        "lab",
        "table",
        study,
        frames_layout="selected",
        missing_apex="motion",
        clips_dir=study / "clips",
        first_frame=None,
        **LAB,
    )
    assert list(result.samples["apex"]) == [8, 19, 8, 19] and list(result.samples["subject"]) == [
        "p01",
        "p01",
        "p02",
        "p02",
    ]
    carried = [p for p in result.validation["problem"] if p.startswith("codes_validation.tsv: ")]
    assert carried[0] == (
        "codes_validation.tsv: elan/p01/interview.eaf (tier Emotion, 1.000-1.100 s): "
        "emotion 'fear' lies in no micro-expression"
    )
    assert len(carried) == 4


def test_a_labs_own_tier_names_come_from_the_config(tmp_path):
    for participant in PARTICIPANTS:
        coded_eaf(tmp_path, participant, ("Micro", "Feeling", "Peak"))
    config = tmp_path / "config.yaml"
    config.write_text("elan:\n  interval_tier: Micro\n  emotion_tier: Feeling\n  apex_tier: Peak\n")
    argv = ["elan-import", str(tmp_path / "elan"), "--out", str(tmp_path / "codes.csv"), "--first-frame", "1"]
    assert cli_main([*argv, "--config", str(config)]) == 0
    assert table_rows(tmp_path / "codes.csv") == HAND
    assert cli_main(argv) == 0  # the schema's default names find none of them
    assert table_rows(tmp_path / "codes.csv") == []


def layout_eaf(study: Path, participant: str, layout: str) -> Path:
    """`coded_eaf`'s coding (frames 0..10 with the apex at 7, 11..21 without; surprise, happiness) as
    FACS coders also lay it out in ELAN: one tier per AU (`AU1`, `AU2`, `AU12` valued with its side)
    with no interval tier, or onset/apex/offset points on one tier."""
    path = coded_eaf(study, participant)
    eaf = Eaf(str(path))
    eaf.remove_tier("ME")
    if layout == "au_tiers":
        for tier, start, end, value in (("AU1", 0, 440, ""), ("AU2", 0, 440, ""), ("AU12", 440, 880, "R")):
            eaf.add_tier(tier, part=participant)
            eaf.add_annotation(tier, start, end, value)
    else:
        eaf.remove_tier("Apex")
        eaf.add_tier("Phases", part=participant)
        for start, value in ((0, "onset 1+2"), (280, "apex"), (400, "offset"), (440, "onset R12"), (840, "offset")):
            eaf.add_annotation("Phases", start, start + 40, value)
    to_eaf(str(path), eaf)
    return path


@pytest.mark.parametrize(
    "layout, section",
    [("au_tiers", "elan: {au_tier_prefix: AU}\n"), ("phases", "elan: {phase_tier: Phases, apex_tier: null}\n")],
)
def test_one_tier_per_au_and_phase_points_import_as_the_hand_typed_table(tmp_path, layout, section):
    for participant in PARTICIPANTS:
        layout_eaf(tmp_path, participant, layout)
    (tmp_path / "config.yaml").write_text(section)
    argv = ["elan-import", str(tmp_path / "elan"), "--out", str(tmp_path / "codes.csv"), "--first-frame", "1"]
    assert cli_main([*argv, "--config", str(tmp_path / "config.yaml")]) == 0
    assert table_rows(tmp_path / "codes.csv") == HAND


def test_a_file_without_its_video_is_reported(tmp_path):
    eaf = Eaf(author="coder")
    eaf.add_linked_file("file:///nowhere/x.avi", relpath="./x.avi", mimetype="video/x-msvideo")
    (tmp_path / "elan").mkdir()
    to_eaf(str(tmp_path / "elan" / "x.eaf"), eaf)
    assert import_folder(tmp_path / "elan", tmp_path / "t.csv", tmp_path / "v.tsv", DEFAULT, 0) == (0, 1)
    assert (
        "elan/x.eaf\t\t\tno linked video found (links: ./x.avi, file:///nowhere/x.avi"
        in (tmp_path / "v.tsv").read_text()
    )
    with pytest.raises(ElanError, match="no .eaf file under"):
        import_folder(tmp_path / "empty", tmp_path / "t.csv", tmp_path / "v.tsv", DEFAULT, 0)


def test_exports_are_keyed_by_the_video_path_below_the_common_folder(tmp_path):
    videos = [tmp_path / "study/videos/p01/interview.mp4", tmp_path / "study/videos/p02/interview.mp4"]
    assert list(export_keys(videos).values()) == [Path("p01/interview.mp4"), Path("p02/interview.mp4")]
    assert list(export_keys(videos[:1]).values()) == [Path("interview.mp4")]
    both = [tmp_path / "study/videos/p01/interview.mp4", tmp_path / "study/videos/p01/interview.avi", videos[1]]
    assert list(eaf_names(export_keys(both)).values()) == [
        Path("p01/interview.mp4.eaf"),
        Path("p01/interview.avi.eaf"),
        Path("p02/interview.eaf"),
    ]


def test_round_trip_through_a_trained_model(study, fold_model, tmp_path):
    """coded .eafs of two participants' interview.mp4 -> table -> `microau analyse --eaf-dir --boris` with a
    trained fold model -> one .eaf per video and one BORIS project -> import: what was analysed, the
    participants and the coder's words."""
    table = tmp_path / "lab" / "codes.csv"
    assert cli_main(["elan-import", str(study / "elan"), "--out", str(table), "--first-frame", "0"]) == 0
    result = build_index(
        "lab",
        "table",
        table.parent,
        frames_layout="selected",
        missing_apex="motion",
        clips_dir=tmp_path / "clips",
        first_frame=None,
        **LAB,
    )
    imported = pd.read_csv(table)
    listing = pd.DataFrame(
        {
            "clip": imported["clip"],
            "id": result.samples["sample"],
            "onset": result.samples["onset"],
            "apex": result.samples["apex"],
            "offset": result.samples["offset"],
            "subject": imported["subject"],
            "emotion": imported["emotion"],
        }
    )
    listing.to_csv(tmp_path / "lab" / "listing.csv", index=False)
    out = tmp_path / "analysis.csv"
    argv = ["analyse", str(tmp_path / "lab" / "listing.csv"), "--model", str(fold_model), "--out", str(out)]
    argv += [
        "--eaf-dir",
        str(tmp_path / "eaf"),
        "--boris",
        str(tmp_path / "analysed.boris"),
        "--quiet",
        "--device",
        "cpu",
    ]
    assert cli_main(argv) == 0
    analysis = pd.read_csv(out)
    assert sorted(p.relative_to(tmp_path / "eaf").as_posix() for p in (tmp_path / "eaf").rglob("*.eaf")) == [
        "p01/interview.eaf",
        "p02/interview.eaf",
    ]
    on = [c for c in analysis.columns if c.endswith("_on")]
    predicted = ["+".join(str(int(c[2:4])) for c in on if row[c] == 1) for _, row in analysis.iterrows()]
    for name, command in (
        ("eaf", ["elan-import", str(tmp_path / "eaf")]),
        ("boris", ["boris-import", str(tmp_path / "analysed.boris")]),
    ):
        back = tmp_path / "back" / f"{name}.csv"
        assert cli_main([*command, "--out", str(back), "--first-frame", "0"]) == 0
        again = pd.read_csv(back, dtype=str, keep_default_na=False)
        assert (again["onset"] + ".." + again["offset"]).tolist() == (
            imported["onset"].astype(str) + ".." + imported["offset"].astype(str)
        ).tolist(), name
        assert again["apex"].astype(int).tolist() == result.samples["apex"].tolist(), name
        assert again["au"].tolist() == predicted, name
        # the participant and the coder's emotion words come back; the model's classes stand beside them
        assert again["subject"].tolist() == imported["subject"].tolist() == ["p01", "p01", "p02", "p02"], name
        assert again["emotion"].tolist() == imported["emotion"].tolist(), name
    classes = [
        a.value
        for p in PARTICIPANTS
        for a in read_eaf_file(tmp_path / "eaf" / p / "interview.eaf").tiers["microau emotion (combinations)"]
    ]
    assert classes == analysis["mer_combinations_pred"].tolist()


def test_spot_exports_each_participants_interview_and_they_import_back(study, fold_model, tmp_path):
    """`microau spot --intervals --model --eaf --boris` on both participants' interview.mp4: each export is
    present and imports back as the intervals analysed, the AUs decided, and the participant."""
    config = tmp_path / "spot.yaml"
    config.write_text("elan: {}\n")
    coded = [(0, 7, 10), (11, 16, 21)]
    for participant in PARTICIPANTS:
        intervals = tmp_path / participant / "intervals.csv"
        intervals.parent.mkdir()
        lines = ["video,subject,kind,onset,apex,offset,emotion"]
        lines += [f"interview,{participant},micro,{onset},{apex},{offset}," for onset, apex, offset in coded]
        intervals.write_text("\n".join(lines) + "\n")
        argv = ["spot", "--video", str(study / "videos" / participant / "interview.mp4"), "--config", str(config)]
        argv += ["--model", str(fold_model), "--intervals", str(intervals), "--subject", participant, "--quiet"]
        argv += ["--out", str(tmp_path / participant / "analysis.csv"), "--device", "cpu"]
        argv += ["--eaf", str(tmp_path / "eaf" / participant / "interview.eaf")]
        argv += ["--boris", str(tmp_path / "boris" / f"{participant}.boris")]
        assert cli_main(argv) == 0
    assert sorted(p.relative_to(tmp_path / "eaf").as_posix() for p in (tmp_path / "eaf").rglob("*.eaf")) == [
        "p01/interview.eaf",
        "p02/interview.eaf",
    ]
    analysed = []
    for participant in PARTICIPANTS:
        for row in pd.read_csv(tmp_path / participant / "analysis.csv", keep_default_na=False).to_dict("records"):
            codes = "+".join(str(int(c[2:-3])) for c in row if c.startswith("AU") and c.endswith("_on") and row[c] == 1)
            analysed.append((participant, str(row["onset"]), str(row["apex"]), str(row["offset"]), codes))
    boris = [str(tmp_path / "boris" / f"{participant}.boris") for participant in PARTICIPANTS]
    for name, command in (
        ("eaf", ["elan-import", str(tmp_path / "eaf")]),
        ("boris", ["boris-import", *boris]),
    ):
        back = tmp_path / "back" / f"{name}.csv"
        assert cli_main([*command, "--out", str(back), "--first-frame", "0"]) == 0
        again = pd.read_csv(back, dtype=str, keep_default_na=False)
        assert list(zip(again["subject"], again["onset"], again["apex"], again["offset"], again["au"])) == analysed
