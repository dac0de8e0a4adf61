from dataclasses import replace

import cv2
import numpy as np
import pytest

from microau.datasets.generators.synthetic import (
    SubjectRenderer,
    detect_subject_landmarks,
    plan_subjects,
)
from microau.datasets.generators.synthetic_long import (
    Event,
    Expression,
    LongVideo,
    render_video,
    synthesize_long,
)
from microau.io.intervals import Interval, read_intervals
from microau.preprocess.video import VideoError, VideoSource, VideoWriter
from microau.spotting.bench import default_settings
from microau.spotting.scoring import match
from microau.spotting.spot import main as spot_main
from microau.spotting.spotter import (
    EYES68,
    NO_FACE_RETRY_S,
    ROIS,
    Face,
    RegionFlows,
    Signal,
    SpottingError,
    contrast,
    eye_mask,
    face_fit_points,
    head_motion,
    intervals_of,
    lid_boxes,
    lid_narrowing,
    lower_lid_boxes,
    masked_pair,
    peaks,
    region_flows,
    signal,
    spot,
    spot_kinds,
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


def signal_with(values, eyes=None, k=3, eye_free=None, head=None, masked=None):
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
        None if masked is None else np.asarray(masked, bool),
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


def test_a_peak_inside_a_blink_is_kept_when_its_signal_was_measured_with_the_eyes_painted_out():
    values = np.full(100, 0.01) + 0.001 * np.sin(np.arange(100))
    values[40], values[70] = 1.0, 0.9
    eyes = np.zeros(100)
    eyes[40] = 0.5  # a blink at the peak ...
    eye_free = values.copy()
    eye_free[38:43] = 0.01  # ... and the regions away from the eyes did not move (an AU4: the brows)
    assert peaks(signal_with(values, eyes, eye_free=eye_free), SETTINGS) == [70]  # the blink test drops it
    masked = np.zeros(100, bool)
    masked[30:50] = True  # the flow in and out there had the eyes painted out: the blink is not in the signal
    assert peaks(signal_with(values, eyes, eye_free=eye_free, masked=masked), SETTINGS) == [40, 70]


def crop_points(side=128):
    """68 landmarks of a face crop: brows at y 28 (two openings above the eyes), eyes at y 44-52
    (opening 8 px), nose, mouth, jaw."""
    points = np.zeros((68, 2))
    points[0:17] = np.c_[np.linspace(14, 114, 17), np.r_[np.linspace(50, 118, 9), np.linspace(110, 50, 8)]]
    points[17:27] = np.c_[np.linspace(24, 104, 10), np.full(10, 28.0)]
    for first, left in ((36, 30.0), (42, 74.0)):  # corner, 2 upper-lid points, corner, 2 lower-lid points
        points[first : first + 6] = [
            [left, 48],
            [left + 7, 44],
            [left + 17, 44],
            [left + 24, 48],
            [left + 17, 52],
            [left + 7, 52],
        ]
    points[27:36] = np.c_[np.full(9, 64.0), np.linspace(50, 80, 9)]
    points[48:68] = np.c_[np.linspace(44, 84, 20), np.full(20, 96.0)]
    return points


def test_the_eye_mask_covers_each_eye_and_its_upper_fold_and_leaves_the_brows_and_cheeks():
    points = crop_points()
    mask = eye_mask(points, 128)
    for indices in EYES68:
        for x, y in points[list(indices)]:
            assert mask[int(y), int(x)] > 0.99  # the lids and corners
    assert mask[40, 42] > 0.99  # half an opening above the upper lid: the lid's fold, which a blink carries
    assert mask[28, 42] < 0.01 and mask[28, 86] < 0.01  # the brows
    assert mask[62, 42] < 0.01  # 1.25 openings below the lower lid: the skin AU7 raises stays in view
    assert mask[48, 64] < 0.01  # between the eyes
    everywhere = face_fit_points(points, 128)
    eyeless = face_fit_points(points, 128, mask)
    inside = mask[everywhere[:, 1].astype(int), everywhere[:, 0].astype(int)] > 0.01
    assert inside.any() and len(eyeless) == len(everywhere) - inside.sum()


def test_the_eyes_are_painted_out_of_both_crops_and_the_later_mask_moves_with_the_head():
    rng = np.random.default_rng(0)
    earlier = rng.integers(0, 255, (128, 128)).astype(np.uint8)
    later = np.roll(earlier, 3, axis=1)  # the head moved 3 px right
    points = crop_points()
    mask = eye_mask(points, 128)
    face = Face((0, 0, 128), [], [], np.ones(2), face_fit_points(points, 128), np.zeros((0, 3)), mask)
    motion = np.array([[0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    a, b = masked_pair(earlier, later, face, motion)
    grey = a[48, 40]
    assert np.all(a[mask > 0.999] == grey) and grey == b[48, 43]  # one flat grey, in both crops
    assert np.array_equal(b[:, 3:][mask[:, :-3] > 0.999], a[mask > 0.999])  # at the eyes' new place in the later crop
    assert np.array_equal(a[mask < 0.001], earlier[mask < 0.001])  # the rest of the face untouched
    assert b[48, 30] != grey or later[48, 30] == grey  # the later crop's mask did not stay where the head left it


def test_the_signal_takes_the_eye_masked_regions_where_they_were_computed():
    k, n, count = 2, 30, len(ROIS)
    regions = np.zeros((n, count, 2))
    regions[10, 0, 1] = 5.0  # the plain flow's brow region reads a blink's leak at 10 ...
    masked = np.full((n, count, 2), np.nan)
    masked[6:16] = 0.0  # ... which the eye-masked flow, computed around it, does not
    eyes = np.zeros((n, 2, 4))
    flows = RegionFlows(1, k, np.arange(n), regions, eyes, np.zeros((n, count, 2)))
    plain = signal(flows, replace(SETTINGS, top_rois=1, smooth_s=0), 50.0, n)
    assert plain.face.max() > 1.0 and not plain.masked.any()
    sig = signal(replace(flows, eyeless=masked), replace(SETTINGS, top_rois=1, smooth_s=0), 50.0, n)
    assert sig.face.max() == 0.0
    assert list(np.nonzero(sig.masked)[0]) == list(range(6, 14))  # flow in and flow out both masked


def test_the_lower_lid_box_holds_the_lower_lid_and_the_skin_under_it_not_the_upper_lid():
    points = crop_points()
    (upper, _), lower = lid_boxes(points, 128), lower_lid_boxes(points, 128)
    for (x0, y0, x1, y1), (ux0, uy0, ux1, uy1), first in zip(lower, upper, (36, 42)):
        assert (y0, y1) == (52, 57)  # from the lower lid (y 52) down half the opening of 8 px
        assert x0 <= points[first, 0] + 1 and x1 >= points[first + 3, 0]  # corner to corner
        assert y0 >= uy1  # below the upper lid's box


def eye_rows(n, upper=None, lower=None):
    """region_flows's per-eye rows (fall, u, v, lower) of both eyes: the upper lid's and the lower
    lid's downward flow (px) per sample, the same in both eyes."""
    eyes = np.zeros((n, 2, 4))
    for column, flow in ((2, upper), (3, lower)):
        if flow is not None:
            eyes[:, :, column] = np.asarray(flow, float)[:, None]
    return eyes


def test_the_lower_lid_rising_narrows_the_eye_and_a_blinks_spread_onto_it_does_not():
    k, n = 3, 40
    rise = np.zeros(n)
    rise[17:20], rise[20:23] = -0.3, 0.3  # AU7: the lower lid up 0.9 px into 20, back down out of it
    au7 = lid_narrowing(eye_rows(n, lower=rise), k)
    assert int(np.argmax(au7[:, 0])) in range(17, 20) and au7.max() == pytest.approx(0.3)
    assert np.allclose(au7[:, 0], au7[:, 1])
    fall = np.zeros(n)
    fall[17:20], fall[20:23] = 1.0, -1.0  # a blink: the upper lid falls 3 px and rises
    spread = -0.7 * fall  # its flow spread onto the lower lid's box, the reopening read as a rise
    assert lid_narrowing(eye_rows(n, upper=fall, lower=spread), k).max() == 0.0
    assert lid_narrowing(eye_rows(n, lower=spread), k).max() > 0.3  # without the upper lid's flow it would pass


def test_the_signal_takes_the_lower_lids_narrowing_with_the_regions():
    k, n, count = 2, 30, len(ROIS)
    lower = np.zeros(n)
    lower[13:15], lower[15:17] = -0.2, 0.2  # both lower lids up and back, the regions still
    flows = RegionFlows(1, k, np.arange(n), np.zeros((n, count, 2)), eye_rows(n, lower=lower), np.zeros((n, count, 2)))
    sig = signal(flows, replace(SETTINGS, top_rois=2, smooth_s=0), 50.0, n)
    assert sig.face.max() == pytest.approx(0.2) and int(np.argmax(sig.face)) in (13, 14)
    assert sig.eye_free.max() == 0.0  # the lids are not regions away from the eyes


@pytest.mark.slow
def test_an_au4_during_a_blink_is_spotted_and_the_blink_alone_reads_far_less_with_the_eyes_painted_out(tmp_path):
    people = plan_subjects(5, 1)
    detect_subject_landmarks(people)
    person = people[0]
    landmarks = np.asarray(person.landmarks68, np.float32)

    def video(expressions):
        path = tmp_path / f"v{len(expressions)}.avi"
        plan = LongVideo("s01", 30.0, 150, expressions, [Event(80, 87)], [])  # a blink of 0.23 s at 2.7 s
        render_video(5, 0, plan, SubjectRenderer(person), landmarks, path)
        return VideoSource(path)

    au4 = Expression(74, 81, 88, [4], "others", {4: 1.0}, {4: 12.0}, "during")  # the brows lowered across the blink
    spotted = spot(video([au4]), SETTINGS, ("micro",), "s01", "s01")
    assert match(spotted, [Interval("s01", "s01", "micro", 74, 81, 88)]).tp == 1  # until issue 32: dropped as a blink
    flows = region_flows(video([]), SETTINGS, SETTINGS.half_length_s)
    k = flows.k
    assert not flows.flowed[:k].any() and flows.flowed[k:].all()  # the first k samples of the face box have no flow
    with_au4 = signal(region_flows(video([au4]), SETTINGS, SETTINGS.half_length_s), SETTINGS, 30.0, 150)
    painted, plain = signal(flows, SETTINGS, 30.0, 150), signal(replace(flows, eyeless=None), SETTINGS, 30.0, 150)
    assert painted.masked[60:100].any() and not plain.masked.any()
    assert painted.face[60:100].max() < 0.6 * with_au4.face[60:100].max()  # the blink alone: a fraction of a 1-px AU4
    assert painted.face[60:100].max() < 0.6 * plain.face[60:100].max()  # and of what it reads with the eyes in view


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
    with pytest.raises(VideoError, match="give its frame rate"):
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


def cut_away_video(tmp_path, spans):
    """A rendered 150-frame long video of one synthetic face with the frames of `spans` replaced by a
    flat wall (a cut away from the face and back)."""
    people = plan_subjects(5, 1)
    detect_subject_landmarks(people)
    person = people[0]
    rendered = tmp_path / "face.avi"
    plan = LongVideo("s01", 30.0, 150, [], [], [])
    render_video(5, 0, plan, SubjectRenderer(person), np.asarray(person.landmarks68, np.float32), rendered)
    source = VideoSource(rendered)
    out = tmp_path / "cut.avi"
    writer = None
    for number, frame in source.read(1):
        writer = writer or VideoWriter(out, source.fps, (frame.shape[1], frame.shape[0]))
        writer.write(np.full_like(frame, 90) if any(a <= number <= b for a, b in spans) else frame)
    writer.close()
    return VideoSource(out)


def test_frames_without_a_face_are_left_out_and_named_and_the_face_is_found_again(tmp_path):
    source = cut_away_video(tmp_path, [(0, 39), (100, 119)])
    flows = region_flows(source, SETTINGS, SETTINGS.half_length_s)
    retry = int(round(NO_FACE_RETRY_S * 30.0))
    # no face at first: looked for every NO_FACE_RETRY_S; the wall at 100 no longer resembles the face (a cut)
    assert flows.faceless == [(0, 3 * retry - 1), (100, 100 + 2 * retry - 1)]
    assert not flows.flowed[: 3 * retry + flows.k].any() and flows.flowed[3 * retry + flows.k : 100].all()
    assert not flows.flowed[100 : 100 + 2 * retry + flows.k].any() and flows.flowed[100 + 2 * retry + flows.k :].all()
    assert np.all(flows.regions[~flows.flowed] == 0)
    (spotted,) = spot_kinds(source, SETTINGS, ("micro",), "cut", "s01")
    assert spotted.faceless == flows.faceless
    assert not any(i.onset <= b and a <= i.offset for i in spotted.intervals for a, b in flows.faceless)


def test_a_video_without_any_face_is_one_line(tmp_path):
    source = cut_away_video(tmp_path, [(0, 149)])
    with pytest.raises(SpottingError, match=r"^no face detected in any sampled frame of .*cut\.avi$"):
        region_flows(source, SETTINGS, SETTINGS.half_length_s)
