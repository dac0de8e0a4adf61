"""microau's spot-then-recognise scores against MEGC's own scorer on that scorer's sample data.

The challenge's STRS scorer (github.com/genbing99/STRS-Metric) ships a truth and a prediction file
(data/gt.csv, data/pred.csv: 244 CASME II-named intervals, five emotions). Its `main.py`, run at
eb86468 under pandas 1.5 (its code needs DataFrame.append), prints the figures asserted here. Neither
its code nor its data is copied into this repository: set STRS_METRIC_DIR to a checkout of it to run
these tests (docs/spotting.md, "Checked against the scorer").
"""

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from microau.io.intervals import Interval, write_intervals
from microau.io.result_tables import read_result_table
from microau.spotting.recognition import recognition_counts, recognition_scores
from microau.spotting.releases import LongVideoRow, write_videos
from microau.spotting.scoring import f1_parts, matched_pairs
from microau.spotting.spot import write_analysis
from microau.spotting.table import main

SCORER = os.environ.get("STRS_METRIC_DIR")
pytestmark = pytest.mark.skipif(not SCORER, reason="STRS_METRIC_DIR (a checkout of genbing99/STRS-Metric) not set")
CLASS3 = {"positive": ["happiness"], "negative": ["disgust", "repression"], "surprise": ["surprise"]}


def sample(name: str) -> list[Interval]:
    """The scorer's sample file as intervals, a video per subject and video name, apex halfway."""
    out = []
    with open(Path(SCORER) / "data" / name, newline="") as handle:
        for row in csv.DictReader(handle):
            onset, offset = int(row["onset"]), int(row["offset"])
            video = f"{row['subject']}_{row['video']}"
            out.append(Interval(video, row["subject"], "micro", onset, (onset + offset) // 2, offset, row["emotion"]))
    return out


def test_every_emotion_of_the_truth_scores_as_the_scorers_main_prints():
    """`main.py` as shipped (analysis_emotion=None: the truth's five emotions)."""
    truth, predicted = sample("gt.csv"), sample("pred.csv")
    videos = defaultdict(lambda: ([], []))
    for t in truth:
        videos[t.video][0].append(t)
    for p in predicted:
        videos[p.video][1].append(p)
    tp = fp = fn = 0
    pairs = []
    for video_truth, video_spotted in videos.values():
        matched = matched_pairs(video_spotted, video_truth)
        tp, fp, fn = tp + len(matched), fp + len(video_spotted) - len(matched), fn + len(video_truth) - len(matched)
        pairs += [(video_truth[j].emotion, video_spotted[i].emotion) for i, j in matched]
    assert (tp, fp, fn) == (159, 85, 85)
    spotting_f1 = float(f1_parts(tp, fp, fn)[2])
    classes = sorted({t.emotion for t in truth})
    scores = recognition_scores(recognition_counts(*zip(*pairs), classes))
    assert (scores["TP"], scores["FP"], scores["FN"]) == (96, 63, 63)
    printed = {"precision": 0.5983, "recall": 0.5872, "F1": 0.5927, "UF1": 0.5766, "UAR": 0.5983}
    assert {name: round(scores[name], 4) for name in printed} == printed
    assert round(spotting_f1, 4) == 0.6516 and round(spotting_f1 * scores["F1"], 4) == 0.3862


def test_the_three_classes_score_through_spotting_table_as_the_scorer_with_them(tmp_path):
    """The same files with the emotions mapped to MEGC's classes (`others` left as it is) and the
    scorer told analysis_emotion=['negative', 'positive', 'surprise']. It prints analysis TP 49, FP
    7, FN 7, precision 0.8462, recall 0.6538, F1 0.7376, UF1 0.7142, UAR 0.8462, STRS 0.4807: every
    figure here but FN, which it counts as its FP (docs/spotting.md); here FN is the 42 matched truths
    of a class recognised as anything else, 35 of them as `others`."""
    truth, predicted = sample("gt.csv"), sample("pred.csv")
    label = {emotion: name for name, emotions in CLASS3.items() for emotion in emotions}
    videos = sorted({(t.video, t.subject) for t in truth})
    write_videos(tmp_path / "videos.tsv", [LongVideoRow(v, s, "none", 30.0, 1000) for v, s in videos])
    write_intervals(tmp_path / "truth.csv", truth)
    spotted, recognised = [], []
    for video, _subject in videos:
        mine = [p for p in predicted if p.video == video]
        spotted.append(tmp_path / f"{video}.csv")
        recognised.append(tmp_path / f"{video}_analysis.csv")
        write_intervals(spotted[-1], mine)
        write_analysis(
            recognised[-1],
            [
                {
                    **{"video": p.video, "kind": "micro", "onset": p.onset, "apex": p.apex, "offset": p.offset},
                    **{"onset_s": 0, "apex_s": 0, "offset_s": 0},
                    "emotion_combinations": label.get(p.emotion, p.emotion),
                }
                for p in mine
            ],
        )
    argv = ["--dataset", "sample", "--videos", str(tmp_path / "videos.tsv"), "--truth", str(tmp_path / "truth.csv")]
    argv += ["--spotted", *map(str, spotted), "--kinds", "micro", "--settings-json", "{}", "--config-hash", "none"]
    argv += ["--resamples", "10", "--resample-seed", "0", "--confidence", "0.9", "--recognised", *map(str, recognised)]
    argv += ["--class3", json.dumps(CLASS3), "--reading", "combinations", "--table", str(tmp_path / "table.csv")]
    assert main(argv) == 0
    _, (row,) = read_result_table(tmp_path / "table.csv")
    assert (row["TP"], row["F1"]) == ("159", "0.6516")
    assert (row["recognition_TP"], row["recognition_FP"], row["recognition_FN"]) == ("49", "7", "42")
    printed = {"precision": "0.8462", "recall": "0.6538", "F1": "0.7376", "UF1": "0.7142", "UAR": "0.8462"}
    assert {name: row[f"recognition_{name}"] for name in printed} == printed
    assert row["STRS"] == "0.4807"
