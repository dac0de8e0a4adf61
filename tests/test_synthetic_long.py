import pytest

from microau.datasets.synthetic_long import LongSynthesisError, plan_video, rise_and_fall, step


def test_events_are_drawn_in_seconds_so_frame_rates_share_them():
    slow, fast = plan_video(0, 0, "s01", 30, 30, 10), plan_video(0, 0, "s01", 200, 30, 10)
    assert len(slow.expressions) == len(fast.expressions) == 5
    for a, b in zip(slow.expressions, fast.expressions):
        assert abs(a.onset / 30 - b.onset / 200) < 2 / 30
        assert a.aus == b.aus
        assert 0.2 <= (b.offset - b.onset + 1) / 200 <= 0.55


def test_expressions_keep_clear_of_blinks_and_head_shifts():
    video = plan_video(3, 1, "s02", 30, 60, 12)
    assert len(video.expressions) == 12 and video.blinks and video.shifts
    for e in video.expressions:
        for event in video.blinks + video.shifts:
            assert event.end < e.onset - 25 or event.start > e.offset + 25


def test_a_video_too_short_for_its_expressions_is_an_error():
    with pytest.raises(LongSynthesisError, match="lengthen --duration-s"):
        plan_video(0, 0, "s01", 30, 5, 60)


def test_profiles_rise_to_one_and_steps_settle():
    assert rise_and_fall(10, 10, 15, 20) == 0.0 and rise_and_fall(15, 10, 15, 20) == 1.0
    assert rise_and_fall(21, 10, 15, 20) == 0.0
    assert step(0, 5, 10) == 0.0 and step(10, 5, 10) == 1.0 and 0 < step(7, 5, 10) < 1
