"""Issue 39: blinks from the eyes' landmarks, macro-expressions chained from the micro pass's flows."""

from dataclasses import replace

import numpy as np

from microau.spotting.bench import default_settings
from microau.spotting.spotter import (
    EYES68,
    MACRO_LONGEST_S,
    MOUTH,
    ROIS,
    BlinkTracker,
    MacroSignal,
    RegionFlows,
    Signal,
    blinks,
    chained,
    eye_aspect,
    head_residue,
    intervals_of,
    joined_macros,
    macro_signal,
    macro_threshold,
    moves_again,
    noise_floor,
    peaks,
    relative_threshold,
    split_kinds,
    whole_windows,
)

SETTINGS = default_settings()


def eye_points(opening: float) -> np.ndarray:
    points = np.zeros((68, 2))
    for start, x0 in ((36, 0.0), (42, 40.0)):
        # corners 20 px apart, the upper lid `opening` / 2 above the corners' line, the lower below
        points[start] = (x0, 0)
        points[start + 3] = (x0 + 20, 0)
        points[start + 1], points[start + 2] = (x0 + 7, -opening / 2), (x0 + 13, -opening / 2)
        points[start + 4], points[start + 5] = (x0 + 13, opening / 2), (x0 + 7, opening / 2)
    return points


def test_the_eye_aspect_ratio_is_the_opening_over_the_width_and_ignores_the_face_size():
    assert abs(eye_aspect(eye_points(6.0)) - 0.3) < 1e-9
    assert abs(eye_aspect(2 * eye_points(6.0)) - 0.3) < 1e-9
    assert eye_aspect(eye_points(1.0)) < 0.06
    assert len(EYES68) == 2


def test_a_blink_is_a_fall_of_the_aspect_ratio_against_its_recent_median():
    settings = replace(SETTINGS, blink_sample_s=0.02, blink_baseline_s=1.0, blink_drop=0.12)
    tracker = BlinkTracker(settings, 50.0, 1)
    states = [tracker.add(t, 0.3 if t not in (60, 61) else 0.15) for t in range(100)]
    assert states[60] and states[61] and not any(states[:60]) and not any(states[62:])
    assert abs(tracker.closure[60] - 0.5) < 1e-9
    tracker.reset()
    assert not tracker.add(100, 0.3)  # a new face box: the median starts again


def signal_of(face, k, closure=None):
    n = len(face)
    return Signal(
        50.0,
        n,
        1,
        k,
        np.arange(n),
        np.asarray(face, float),
        np.zeros(n),
        None,
        np.asarray(face, float),
        None,
        None,
        None if closure is None else np.asarray(closure, float),
    )


def test_the_landmarks_blink_test_and_the_flows_each_find_a_blink():
    sig = signal_of(np.zeros(10), 2, closure=[0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0])
    sig.eyes[6] = SETTINGS.blink_closing + 0.01
    assert list(np.nonzero(blinks(sig, SETTINGS))[0]) == [2, 6]


def test_chained_flows_join_end_to_end():
    steps = np.zeros((20, 1, 2))
    steps[4:8, 0, 0] = 1.0  # the flow of k = 1 sample: one px a sample from 3 to 7
    long = chained(steps, 1, 4)
    assert long[7, 0, 0] == 4.0 and long[9, 0, 0] == 2.0 and long[3, 0, 0] == 0.0


def macro_of(values, k, held, moved, regions=3):
    sig = signal_of(values, k)
    return MacroSignal(
        sig,
        np.tile(np.asarray(held, float)[:, None], (1, regions)),
        np.tile(np.asarray(moved, float)[:, None], (1, regions)),
    )


def test_a_quick_peak_is_micro_and_a_slow_or_held_one_is_macro():
    n, k, big = 200, 5, 20
    micro = np.zeros(n)
    micro[50], micro[150] = 1.0, 0.4  # a quick expression at 50, the onset of a slower one at 150
    macro = np.zeros(n)
    macro[52], macro[155] = 0.6, 1.0  # the macro signal: the same quick movement at 52, a slow one at 155
    held, moved = np.zeros(n), np.full(n, 1.0)
    settings = replace(SETTINGS, noise_z=0.0)
    quick, slow = split_kinds(signal_of(micro, k), macro_of(macro, big, held, moved), settings)
    assert quick == [50] and slow == [155]
    held[50] = 2.5  # the skin did not return across the macro window: a held expression's onset
    quick, slow = split_kinds(signal_of(micro, k), macro_of(macro, big, held, moved), settings)
    assert quick == [] and slow == [52, 155]


