from dataclasses import replace

import cv2
import numpy as np
import pytest

from microau.datasets.synthetic_long import synthesize_long
from microau.spotting.bench import default_settings
from microau.spotting.intervals import read_intervals
from microau.spotting.scoring import match
from microau.spotting.spot import main as spot_main
from microau.spotting.spotter import Signal, SpottingError, VideoSource, contrast, intervals_of, peaks

SETTINGS = default_settings()


def test_contrast_cancels_steady_motion_and_peaks_at_a_return():
    k = 3
    steady = np.tile([[1.0, 0.5]], (20, 1))[:, None, :]  # the same flow in and out: a drift
    assert np.allclose(contrast(steady, k)[:-k], 0)
    there_and_back = np.zeros((20, 1, 2))
    there_and_back[5:10, 0, 0] = 1.0  # flow into frames 5..9
    there_and_back[10:15, 0, 0] = -1.0  # and back out
    assert int(np.argmax(contrast(there_and_back, 5)[:, 0])) in range(5, 10)


def signal_with(values, eyes=None, k=3):
    values = np.asarray(values, float)
    eyes = np.zeros_like(values) if eyes is None else np.asarray(eyes, float)
    return Signal(30.0, len(values), 1, k, np.arange(len(values)), values, eyes)


def test_peaks_above_the_relative_threshold_apart_and_blinks_dropped():
    values = np.full(100, 0.01) + 0.001 * np.sin(np.arange(100))
    values[20], values[22], values[60], values[80] = 1.0, 0.9, 0.8, 0.7
    eyes = np.zeros(100)
    eyes[80] = 5.0  # the eyes moved far more than the face: a blink
    sig = signal_with(values, eyes)
    assert peaks(sig, SETTINGS) == [20, 60]
    spotted = intervals_of(sig, [20, 60], "micro", "v", "s")
    assert [(i.onset, i.apex, i.offset) for i in spotted] == [(17, 20, 23), (57, 60, 63)]


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
