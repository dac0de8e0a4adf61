import pytest

from microau.datasets.generators.synthetic_long import LongSynthesisError, plan_video, rise_and_fall, step


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


def test_eye_expressions_lie_before_during_and_after_their_blinks_and_heads_turn():
    from microau.datasets.generators.synthetic_long import BLINK_PLACES, CLEARANCE_S, EYE_SETS

    video = plan_video(4, 0, "s01", 1000.0, 60.0, 6, head_motion="rigid", expression_set="eyes")
    assert {tuple(e.aus) for e in video.expressions} == set(EYE_SETS)
    assert {e.blink for e in video.expressions} == set(BLINK_PLACES)
    for e in video.expressions:
        near = [b for b in video.blinks if b.start - 400 <= e.offset and e.onset <= b.end + 400]
        assert len(near) == 1  # its own blink, and no other within CLEARANCE_S
        (blink,) = near
        if e.blink == "before":
            assert e.offset < blink.start
        elif e.blink == "after":
            assert e.onset > blink.end
        else:
            assert e.onset <= blink.start <= e.offset
        others = [b for b in video.blinks + video.shifts if b is not blink]
        assert all(b.end < e.onset - CLEARANCE_S * 1000 or b.start > e.offset + CLEARANCE_S * 1000 for b in others)
    assert all(s.roll_deg or s.scale for s in video.shifts)
    assert {e.emotion for e in video.expressions} == {"disgust", "happiness", "others"}  # 4+7, 6+12, 4 and 7


def test_the_default_plan_is_unchanged_by_the_new_options():
    shift = plan_video(1, 0, "s01", 30.0, 60.0, 12)
    rigid = plan_video(1, 0, "s01", 30.0, 60.0, 12, head_motion="rigid")
    assert [(s.start, s.end, s.shift_px) for s in shift.shifts] == [(s.start, s.end, s.shift_px) for s in rigid.shifts]
    assert [(e.onset, e.aus) for e in shift.expressions] == [(e.onset, e.aus) for e in rigid.expressions]
    assert all(s.roll_deg == 0 and s.scale == 0 for s in shift.shifts)


def test_the_head_pose_is_the_identity_before_any_event_and_a_roll_after():
    import numpy as np

    from microau.datasets.generators.synthetic_long import Event, head_pose

    centre = np.array([320.0, 240.0])
    events = [Event(10, 20, (0.0, 0.0), 90.0, 0.0, (0.0, 0.0))]
    assert np.allclose(head_pose(events, 0, np.zeros(2), centre), [[1, 0, 0], [0, 1, 0]])
    pose = head_pose(events, 30, np.zeros(2), centre)  # rolled 90 degrees about the centre
    assert np.allclose(pose @ [420.0, 240.0, 1.0], [320.0, 140.0], atol=1e-6)


def test_distractor_implementations_are_named_in_families_and_some_held_out():
    from microau.datasets.generators.distractors import FAMILIES, HELD_OUT, DistractorError, parse

    assert len(FAMILIES["blink"]) >= 3 and {"gaze", "speech", "head", "macro", "compression"} <= set(FAMILIES)
    for family, impls in FAMILIES.items():
        held = [i for i in impls if f"{family}:{i}" in HELD_OUT]
        assert 1 <= len(held) < len(impls)  # each family: developed on some, scored on others
    with pytest.raises(DistractorError, match="choose from"):
        parse("blink:wink")


def test_distractor_events_keep_the_expressions_clear_and_the_frame_rates_share_them():
    slow = plan_video(5, 0, "s01", 30, 30, 4, "rigid", "all", "speech:syllables")
    fast = plan_video(5, 0, "s01", 200, 30, 4, "rigid", "all", "speech:syllables")
    assert slow.events and len(slow.events) == len(fast.events)
    for a, b in zip(slow.events, fast.events):
        assert abs(a.start / 30 - b.start / 200) < 2 / 30 and 2.0 <= (a.end - a.start) / 30 <= 4.1
    for e in slow.expressions:
        for event in slow.events:
            assert event.end < e.onset or event.start > e.offset
    # a blink implementation keeps the blinks' times, a slow one lengthens them
    plain, stretched = (
        plan_video(5, 0, "s01", 30, 30, 4),
        plan_video(5, 0, "s01", 30, 30, 4, "shift", "all", "blink:slow_partial"),
    )
    assert [b.start for b in plain.blinks] == [b.start for b in stretched.blinks]
    assert all(s.end - s.start > p.end - p.start for p, s in zip(plain.blinks, stretched.blinks))