def test_a_window_is_whole_only_where_every_sample_in_it_has_a_flow():
    flowed = np.ones(30, bool)
    flowed[10:13] = False  # the first k = 3 samples of a new face box
    whole = whole_windows(flowed, 2, 4)
    assert list(np.nonzero(~whole)[0]) == [0, 1, *range(6, 15), 26, 27, 28, 29]


def test_a_quick_peak_whose_return_is_unseen_across_a_new_face_box_stays_micro():
    # the tiny workflow's AU1+2 of video s01 (seed 0) 2 samples before the box of 10 s: the flows of its
    # return are missing, so the chained net flow read 2.7 times its contrast and it was taken as held
    n, k, big = 200, 5, 20
    micro, macro = np.zeros(n), np.zeros(n)
    micro[50], macro[52] = 1.0, 0.6
    held, moved = np.zeros(n), np.full(n, 1.0)
    held[50] = 2.7
    settings = replace(SETTINGS, noise_z=0.0)
    assert split_kinds(signal_of(micro, k), macro_of(macro, big, held, moved), settings)[0] == []
    held[50] = np.nan  # not measured: a flow of the window is missing
    assert split_kinds(signal_of(micro, k), macro_of(macro, big, held, moved), settings) == ([50], [])


def test_motion_moves_again_when_it_peaks_at_half_its_level_beyond_2k_within_the_window():
    series = np.zeros(100)
    series[50] = 1.0
    assert not moves_again(series, 50, 3, 20)
    series[58] = 0.4  # under half its level
    assert not moves_again(series, 50, 3, 20)
    series[55] = 0.6  # within 2k of it: the same movement
    assert not moves_again(series, 50, 3, 20)
    series[62] = 0.6  # a syllable later
    assert moves_again(series, 50, 3, 20)
    assert not moves_again(series, 50, 3, 10)  # beyond the window


def test_a_peak_whose_mouth_moves_again_is_not_micro_and_other_regions_may():
    n, k, big = 200, 5, 20
    micro, macro = np.zeros(n), np.zeros(n)
    micro[50], macro[52] = 1.0, 0.6
    regions = len(ROIS)
    moved = np.zeros((n, regions))
    moved[50, list(MOUTH[:3])] = 1.0  # the jaw and lips at a syllable...
    moved[62, list(MOUTH[:3])] = 0.8  # ...and at the next, 0.24 s later at 50 Hz
    macro_sig = MacroSignal(signal_of(macro, big), np.zeros((n, regions)), moved)
    settings = replace(SETTINGS, noise_z=0.0, smooth_s=0.0)
    assert split_kinds(signal_of(micro, k), macro_sig, settings)[0] == []
    brows = [i for i, (name, _, _) in enumerate(ROIS) if "brow" in name][:3]
    moved[:] = 0.0
    moved[50, brows], moved[62, brows] = 1.0, 0.8  # the brows moving twice: no mouth among its regions
    assert split_kinds(signal_of(micro, k), macro_sig, settings)[0] == [50]


def test_the_macro_threshold_takes_its_noise_floor_from_the_micro_signal():
    rng = np.random.default_rng(3)
    k, big, n = 5, 20, 400
    micro = signal_of(0.05 + 0.01 * np.abs(rng.standard_normal(n)), k)
    macro_values = np.full(n, 0.3)
    macro_values[100:300] = 1.0  # a long expression fills half the video: the macro signal's own median and MAD move
    macro = signal_of(macro_values, big)
    floor = noise_floor(micro.face, SETTINGS)
    assert macro_threshold(micro, macro, SETTINGS) == max(
        macro_values.mean() + SETTINGS.macro_threshold_p * (1.0 - macro_values.mean()), np.sqrt(big / k) * floor
    )
    assert macro_threshold(micro, macro, SETTINGS) < 1.0 < noise_floor(macro_values, SETTINGS)


