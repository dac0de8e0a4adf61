import pytest

from microau.evaluation.bootstrap import Bootstrap
from microau.io.intervals import Interval
from microau.spotting.scoring import iou, match, spotting_rows, video_counts


def iv(onset, offset, kind="micro", video="v1", subject="s1"):
    return Interval(video, subject, kind, onset, -1, offset)


def test_iou_of_inclusive_frames():
    assert iou(iv(0, 9), iv(0, 9)) == 1.0
    assert iou(iv(0, 9), iv(5, 14)) == pytest.approx(5 / 15)
    assert iou(iv(0, 9), iv(10, 19)) == 0.0


def test_each_truth_matched_once_and_threshold_inclusive():
    truth = [iv(10, 19)]
    # two spotted intervals overlap the same truth: one TP, one FP
    assert match([iv(10, 19), iv(11, 20)], truth) == (1, 1, 0)
    # IoU exactly 0.5 counts (MEGC: >= 0.5): 10 frames vs 20 frames containing them
    assert match([iv(10, 29)], truth) == (1, 0, 0)
    assert match([iv(10, 30)], truth) == (0, 1, 1)


def test_greedy_prefers_the_best_pairs():
    truth = [iv(0, 9), iv(8, 17)]
    spotted = [iv(1, 10), iv(8, 17)]
    assert match(spotted, truth) == (2, 0, 0)


def test_pooled_over_videos_per_kind_and_overall_with_bootstrap():
    truth = [iv(0, 9), iv(100, 139, "macro"), iv(0, 9, video="v2", subject="s2")]
    spotted = [iv(0, 9), iv(50, 59), iv(100, 139, "macro")]
    counts = video_counts(spotted, truth, ["micro", "macro"])
    rows = spotting_rows(counts, ["micro", "macro"], ["s1", "s2"], Bootstrap(200, 0, 0.95))
    micro, macro, overall = rows
    assert (micro["TP"], micro["spotted"], micro["truth"]) == (1, 2, 2)
    assert micro["F1"] == pytest.approx(0.5)
    assert macro["F1"] == 1.0
    assert overall["kind"] == "overall"
    assert (overall["TP"], overall["spotted"], overall["truth"]) == (2, 3, 3)
    assert overall["F1_lo"] <= overall["F1"] <= overall["F1_hi"]


def test_one_kind_has_no_overall_row():
    rows = spotting_rows(video_counts([], [iv(0, 9)], ["micro"]), ["micro"], ["s1"])
    assert [r["kind"] for r in rows] == ["micro"]
    assert rows[0]["F1"] == 0.0 and rows[0]["recall"] == 0.0
