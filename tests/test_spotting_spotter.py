from dataclasses import replace

import cv2
import numpy as np
import pytest

from microau.datasets.synthetic_long import synthesize_long
from microau.io.intervals import read_intervals
from microau.spotting.bench import default_settings
from microau.spotting.scoring import match
from microau.spotting.spot import main as spot_main
from microau.spotting.spotter import (
    Face,
    Signal,
    SpottingError,
    VideoSource,
    contrast,
    face_fit_points,
    head_motion,
    intervals_of,
    peaks,
    subtract_head,
)

SETTINGS = default_settings()


def test_contrast_cancels_steady_motion_and_peaks_at_a_return():
    k = 3
    steady = np.tile([[1.0, 0.5]], (20, 1))[:, None, :]  # the same flow in and out: a drift
    assert np.allclose(contrast(steady, k)[:-k], 0)
    there_and_back = np.zeros((20, 1, 2))
    there_and_back[5:10, 0, 0] = 1.0  # flow into frames 5..9
    there_and_back[10:15, 0, 0] = -1.0  # and back out
    assert int(np.argmax(contrast(there_and_back, 5)[:, 0])) in range(5, 10)


def signal_with(values, eyes=None, k=3, eye_free=None, head=None):
    values = np.asarray(values, float)
    eyes = np.zeros_like(values) if eyes is None else np.asarray(eyes, float)
    return Signal(
        30.0,
        len(values),
        1,
        k,
        np.arange(len(values)),
        values,
        eyes,
        np.ones(len(values), bool),
        values if eye_free is None else np.asarray(eye_free, float),
        None if head is None else np.asarray(head, float),
    )


def test_peaks_above_the_relative_threshold_apart_and_blinks_dropped():
    values = np.full(100, 0.01) + 0.001 * np.sin(np.arange(100))
    values[20], values[22], values[60], values[80] = 1.0, 0.9, 0.8, 0.7
    eyes = np.zeros(100)
    eyes[80] = 0.5  # the upper lids fell by half the opening: a blink
    eye_free = values.copy()
    eye_free[78:83] = 0.01  # and the regions away from the eyes did not move
    sig = signal_with(values, eyes, eye_free=eye_free)
    assert peaks(sig, SETTINGS) == [20, 60]
    spotted = intervals_of(sig, [20, 60], "micro", "v", "s")
    assert [(i.onset, i.apex, i.offset) for i in spotted] == [(17, 20, 23), (57, 60, 63)]


def test_a_peak_beside_a_blink_is_kept_when_the_mouth_carries_it_and_a_head_move_residue_dropped():
    values = np.full(100, 0.01) + 0.001 * np.sin(np.arange(100))
    values[30], values[70] = 1.0, 0.9
    eyes = np.zeros(100)
    eyes[31] = 0.5  # a blink within k of the peak at 30 ...
    assert peaks(signal_with(values, eyes), SETTINGS) == [30, 70]  # ... whose eye-free regions carry it
    head = np.zeros(100)
    head[69] = 20.0  # the head moved 20 times the peak at 70: the peak is what its removal left
    assert peaks(signal_with(values, eyes, head=head), SETTINGS) == [30]


def test_the_head_motion_fit_recovers_an_affine_move_beside_an_expression():
    side = 128
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    motion = np.array([[0.02, -0.03, 1.5], [0.03, 0.02, -0.8]])  # a roll, a 2 % scale and a shift
    flow = np.dstack(
        [motion[0, 0] * xs + motion[0, 1] * ys + motion[0, 2], motion[1, 0] * xs + motion[1, 1] * ys + motion[1, 2]]
    )
    flow[40:60, 30:50, 1] -= 1.0  # an expression: a patch of skin moved 1 px up besides the head
    points = np.array(
        [[x, y] for x, y in zip(np.linspace(10, 118, 27), np.r_[np.linspace(20, 110, 17), np.linspace(30, 30, 10)])]
    )
    face = Face(
        (0, 0, side),
        [],
        [],
        np.ones(2),
        face_fit_points(np.vstack([points, [[64, 10], [10, 64], [118, 64], [64, 118]]]), side),
        np.zeros((0, 3)),
    )
    fitted = head_motion(flow.astype(np.float32), face)
    assert np.allclose(fitted, motion, atol=0.01)
    rest = subtract_head(flow.astype(np.float32), fitted, np.dstack([xs, ys, np.ones_like(xs)]))
    assert abs(rest[50, 40, 1] + 1.0) < 0.05 and np.abs(rest[100, 100]).max() < 0.05


def test_a_signal_of_noise_alone_stays_under_the_noise_floor():
    rng = np.random.default_rng(0)
    assert peaks(signal_with(0.05 + 0.005 * np.abs(rng.standard_normal(2000))), SETTINGS) == []


def test_a_frame_folder_is_read_in_the_order_of_its_frame_numbers(tmp_path):
    for n in (1, 2, 10):
        cv2.imwrite(str(tmp_path / f"img{n}.jpg"), np.full((8, 8, 3), n * 20, np.uint8))
    source = VideoSource(tmp_path, 30)
    assert [int(frame.mean() // 20) for _, frame in source.read()] == [1, 2, 10]
    with pytest.raises(SpottingError, match="give its frame rate"):
        VideoSource(tmp_path)


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    root = tmp_path_factory.mktemp("long")
    synthesize_long(root, seed=5, subjects=1, fps=30, duration_s=8, per_minute=8)
    return root


def test_spot_finds_the_known_micro_expression_of_a_synthetic_video(long_video, tmp_path, capsys):
    truth = read_intervals(long_video / "truth.csv")
    assert len(truth) == 1
    out = tmp_path / "s01.csv"
    argv = ["--video", str(long_video / "videos" / "s01.avi"), "--subject", "s01", "--out", str(out), "--quiet"]
    assert spot_main([*argv, "--settings-json", json_settings()]) == 0
    spotted = read_intervals(out)
    assert match(spotted, truth).tp == 1
    assert "s per minute" in capsys.readouterr().out


def json_settings(**changes):
    import json

    return json.dumps(replace(SETTINGS, **changes).__dict__)