def test_a_blink_stops_a_macro_peak_only_within_k_of_its_apex():
    k, big, n = 5, 20, 200
    values = np.zeros(n)
    values[100] = 1.0
    sig = replace(signal_of(values, big), eye_free=np.zeros(n))  # the regions away from the eyes do not carry it
    sig.eyes[100 + 3 * k] = 1.0  # a blink 3k after the apex: inside K, outside k
    assert peaks(sig, SETTINGS, blink_reach=k) == [100]
    assert peaks(sig, SETTINGS) == []  # judged within K, as a micro peak's blink within its k
    sig.eyes[100 + k - 1] = 1.0
    assert peaks(sig, SETTINGS, blink_reach=k) == []


def joined_case(offset_net):
    """Two macro apexes, 60 and 140 (K = 20), on 3 regions: the first leaves the face moved by (1, 0) px."""
    n, big, regions = 300, 20, 3
    values = np.zeros(n)
    values[60], values[140] = 1.0, 0.9
    net = np.zeros((n, regions, 2))
    net[60] = (1.0, 0.0)
    net[140] = offset_net
    regional = np.full((n, regions), 0.5)
    return MacroSignal(signal_of(values, big), np.linalg.norm(net, axis=2), regional, net, regional)


def test_a_held_expressions_onset_and_offset_are_joined_into_one_macro_interval():
    macro = joined_case((-0.9, 0.0))  # the second apex moves the face back: the offset
    apexes, ends = joined_macros(macro, [60, 140], SETTINGS)
    assert apexes == [60] and ends == {60: 140}
    (interval,) = intervals_of(macro.signal, apexes, "macro", "v", "s", ends)
    assert (interval.onset, interval.apex, interval.offset) == (40, 60, 160)
    assert joined_macros(joined_case((1.0, 0.0)), [60, 140], SETTINGS) == ([60, 140], {})  # moved further: two
    assert joined_macros(joined_case((0.0, 0.9)), [60, 140], SETTINGS) == ([60, 140], {})  # another movement
    far = joined_case((-0.9, 0.0))
    longest = int(round(MACRO_LONGEST_S * 50.0))
    assert joined_macros(far, [60, 60 + longest], SETTINGS)[1] == {}  # longer than a macro-expression


def test_a_macro_window_whose_flows_all_had_the_eyes_painted_out_is_marked_so():
    k, n, count = 2, 80, len(ROIS)
    eyeless = np.full((n, count, 2), np.nan)
    eyeless[10:61] = 0.0  # the eye-painted flow computed around a blink
    zeros = np.zeros((n, count, 2))
    flows = RegionFlows(1, k, np.arange(n), zeros, np.zeros((n, 2, 4)), zeros, eyeless)
    macro = macro_signal(flows, SETTINGS, 50.0, n).signal
    big = macro.k
    assert big == 4 * k
    # the window's flows end at t - K + k .. t + K: all of them painted
    assert list(np.nonzero(macro.masked)[0]) == list(range(10 + big - k, 61 - big))


def test_a_head_moves_residue_is_not_spotted_and_does_not_set_the_relative_threshold():
    k, n = 5, 300
    values = np.full(n, 0.01)
    values[100], values[200] = 1.0, 0.15  # a turn's residue at 100 (a quarter of its motion), an expression at 200
    head = np.zeros(n)
    head[95:106] = 4.0  # the head's own in-against-out motion around 100
    sig = replace(signal_of(values, k), head=head)
    residue = head_residue(sig, SETTINGS)
    assert residue[100] and not residue[200]
    assert residue[90] and not residue[89]  # within k of the head's motion, and under its share
    mean = values.mean()
    # the max is the expression's, not the residue's
    assert relative_threshold(sig, SETTINGS, 0.2) == mean + 0.2 * (0.15 - mean)
    assert peaks(sig, SETTINGS) == [200]
    assert peaks(replace(sig, head=None), SETTINGS) == [100]  # the residue would be spotted and hide the rest
