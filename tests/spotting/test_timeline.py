import numpy as np

from microau.io.intervals import Interval
from microau.spotting.spotter import Signal
from microau.spotting.timeline import Timeline, timeline_figure


def test_the_spans_without_a_face_are_a_lane_of_their_own_in_seconds():
    n = 10
    sig = Signal(25.0, 250, 1, 2, np.arange(0, 250, 25), np.zeros(n), np.zeros(n))
    spotted = [Interval("v", "s", "micro", 10, 15, 20)]
    figure = timeline_figure(Timeline(25.0, {"micro": (sig, 0.1)}, spotted, None, [(50, 99), (200, 249)]), False)
    (lane,) = [trace for trace in figure["data"] if trace["name"] == "no face (not spotted)"]
    assert lane["x"] == [2.0, 3.96, None, 8.0, 9.96, None]
    assert [y for y in lane["y"] if y is not None] == ["no face"] * 4
    without = timeline_figure(Timeline(25.0, {"micro": (sig, 0.1)}, spotted, None), False)
    assert not [trace for trace in without["data"] if trace["name"].startswith("no face")]
