"""Spotting expressions in a long video from regional optical flow (in the manner of MDMD, Wang et
al. 2021, and the MEGC baselines), every setting in seconds so that 30 and 200 fps share them.

1. The face is found (dlib's HOG detector, the pipeline's faces detector) and its 68 landmarks placed (dlib on that
   box, `microau.preprocess.landmarks`) on the first frame that has a face and again every `redetect_s`;
   between those, the square face box is fixed and every sampled frame is cut to it, grey, at
   `face_px` pixels (area filter: it averages sensor noise). A crop unlike the previous sample's (a cut)
   is looked at again at once; frames without a face are left out and named (`FaceTrack`).
2. The signal is sampled every `sample_s` (every frame at 30 fps, every 4th at 200 fps); with k =
   `half_length_s` in samples, the flow from the frame k before to each sampled frame is computed
   on the whole face crop (one flow per sample) after matching the frame's gain to the earlier one's
   (flicker and lighting ramps are not motion). The head's motion is removed: an affine map
   (translation, rotation, scale, the foreshortening of a turn or a nod) fitted to the flow of the
   face (inside its outline and brows, every `FIT_STEP` px) by iteratively reweighted least squares
   (Cauchy weights: an expression moves a small part of the face, so its pixels are outliers of
   the head's motion, and the static background is left out), and subtracted from the whole crop.
3. Each region of interest (`ROIS`: squares of `roi_share` of the face around brows, cheeks, nose
   wings, mouth corners, lips and chin; the eyes are measured apart) gets its mean flow vector m(t).
   An expression rises and falls back, so the flow into t and the flow out of it are opposite:
   the contrast |m(t) - m(t+k)| / 2 peaks at its apex, while slow drifts, a head that keeps moving
   and a lighting ramp (the same flow in and out) cancel. Each eye's lower lid (a box from its
   landmarks down LOWER_LID_BELOW of the opening) adds its narrowing of the eye (`lid_narrowing`):
   the lid's rise into t and fall out of it less the upper lid's larger vertical flow into or out
   of t (AU7 raises the lower lid; a blink's upper lid falls, and its flow spreads over the lower
   lid), on the plain flow even near blinks (the eye mask of 5 hides the lower lid). The frame's
   value is the mean of the `top_rois` largest of these contrasts (expressions are local), smoothed
   over `smooth_s`.
4. Peaks at least 2k apart above max(mean + p (max - mean), median + z * 1.4826 MAD) of the
   video's own signal (p = `threshold_p`, MDMD's relative threshold, its max over the samples that are
   no head move's residue, 6; z = `noise_z`, a floor for videos without any expression) are spotted, as
   [apex - k, apex + k] at the video's frame rate.
5. Blinks: a blink closes the eye opening (the upper lid falls onto the lower one) and reopens it,
   large, fast and vertical; AU4 (brows down) and AU7 (lids tightened) move the lids a fraction
   of a px. Each eye's upper-lid fall is the downward flow of a box on its upper lid (as high as
   the opening, so it holds the lid when the head has moved since the landmarks) as a share of
   the eye's opening, in against out as in 3; a blink is a fall of at least `blink_closing` of
   the opening, mostly vertical, in both eyes on average. Its contrast in the face has side lobes
   k before and after it, hence the window of k. Within BLINK_REACH k of a blink the regions are
   measured on a second flow of the same two crops with the eyes painted out (`eye_mask`: each eye
   and the fold above it filled with one grey, the later crop's mask moved with the head) and the
   head's motion fitted without the eyes: the blink is not in that flow, while the brows (AU4), the
   skin under the lower lids and the cheeks (AU7, AU6) are, so a peak there is judged as any other.
   Where that flow is missing (a new face box inside the window), a peak with a blink within k is
   kept only when the regions away from the eyes (`EYE_FREE`: nose, mouth, chin), which a blink
   does not move, carry it above the threshold too.
6. Head moves: the affine removal leaves a few per cent of a quick head move in the flow (the flow
   itself errs by that much on a face moving several px), and up to a quarter of a 5-15 degree turn
   whose parallax no affine map holds. A sample under `head_share` of the head's own in-against-out
   motion within k of it is that residue (`head_residue`), not an expression.
Micro-expressions use `half_length_s`; macro-expressions the chain of its flows over
`macro_half_length_s` (`macro_signal`), told from micro ones by `split_kinds`, their threshold's floor
the micro signal's (`macro_threshold`), a held one's onset and offset joined (`joined_macros`).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.intervals import Interval
from microau.preprocess.crop import FaceDetector, shared_detector, square_box
from microau.preprocess.images import match_gain, to_gray
from microau.preprocess.landmarks import dlib_landmarks68
from microau.preprocess.video import VideoSource

FLOW_METHODS = ("farneback", "dis", "tvl1")
FACE_MARGIN = 0.1
# Regions of interest: (name, 0-based iBUG-68 points averaged into the centre, upward shift in ROI
# sides). Brows are moved up half a region so that blinks below them stay out.
ROIS: tuple[tuple[str, tuple[int, ...], float], ...] = (
    ("right_brow_outer", (17, 18), 0.5),
    ("right_brow_inner", (20, 21), 0.5),
    ("left_brow_inner", (22, 23), 0.5),
    ("left_brow_outer", (25, 26), 0.5),
    ("glabella", (21, 22, 27), 0.3),
    ("right_cheek", (41, 31, 2), 0.0),
    ("left_cheek", (46, 35, 14), 0.0),
    ("right_nose_wing", (31,), 0.0),
    ("left_nose_wing", (35,), 0.0),
    ("right_mouth_corner", (48,), 0.0),
    ("left_mouth_corner", (54,), 0.0),
    ("upper_lip", (50, 51, 52), 0.0),
    ("lower_lip", (56, 57, 58), 0.0),
    ("chin", (7, 8, 9), 0.5),
)
# Regions a blink does not reach through the flow's smoothing (far from the lids).
EYE_FREE = tuple(
    i for i, (name, _, _) in enumerate(ROIS) if not name.endswith(("brow_outer", "brow_inner", "glabella", "cheek"))
)
# Lids of each eye (upper pair, lower pair of iBUG-68 points) and its corners.
LIDS: tuple[tuple[tuple[int, ...], tuple[int, ...], tuple[int, int]], ...] = (
    ((37, 38), (40, 41), (36, 39)),
    ((43, 44), (46, 47), (42, 45)),
)
# The eye mask: each eye's box from corner to corner, from EYE_MASK_ABOVE openings above its upper lid
# (the lid's fold, which a blink carries down with the lid) to EYE_MASK_BELOW below its lower lid (the
# lid's margin, which the closing upper lid reaches; the skin below, which AU7 raises, stays in view),
# its edge feathered over EYE_MASK_FEATHER openings. A blink moves what lies inside it, and little else.
EYE_MASK_ABOVE = 1.0
EYE_MASK_BELOW = 0.25
EYE_MASK_FEATHER = 0.3
EYES68 = ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47))  # iBUG-68 points of each eye
# The lower-lid box: corner to corner, from the lower lid's landmarks down LOWER_LID_BELOW openings (the
# lid's margin and the skin just under it, which AU7 raises and bulges).
LOWER_LID_BELOW = 0.5
FIT_STEP = 3  # px between the crop pixels the head's motion is fitted to
FIT_ROUNDS = 4  # reweighting rounds of the fit
OUTLINE = tuple(range(0, 27))  # jaw line and brows: the face's outline
# A micro peak whose top regions' net flow across the macro window (K before to K after) reaches this
# many times its in-against-out contrast has not returned: the onset or offset of a held expression (a
# held onset reads 2, the development videos' micro-expressions 0.15-1.8).
HELD_SHARE = 2.0
# A sampled face crop whose normalised cross-correlation with the previous sample's is under this has
# changed scene (a cut, the face gone): the face is looked for again at once. Within a shot it stays over
# 0.8 on the real videos of docs/spotting.md (a hand crossing the mouth, a laughing head's tilt) and over
# 0.98 on the synthetic ones; a cut to another scene reads about 0.
SCENE_CHANGE = 0.5
NO_FACE_RETRY_S = 0.5  # while no face is found, a detection every this many seconds
# A micro peak whose mouth and jaw regions (among its top ones) peak again at this share of their contrast or
# more within the macro window (K before to K after), further than 2k from it, is mouth motion that goes on
# (speech: the jaw and lips at every syllable), not a micro-expression, which rises and returns once in at
# most 0.5 s (docs/spotting.md).
REPEAT_SHARE = 0.5
# A macro-expression lasts 0.5-4 s (MEGC's kinds; CAS(ME)^2's macro-expressions); one longer than the macro
# window shows as two macro peaks, its onset (the face left moved across the window) and its offset (moved
# back), joined into one interval when the offset returns at least RETURN_SHARE of the onset's net flow within
# MACRO_LONGEST_S.
MACRO_LONGEST_S = 4.0
RETURN_SHARE = 0.5
MOUTH = tuple(i for i, (name, _, _) in enumerate(ROIS) if name.endswith(("mouth_corner", "lip")) or name == "chin")
LANDMARK_UPSCALE = 2  # the blink test's landmarks are placed on the face box enlarged this many times
BLINK_REACH = 2  # samples within this many k of a blink's fall or rise get the eye-masked flow


class SpottingError(MicroauError):
    """A video or setting the spotter cannot use; the message names it."""


@dataclass(frozen=True)
class SpotSettings:
    """The `spotting` section of the config (every duration in seconds; see the schema)."""

    half_length_s: float
    macro_half_length_s: float
    sample_s: float
    smooth_s: float
    threshold_p: float
    noise_z: float
    blink_closing: float
    blink_drop: float
    blink_sample_s: float
    blink_baseline_s: float
    head_share: float
    redetect_s: float
    face_px: int
    roi_share: float
    top_rois: int
    flow: str
    macro_threshold_p: float
    macro_ratio: float


@dataclass
class Signal:
    """The sampled frames and at each: the face signal, the eyes' closure (share of the opening)
    and whether that closure was vertical, the signal of the regions away from the eyes, the
    head's own motion (its in-against-out contrast, as the regions', before it was removed), and
    whether the face signal there was measured with the eyes painted out (flow in and out)."""

    fps: float
    frames: int
    stride: int
    k: int
    sampled: np.ndarray
    face: np.ndarray
    eyes: np.ndarray
    vertical: np.ndarray | None = None
    eye_free: np.ndarray | None = None
    head: np.ndarray | None = None
    masked: np.ndarray | None = None
    landmark_closure: np.ndarray | None = None  # the eyes' aspect ratio's fall (`BlinkTracker`)


# ---- flow ---------------------------------------------------------------------------------------


def make_flow(method: str):
    """A function (previous grey, next grey) -> (H, W, 2) float32 flow for one of FLOW_METHODS."""
    if method == "farneback":
        return lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return lambda a, b: dis.calc(a, b, None)
    if method == "tvl1":
        tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
        return lambda a, b: tvl1.calc(a, b, None)
    raise SpottingError(f"unknown flow method {method!r} (choose from {', '.join(FLOW_METHODS)})")


# ---- regions ------------------------------------------------------------------------------------


def roi_boxes(points: np.ndarray, side: int, share: float, rois=ROIS) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of each region in a face crop of `side` px, from its 68 landmarks there."""
    half = max(2, int(round(share * side / 2)))
    boxes = []
    for _name, indices, up in rois:
        cx, cy = points[list(indices)].mean(axis=0)
        cy -= up * 2 * half
        x0, y0 = int(np.clip(cx - half, 0, side - 2)), int(np.clip(cy - half, 0, side - 2))
        boxes.append((x0, y0, min(x0 + 2 * half, side), min(y0 + 2 * half, side)))
    return boxes


def region_means(flow: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """[regions, 2] mean flow vector in each box."""
    return np.array([flow[y0:y1, x0:x1].reshape(-1, 2).mean(axis=0) for x0, y0, x1, y1 in boxes])


def lid_boxes(points: np.ndarray, side: int) -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    """The upper-lid box of each eye in a face crop of `side` px, and each eye's opening in px:
    as wide as the middle half of the eye and as high as its opening, centred on the upper lid (a
    box that high still holds the lid when the head has moved a few px since the landmarks)."""
    boxes, openings = [], []
    for upper, lower, corners in LIDS:
        top, bottom = points[list(upper)].mean(axis=0), points[list(lower)].mean(axis=0)
        opening = max(float(bottom[1] - top[1]), 1.0)
        half_w = max(1.0, abs(float(points[corners[1], 0] - points[corners[0], 0])) / 4)
        half_h = max(1.0, opening / 2)
        x0, y0 = int(np.clip(round(top[0] - half_w), 0, side - 2)), int(np.clip(round(top[1] - half_h), 0, side - 2))
        boxes.append((x0, y0, min(int(round(top[0] + half_w)) + 1, side), min(int(round(top[1] + half_h)) + 1, side)))
        openings.append(opening)
    return boxes, np.array(openings)


def lower_lid_boxes(points: np.ndarray, side: int) -> list[tuple[int, int, int, int]]:
    """The lower-lid box of each eye in a face crop of `side` px: as wide as the eye, centred on its
    lower lid, from the lid's landmarks down LOWER_LID_BELOW of the opening."""
    boxes = []
    for upper, lower, corners in LIDS:
        top, bottom = points[list(upper)].mean(axis=0), points[list(lower)].mean(axis=0)
        opening = max(float(bottom[1] - top[1]), 1.0)
        half_w = max(1.0, abs(float(points[corners[1], 0] - points[corners[0], 0])) / 2)
        x0, y0 = int(np.clip(round(bottom[0] - half_w), 0, side - 2)), int(np.clip(round(bottom[1]), 0, side - 2))
        x1, y1 = int(round(bottom[0] + half_w)) + 1, int(round(bottom[1] + LOWER_LID_BELOW * opening)) + 1
        boxes.append((x0, y0, min(max(x1, x0 + 1), side), min(max(y1, y0 + 1), side)))
    return boxes


def eye_mask(points: np.ndarray, side: int) -> np.ndarray:
    """[side, side] float32 weight, 1 over each eye (corner to corner, EYE_MASK_ABOVE openings above
    its upper lid to EYE_MASK_BELOW below its lower lid) falling to 0 over EYE_MASK_FEATHER openings."""
    mask = np.zeros((side, side), np.float32)
    openings = []
    for indices in EYES68:
        eye = points[list(indices)]
        top, bottom = float(eye[[1, 2], 1].mean()), float(eye[[4, 5], 1].mean())
        opening = max(bottom - top, 1.0)
        openings.append(opening)
        x0, x1 = int(np.floor(eye[:, 0].min())), int(np.ceil(eye[:, 0].max()))
        y0, y1 = int(np.floor(top - EYE_MASK_ABOVE * opening)), int(np.ceil(bottom + EYE_MASK_BELOW * opening))
        mask[max(0, y0) : max(0, min(side, y1 + 1)), max(0, x0) : max(0, min(side, x1 + 1))] = 1.0
    feather = EYE_MASK_FEATHER * float(np.mean(openings))
    if feather > 0:
        mask = np.clip(2.0 * cv2.GaussianBlur(mask, (0, 0), feather), 0.0, 1.0)  # 1 inside, 0.5 at the box's edge
    return mask


def face_fit_points(points: np.ndarray, side: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """[n, 3] (x, y, 1) of every FIT_STEP-th crop pixel inside the face's outline, less those where
    `exclude` (a [side, side] weight, the eye mask) is not 0: the eyes move on their own (blinks,
    gaze), and a blink fitted as head motion spreads as a false motion over the brows and chin."""
    mask = np.zeros((side, side), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points[list(OUTLINE)]).astype(np.int32)), 1)
    if exclude is not None:
        mask[exclude > 0.01] = 0
    ys, xs = np.nonzero(mask[::FIT_STEP, ::FIT_STEP])
    return np.stack([xs * FIT_STEP, ys * FIT_STEP, np.ones_like(xs)], axis=1).astype(np.float64)


@dataclass
class Face:
    """The face box (x, y, side) in frame pixels, and in the face crop: the region boxes, the upper-lid
    boxes and eye openings, the pixels the head's motion is fitted to, the regions' centres, the eye mask
    (`eye_mask`), the pixels the head's motion is fitted to with the eyes left out and the lower-lid boxes."""

    box: tuple[int, int, int]
    rois: list[tuple[int, int, int, int]]
    eyes: list[tuple[int, int, int, int]]
    openings: np.ndarray
    fit: np.ndarray
    centres: np.ndarray
    eye_mask: np.ndarray | None = None
    fit_eyeless: np.ndarray | None = None
    lower_lids: list[tuple[int, int, int, int]] | None = None
    rect: tuple[int, int, int, int] | None = None  # the detector's box in the face box's own pixels


def eye_aspect(points: np.ndarray) -> float:
    """The two eyes' mean aspect ratio (Soukupova and Cech 2016): the lids' distance at the two
    inner pairs of lid points over the eye's width, from the 68 landmarks. It falls as the eye
    closes, whatever closes it (upper lid, lower lid, both), and does not change with the face's size."""
    ratios = []
    for eye in EYES68:
        e = points[list(eye)].astype(np.float64)
        width = max(float(np.linalg.norm(e[0] - e[3])), 1e-6)
        ratios.append((np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])) / (2.0 * width))
    return float(np.mean(ratios))


def sample_aspect(grey_box: np.ndarray, face: "Face") -> float:
    """`eye_aspect` of one frame's 68 landmarks, dlib's predictor on the full-resolution grey face
    box (the detection of the last `redetect_s` placed in it)."""
    import dlib

    from microau.preprocess.landmarks import shared_shape_predictor

    # dlib places its points at whole pixels: on the box enlarged LANDMARK_UPSCALE times they fall at
    # fractions of a frame pixel (a 5-px partial blink of a 10-px eye opening is then read to 10 %)
    left, top, right, bottom = (LANDMARK_UPSCALE * v for v in face.rect)
    big = cv2.resize(grey_box, None, fx=LANDMARK_UPSCALE, fy=LANDMARK_UPSCALE, interpolation=cv2.INTER_LINEAR)
    shape = shared_shape_predictor()(np.ascontiguousarray(big), dlib.rectangle(left, top, right, bottom))
    return eye_aspect(np.array([[part.x, part.y] for part in shape.parts()], dtype=np.float64))


def locate_face(frame: np.ndarray, settings: SpotSettings, detector: FaceDetector) -> Face | None:
    """Face box and regions on one frame; None where no face is detected."""
    height, width = frame.shape[:2]
    detection = detector.detect(frame)
    if detection is None:
        return None
    box = square_box(detection, FACE_MARGIN, width, height)
    left, top = int(detection.x), int(detection.y)
    points = dlib_landmarks68(
        frame, (left, top, int(detection.x + detection.width), int(detection.y + detection.height))
    )
    x, y, side = box
    crop_points = (points - np.array([x, y], np.float32)) * np.float32(settings.face_px / side)
    eyes, openings = lid_boxes(crop_points, settings.face_px)
    rois = roi_boxes(crop_points, settings.face_px, settings.roi_share)
    centres = np.array([[(x0 + x1) / 2, (y0 + y1) / 2, 1.0] for x0, y0, x1, y1 in rois])
    mask = eye_mask(crop_points, settings.face_px)
    return Face(
        box,
        rois,
        eyes,
        openings,
        face_fit_points(crop_points, settings.face_px),
        centres,
        mask,
        face_fit_points(crop_points, settings.face_px, mask),
        lower_lid_boxes(crop_points, settings.face_px),
        (left - x, top - y, int(detection.x + detection.width) - x, int(detection.y + detection.height) - y),
    )


def head_motion(flow: np.ndarray, face: Face, points: np.ndarray | None = None) -> np.ndarray:
    """2x3 affine map of the head, flow(x) = A [x, y, 1], fitted to the face's flow (at `points`, by
    default `face.fit`) by iteratively reweighted least squares with Cauchy weights (scale: 1.4826
    MAD of the residuals)."""
    points = face.fit if points is None else points
    observed = flow[points[:, 1].astype(int), points[:, 0].astype(int)].astype(np.float64)
    weights = np.ones(len(points))
    for _round in range(FIT_ROUNDS):
        # the weighted normal equations (3 x 3): the least-squares solution at a fraction of an SVD's cost
        weighted = points * weights[:, None]
        solution = np.linalg.solve(weighted.T @ points, weighted.T @ observed)
        residual = np.linalg.norm(points @ solution - observed, axis=1)
        scale = max(1.4826 * float(np.median(residual)), 1e-3)
        weights = 1.0 / (1.0 + (residual / (2.385 * scale)) ** 2)
    return solution.T


def subtract_head(flow: np.ndarray, motion: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The flow less the head's affine motion at every pixel (`grid`: [H, W, 3] of x, y, 1)."""
    return flow - (grid @ motion.T.astype(np.float32))


def masked_pair(
    earlier: np.ndarray, later: np.ndarray, face: Face, motion: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The two crops of one flow with the eyes painted out: the eye mask on the earlier crop, and
    moved by the head's motion (`motion`, its affine flow) on the later one, both filled with the
    same grey (the earlier crop's mean under the mask). A flat patch that moves with the head holds
    no motion of its own: the flow there and next to it is the head's and the skin's around it."""
    alpha = face.eye_mask
    forward = np.float32(
        [[1.0 + motion[0, 0], motion[0, 1], motion[0, 2]], [motion[1, 0], 1.0 + motion[1, 1], motion[1, 2]]]
    )
    moved = cv2.warpAffine(alpha, forward, (alpha.shape[1], alpha.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0)
    grey = np.float32((earlier * alpha).sum() / max(float(alpha.sum()), 1e-6))

    def paint(image: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(image * (1.0 - weight) + grey * weight), 0, 255).astype(np.uint8)

    return paint(earlier.astype(np.float32), alpha), paint(later.astype(np.float32), moved)


def crop_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised cross-correlation of two face crops (0 where either is flat: a black frame)."""
    a, b = a.astype(np.float32) - a.mean(), b.astype(np.float32) - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm > 1e-6 else 0.0


@dataclass
class FaceSample:
    """One sampled frame's face: its box and regions, its grey box and face crop, and whether the box is
    new (the flows of the earlier box do not continue into it)."""

    face: Face
    grey: np.ndarray
    crop: np.ndarray
    new_box: bool


class FaceTrack:
    """The face box of each sampled frame. The face is detected on the first frame that has one, again
    every `redetect_s` (a detection that misses keeps the box: a face turned away for a moment), and at
    once when the crop stops resembling the previous sample's (`crop_similarity` under SCENE_CHANGE: a cut,
    or the face gone); where that detection finds none, the face is lost, looked for every
    NO_FACE_RETRY_S, and the frames until it is found again are kept in `faceless` as spans."""

    def __init__(self, settings: SpotSettings, fps: float, stride: int, detector: FaceDetector) -> None:
        self.settings, self.stride, self.detector = settings, stride, detector
        self.redetect = max(1, int(round(settings.redetect_s * fps)))
        self.retry = max(stride, int(round(NO_FACE_RETRY_S * fps)))
        self.face: Face | None = None
        self.previous: np.ndarray | None = None  # the last sample's crop
        self.next_try = 0
        self.faceless: list[tuple[int, int]] = []  # (first, last) frames without a face

    def sample(self, number: int, frame: np.ndarray) -> FaceSample | None:
        """This frame's face, or None where there is none (the frame is left out)."""
        new_box = False
        if self.face is None:
            if number < self.next_try or not self.detect(frame):
                return self.lost(number)
            new_box = True
        elif number % self.redetect < self.stride:
            new_box = self.detect(frame, keep=True)
        grey, crop = self.crops(frame)
        if not new_box and crop_similarity(crop, self.previous) < SCENE_CHANGE:
            if not self.detect(frame):  # the scene changed: a cut, or the face gone
                return self.lost(number)
            new_box = True
            grey, crop = self.crops(frame)
        self.previous = crop
        return FaceSample(self.face, grey, crop, new_box)

    def detect(self, frame: np.ndarray, keep: bool = False) -> bool:
        """Whether a face is found; with `keep`, a miss keeps the current box."""
        found = locate_face(frame, self.settings, self.detector)
        if found is not None or not keep:
            self.face = found
        return found is not None

    def crops(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grey = face_box_grey(frame, self.face)
        return grey, face_crop(frame, self.face, self.settings.face_px, grey)

    def lost(self, number: int) -> None:
        self.face, self.previous = None, None
        if number >= self.next_try:
            self.next_try = number + self.retry
        if self.faceless and self.faceless[-1][1] >= number - self.stride:
            self.faceless[-1] = (self.faceless[-1][0], number)
        else:
            self.faceless.append((number, number))
        return None


def face_box_grey(frame: np.ndarray, face: Face) -> np.ndarray:
    x, y, side = face.box
    return to_gray(frame[y : y + side, x : x + side])


def face_crop(frame: np.ndarray, face: Face, size: int, grey: np.ndarray | None = None) -> np.ndarray:
    grey = face_box_grey(frame, face) if grey is None else grey
    return cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA)


class BlinkTracker:
    """Blinks from the eyes' landmarks, as the video is read: every `blink_sample_s` the eyes'
    aspect ratio (`eye_aspect`) against its median over the last `blink_baseline_s`; a sample is a
    blink when the ratio fell by at least `blink_drop` of that median (the eye closing, by any lid,
    with or without the brows). Between measured samples the last state holds."""

    def __init__(self, settings: SpotSettings, fps: float, stride: int):
        self.every = samples_of(settings.blink_sample_s, fps, stride)
        self.recent: deque[float] = deque(
            maxlen=max(3, samples_of(settings.blink_baseline_s, fps, stride) // self.every)
        )
        self.drop = settings.blink_drop
        self.aspect: list[float] = []  # per sample, NaN where not measured
        self.closure: list[float] = []  # per sample: 1 - aspect / median of the recent ones
        self.state = 0.0

    def due(self, t: int) -> bool:
        return t % self.every == 0

    def add(self, t: int, aspect: float | None) -> bool:
        """Record sample t (its aspect ratio when measured); whether it is a blink."""
        if aspect is not None:
            self.recent.append(aspect)
            median = float(np.median(self.recent))
            self.state = 1.0 - aspect / median if median > 0 else 0.0
        self.aspect.append(np.nan if aspect is None else aspect)
        self.closure.append(self.state)
        return self.state >= self.drop

    def reset(self) -> None:
        """A new face box: its landmarks differ, the median starts again."""
        self.recent.clear()
        self.state = 0.0


# ---- signal, peaks, intervals ---------------------------------------------------------------------


def samples_of(seconds: float, fps: float, stride: int) -> int:
    return max(1, int(round(seconds * fps / stride)))


def stride_of(settings: SpotSettings, fps: float) -> int:
    return max(1, int(settings.sample_s * fps))


def lid_closure(earlier: np.ndarray, later: np.ndarray) -> np.ndarray | float:
    """How far the lids fell into a sample and rose out of it, as a share of the opening, both eyes
    averaged (a blink closes both): `earlier` and `later` are the per-eye rows (fall, u, v, lower) k
    samples before and at the sample after it, one sample's (eyes, 4) or a video's (samples, eyes, 4)."""
    return ((earlier[..., 0] - later[..., 0]) / 2).mean(axis=-1)


def progress_line(source: VideoSource, number: int, started: float) -> None:
    """The spotting pass's progress on stderr: where in the video, and the seconds so far."""
    print(
        f"spot {source.path.name}: {number / source.fps:.0f} of {source.count / source.fps:.0f} s "
        f"({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
        flush=True,
    )


def sample_means(flow: np.ndarray, motion: np.ndarray, face: Face, grid: np.ndarray) -> tuple[np.ndarray, ...]:
    """One sample's flow with the head's `motion` removed: the regions' mean flow, the head's motion at
    their centres, and per eye its upper lid's fall (share of the opening), its flow (x, y) and its
    lower lid's downward flow (px)."""
    flow = subtract_head(flow, motion, grid)
    lids = region_means(flow, face.eyes)
    lower = region_means(flow, face.lower_lids)[:, 1]
    eyes = np.column_stack([lids[:, 1] / face.openings, lids, lower])
    return region_means(flow, face.rois), face.centres @ motion.T, eyes


@dataclass(frozen=True)
class RegionFlows:
    """What one pass over a video measured, per sampled frame (each flow from the frame k samples
    earlier; rows of 0 where there is none: the first k samples of each face box)."""

    stride: int  # frames between samples
    k: int  # the half length in samples
    numbers: np.ndarray  # [samples] frame numbers
    regions: np.ndarray  # [samples, regions, 2] the regions' mean flow, the head's motion removed
    # [samples, eyes, 4] per eye: the upper lid's fall (share of the opening), its flow (x, y), the lower lid's
    # downward flow (px)
    eyes: np.ndarray
    heads: np.ndarray  # [samples, regions, 2] the head's motion at the regions' centres
    eyeless: np.ndarray | None = None  # as regions with the eyes painted out (`masked_pair`); NaN where not computed
    closure: np.ndarray | None = None  # [samples] the eyes' closure from their landmarks (`BlinkTracker`)
    flowed: np.ndarray | None = None  # [samples] bool: the sample has a flow
    faceless: list[tuple[int, int]] = field(default_factory=list)  # (first, last) frames without a face


def region_flows(
    source: VideoSource,
    settings: SpotSettings,
    half_length_s: float,
    detector: FaceDetector | None = None,
    progress: bool = False,
) -> RegionFlows:
    """The regions', head's and eyes' flow of every sample (`sample_means`), the regions' flow with the
    eyes painted out within BLINK_REACH k of a blink (by the flow's lid test or `BlinkTracker`), the
    tracker's closure of the eyes, and which samples have a flow."""
    detector = detector or shared_detector()
    flow_of = make_flow(settings.flow)
    stride = stride_of(settings, source.fps)
    k = samples_of(half_length_s, source.fps, stride)
    reach = BLINK_REACH * k
    history: deque[tuple[int, np.ndarray]] = deque(maxlen=reach + 2 * k + 1)  # (sample, crop)
    raw: dict[int, np.ndarray] = {}  # each recent sample's flow, the head's motion not yet removed
    numbers, regions, eyes, heads, masked, flowed = [], [], [], [], [], []
    wanted: set[int] = set()
    ys, xs = np.mgrid[0 : settings.face_px, 0 : settings.face_px].astype(np.float32)
    grid = np.dstack([xs, ys, np.ones_like(xs)])
    track = FaceTrack(settings, source.fps, stride, detector)
    face: Face | None = None
    tracker = BlinkTracker(settings, source.fps, stride)
    started, last_print = time.perf_counter(), 0.0

    def masked_flow(j: int) -> None:
        crops = dict(history)
        if j - k not in crops or j not in crops or j not in raw or not np.isnan(masked[j][0, 0]):
            return  # not in this face box's history, or computed already
        # the head's motion fitted without the eyes: a blink fitted as head motion would spread over the brows and chin
        motion = head_motion(raw[j], face, face.fit_eyeless)
        earlier, later = masked_pair(crops[j - k], match_gain(crops[j - k], crops[j]), face, motion)
        masked[j] = region_means(subtract_head(flow_of(earlier, later), motion, grid), face.rois)

    for number, frame in source.read(stride):
        seen = track.sample(number, frame)
        t = len(numbers)
        numbers.append(number)
        masked.append(np.full((len(ROIS), 2), np.nan))
        if seen is None or seen.new_box:
            history.clear()  # a new box, or none: earlier crops are not comparable
            raw.clear()
            tracker.reset()
        if seen is not None:
            face = seen.face
            history.append((t, seen.crop))
        blinking = tracker.add(t, sample_aspect(seen.grey, face) if seen and tracker.due(t) and face.rect else None)
        if blinking and face.eye_mask is not None and face.fit_eyeless is not None:
            wanted.update(range(max(0, t - reach), t + reach + 1))
        flowed.append(len(history) > k)
        if not flowed[-1]:  # no face, or the first k samples of a box
            regions.append(np.zeros((len(ROIS), 2)))
            heads.append(np.zeros((len(ROIS), 2)))
            eyes.append(np.zeros((len(EYES68), 4)))
            continue
        crop = seen.crop
        earlier = history[-k - 1][1]
        flow = flow_of(earlier, match_gain(earlier, crop))
        motion = head_motion(flow, face)
        if face.eye_mask is not None:
            raw[t] = flow
            raw.pop(t - reach - 2 * k - 1, None)
        for found, mean in zip((regions, heads, eyes), sample_means(flow, motion, face, grid)):
            found.append(mean)
        if face.eye_mask is not None and face.fit_eyeless is not None:
            # the flow's blink test of `signal` on the sample k back: its lids fell into it and rose out of it
            if t >= 2 * k and lid_closure(eyes[t - k], eyes[t]) >= settings.blink_closing:
                wanted.update(range(max(0, t - k - reach), t - k + reach + 1))
            for j in sorted(j for j in wanted if j <= t):
                masked_flow(j)
                wanted.discard(j)
        if progress and time.perf_counter() - last_print > 5.0:
            last_print = time.perf_counter()
            progress_line(source, number, started)
    if face is None:
        raise SpottingError(f"no face detected in any sampled frame of {source.path}")
    per_sample = (numbers, regions, eyes, heads, masked, tracker.closure, flowed)
    return RegionFlows(stride, k, *(np.array(values) for values in per_sample), track.faceless)


def lid_narrowing(eyes: np.ndarray, k: int) -> np.ndarray:
    """[samples, eyes] the lower lid's rise into t and fall back out of it (in against out, px) less the
    upper lid's larger vertical flow into or out of t, at least 0: the opening narrowed from below (AU7
    raises the lower lid, the upper lid stays), not by the upper lid's fall (a blink, whose flow spreads
    over the lower lid as it closes and reopens). `eyes` is `region_flows`'s [samples, eyes, 4]."""
    out = np.zeros(eyes.shape[:2])
    if len(eyes) > k:
        rise = (eyes[k:, :, 3] - eyes[:-k, :, 3]) / 2
        upper = np.maximum(np.abs(eyes[:-k, :, 2]), np.abs(eyes[k:, :, 2]))
        out[:-k] = np.clip(rise - upper, 0.0, None)
    return out


def contrast(means: np.ndarray, k: int) -> np.ndarray:
    """[samples, regions] |m(t) - m(t+k)| / 2: flow into t against flow out of t (0 where t+k is past the end)."""
    out = np.zeros(means.shape[:2])
    if len(means) > k:
        out[:-k] = np.linalg.norm(means[:-k] - means[k:], axis=2) / 2
    return out


def smooth(values: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return values
    return np.convolve(values, np.ones(width) / width, mode="same")


def painted_regions(flows: RegionFlows) -> tuple[np.ndarray, np.ndarray]:
    """The regions' flow, with the eyes painted out where that flow was computed (near blinks), and
    where it was."""
    if flows.eyeless is None or not len(flows.regions):
        return flows.regions, np.zeros(len(flows.regions), bool)
    computed = ~np.isnan(flows.eyeless).any(axis=(1, 2))
    return np.where(computed[:, None, None], flows.eyeless, flows.regions), computed


def signal(flows: RegionFlows, settings: SpotSettings, fps: float, frames: int) -> Signal:
    """The face and eye signals of one half length from `region_flows`'s output."""
    stride, k, numbers, eyes, heads = flows.stride, flows.k, flows.numbers, flows.eyes, flows.heads
    regions, computed = painted_regions(flows)
    masked_at = np.zeros(len(regions), bool)
    if len(regions) > k:  # near blinks, the regions' flow with the eyes painted out
        masked_at[:-k] = computed[:-k] & computed[k:]
    # the lower lids' narrowing of the eyes joins the regions (AU7 moves the lids more than the skin around them)
    regional = np.concatenate([contrast(regions, k), lid_narrowing(eyes, k)], axis=1)
    head_contrast = contrast(heads, k).mean(axis=1)
    face_contrast = np.sort(regional, axis=1)[:, -settings.top_rois :].mean(axis=1)
    free_contrast = np.sort(regional[:, list(EYE_FREE)], axis=1)[:, -settings.top_rois :].mean(axis=1)
    closure = np.zeros(len(eyes))
    lid_u = lid_v = np.zeros(len(eyes))
    if len(eyes) > k:
        # closing into t and reopening out of it, both eyes averaged (a blink closes both)
        closure[:-k] = lid_closure(eyes[:-k], eyes[k:])
        lid_u = np.zeros(len(eyes))
        lid_v = np.zeros(len(eyes))
        lid_u[:-k] = np.abs((eyes[:-k, :, 1] - eyes[k:, :, 1]) / 2).mean(axis=1)
        lid_v[:-k] = np.abs((eyes[:-k, :, 2] - eyes[k:, :, 2]) / 2).mean(axis=1)
    width = samples_of(settings.smooth_s, fps, stride)
    return Signal(
        fps,
        frames,
        stride,
        k,
        numbers,
        smooth(face_contrast, width),
        smooth(closure, width),
        smooth(lid_v, width) >= smooth(lid_u, width),
        smooth(free_contrast, width),
        smooth(head_contrast, width),
        masked_at,
        # the eyes' closure from their landmarks (`BlinkTracker`), not smoothed: a blink is short
        None if flows.closure is None else np.asarray(flows.closure, float),
    )


def chained(means: np.ndarray, k: int, chain: int) -> np.ndarray:
    """[samples, ...] the flow over chain * k samples into each sample, as the sum of the chain's flows
    of k (m(t) + m(t - k) + ... ; each m is the flow from k samples earlier, so they join end to end);
    0 where the chain reaches before the first sample."""
    out = np.zeros_like(means)
    for j in range(chain):
        shift = j * k
        if shift < len(means):
            out[shift:] += means[: len(means) - shift]
    out[: chain * k] = 0.0
    return out


def whole_windows(flowed: np.ndarray, before: int, after: int) -> np.ndarray:
    """[samples] bool: every sample from `before` samples before each one to `after` after it has a
    flow (`RegionFlows.flowed`; False also where the window runs past either end)."""
    n = len(flowed)
    missing = np.concatenate([[0], np.cumsum(~np.asarray(flowed, bool))])
    starts, ends = np.arange(n) - before, np.arange(n) + after + 1
    inside = (starts >= 0) & (ends <= n)
    out = np.zeros(n, bool)
    out[inside] = missing[ends[inside]] == missing[starts[inside]]
    return out


@dataclass
class MacroSignal:
    """The macro-expressions' signal (a Signal of k = chain x the micro k) and, per sample, how far
    the top regions of the micro signal stayed moved across the macro window (the net flow from
    chain k before to chain k after, px; NaN where a flow of that window is missing, at a new face box):
    a micro-expression returns, a held or slow expression does not."""

    signal: Signal
    held: np.ndarray
    micro_regional: np.ndarray
    net: np.ndarray | None = None  # [samples, regions, 2] the net flow across the window (`held`'s vectors)
    regional: np.ndarray | None = None  # [samples, regions] each region's in against out at K


def macro_signal(flows: RegionFlows, settings: SpotSettings, fps: float, frames: int) -> MacroSignal:
    """The macro-expressions' signal from the micro pass's flows (`region_flows` at `half_length_s`):
    each region's flow over K = `macro_half_length_s` is the chain of its flows of k (`chained`), its
    in against out over K the contrast, as `signal` does for k; no second pass over the video."""
    stride, k, numbers, heads = flows.stride, flows.k, flows.numbers, flows.heads
    chain = max(1, int(round(settings.macro_half_length_s / settings.half_length_s)))
    regions, computed = painted_regions(flows)
    big = chain * k
    # measured with the eyes painted out where every flow of the window (t - K .. t + K) was
    masked_at = whole_windows(computed, big - k, big)
    long_regions, long_heads = chained(regions, k, chain), chained(heads, k, chain)
    regional = contrast(long_regions, big)
    micro_regional = contrast(regions, k)
    net = np.zeros(regions.shape)
    if len(regions) > big:
        net[:-big] = long_regions[:-big] + long_regions[big:]
    held = np.linalg.norm(net, axis=2)
    if flows.flowed is not None:
        # the chains into t and into t + K join the flows of samples t - K + k .. t + K; where one is missing (the
        # first k samples of a new face box read 0) their sum is not the net flow: the return there is unseen
        unseen = ~whole_windows(flows.flowed, big - k, big)
        held[unseen], net[unseen] = np.nan, np.nan
    face_contrast = np.sort(regional, axis=1)[:, -settings.top_rois :].mean(axis=1)
    free_contrast = np.sort(regional[:, list(EYE_FREE)], axis=1)[:, -settings.top_rois :].mean(axis=1)
    micro = signal(flows, settings, fps, frames)  # its blink tests hold for the macro signal too
    width = samples_of(settings.smooth_s * chain, fps, stride)
    sig = Signal(
        fps,
        frames,
        stride,
        big,
        numbers,
        smooth(face_contrast, width),
        micro.eyes,
        micro.vertical,
        smooth(free_contrast, width),
        smooth(contrast(long_heads, big).mean(axis=1), width),
        masked_at,
        micro.landmark_closure,
    )
    return MacroSignal(sig, held, micro_regional, net, regional)


def blinks(sig: Signal, settings: SpotSettings) -> np.ndarray:
    """Samples of a blink: the landmarks' eyes closed by at least `blink_drop` of their aspect ratio
    (any closure, whatever its shape), or the upper lids' flow fell by at least `blink_closing` of
    the opening, vertically (a partial closure the landmarks follow only in part)."""
    vertical = np.ones(len(sig.eyes), bool) if sig.vertical is None else sig.vertical
    flow = (sig.eyes >= settings.blink_closing) & vertical
    if sig.landmark_closure is None:
        return flow
    return flow | (sig.landmark_closure >= settings.blink_drop)


def noise_floor(values: np.ndarray, settings: SpotSettings) -> float:
    """median + z * 1.4826 MAD of a signal (z: `noise_z`): what its noise reaches."""
    median = float(np.median(values))
    return median + settings.noise_z * 1.4826 * float(np.median(np.abs(values - median)))


def head_residue(sig: Signal, settings: SpotSettings) -> np.ndarray:
    """[samples] bool: the signal is under `head_share` of the head's own in-against-out motion within k
    of it, the residue of a head move that the head's removal left (step 6), not an expression."""
    if sig.head is None or not len(sig.face):
        return np.zeros(len(sig.face), bool)
    padded = np.pad(sig.head, sig.k, mode="edge")
    near = np.lib.stride_tricks.sliding_window_view(padded, 2 * sig.k + 1).max(axis=1)
    return sig.face < settings.head_share * near


def relative_threshold(sig: Signal, settings: SpotSettings, p: float) -> float:
    """mean + p (max - mean), MDMD's relative threshold, its max over the samples that are no head move's
    residue (`head_residue`): a head turn's residue, never spotted, would otherwise set the bar for the
    expressions."""
    eligible = sig.face[~head_residue(sig, settings)]
    mean = float(sig.face.mean())
    top = float(eligible.max()) if len(eligible) else float(sig.face.max())
    return mean + p * (top - mean)


def threshold(sig: Signal, settings: SpotSettings) -> float:
    """The micro signal's threshold: max(`relative_threshold` at `threshold_p`, `noise_floor`)."""
    return max(relative_threshold(sig, settings, settings.threshold_p), noise_floor(sig.face, settings))


def macro_threshold(micro: Signal, macro: Signal, settings: SpotSettings) -> float:
    """The macro signal's threshold: relative to its own values (`macro_threshold_p`), its noise floor the
    micro signal's times the square root of the chain (K / k flows of k, their errors independent): a
    macro-expression is long, so it moves the macro signal's own median and MAD (a real 20-s video of a woman
    crying and then laughing: a floor of 21 over a peak of 11), where the micro signal's stay with the noise
    (the development videos without macro-expressions: their own floor 1.25-2.2 times the micro one)."""
    chain = macro.k / max(micro.k, 1)
    floor = np.sqrt(chain) * noise_floor(micro.face, settings)
    return max(relative_threshold(macro, settings, settings.macro_threshold_p), floor)


def peaks(
    sig: Signal,
    settings: SpotSettings,
    limit: float | None = None,
    blink_reach: int | None = None,
) -> list[int]:
    """Sample indices of the spotted apexes: local maxima above the threshold (`threshold` unless
    given), the highest first kept, others within 2k samples of a kept one dropped; with a blink within
    `blink_reach` samples (default k), kept when the signal there was measured with the eyes painted
    out (the blink is not in it), or else when the regions away from the eyes carry the peak too."""
    values = sig.face
    limit = threshold(sig, settings) if limit is None else limit
    blinking = blinks(sig, settings)
    residue = head_residue(sig, settings)
    free = sig.face if sig.eye_free is None else sig.eye_free
    candidates = [
        i
        for i in range(1, len(values) - 1)
        if values[i] >= limit and values[i] >= values[i - 1] and values[i] > values[i + 1]
    ]
    eyeless = np.zeros(len(values), bool) if sig.masked is None else sig.masked
    reach = sig.k if blink_reach is None else blink_reach
    kept: list[int] = []
    for i in sorted(candidates, key=lambda i: -values[i]):
        if any(abs(i - j) < 2 * sig.k for j in kept):
            continue
        if blinking[max(0, i - reach) : i + reach + 1].any() and not eyeless[i] and free[i] < limit:
            continue
        if residue[i]:
            continue
        kept.append(i)
    return sorted(kept)


def intervals_of(
    sig: Signal, apexes: list[int], kind: str, video: str, subject: str, ends: dict[int, int] | None = None
) -> list[Interval]:
    """[apex - k, apex + k] in frames, clipped to the video; an apex in `ends` (an onset joined to its
    offset, `joined_macros`) runs to that sample + k."""
    half = sig.k * sig.stride
    out = []
    for i in apexes:
        apex = int(sig.sampled[i])
        last = int(sig.sampled[(ends or {}).get(i, i)])
        out.append(Interval(video, subject, kind, max(0, apex - half), apex, min(sig.frames - 1, last + half)))
    return out


def joined_macros(macro: MacroSignal, apexes: list[int], settings: SpotSettings) -> tuple[list[int], dict[int, int]]:
    """The macro apexes with each held expression's onset and offset joined: an apex whose top regions
    (at K) are left moved across its window (net flow at least HELD_SHARE / 2 of their contrast: an onset)
    followed within MACRO_LONGEST_S by an apex whose net flow on those regions returns at least RETURN_SHARE
    of it (its offset) is one expression; returns the apexes kept and, per joined onset, its offset."""
    if macro.net is None or macro.regional is None:
        return apexes, {}
    sig = macro.signal
    longest = samples_of(MACRO_LONGEST_S, sig.fps, sig.stride) - 2 * sig.k
    kept, ends, used = [], {}, set()
    for n, i in enumerate(apexes):
        if i in used:
            continue
        kept.append(i)
        top = np.argsort(macro.regional[i])[-settings.top_rois :]
        onset = macro.net[i, top]
        moved = float(macro.regional[i, top].mean())
        if np.isnan(onset).any() or np.linalg.norm(onset, axis=1).mean() < HELD_SHARE / 2 * moved:
            continue
        for j in apexes[n + 1 :]:
            if j - i > longest:
                break
            offset = macro.net[j, top]
            if np.isnan(offset).any():
                continue
            back = -float((onset * offset).sum()) / max(float((onset * onset).sum()), 1e-9)
            if back >= RETURN_SHARE:
                ends[i] = j
                used.update(a for a in apexes if i < a <= j)
                break
    return kept, ends


@dataclass
class SpottedKind:
    """One kind's signal, its threshold and the intervals spotted on it (the review page's timeline), and
    the video's spans without a face (`FaceTrack`: nothing spotted there)."""

    kind: str
    signal: Signal
    threshold: float
    intervals: list[Interval]
    faceless: list[tuple[int, int]] = field(default_factory=list)


def spot_kinds(
    source: VideoSource,
    settings: SpotSettings,
    kinds: tuple[str, ...],
    video: str,
    subject: str,
    detector: FaceDetector | None = None,
    progress: bool = False,
) -> list[SpottedKind]:
    """Each kind (micro, macro) spotted in one long video, with the signal it was spotted on: one
    pass over the video (`region_flows` at `half_length_s`), the macro signal chained from its flows
    (`macro_signal`), the apexes told apart by `split_kinds`."""
    flows = region_flows(source, settings, settings.half_length_s, detector, progress)
    return kinds_of(flows, settings, source.fps, source.count, kinds, video, subject)


def kinds_of(
    flows: RegionFlows,
    settings: SpotSettings,
    fps: float,
    frames: int,
    kinds: tuple[str, ...],
    video: str,
    subject: str,
) -> list[SpottedKind]:
    """`spot_kinds` from the pass's flows: both signals, the apexes told apart (`split_kinds`), held
    macro-expressions' onsets and offsets joined (`joined_macros`)."""
    micro = signal(flows, settings, fps, frames)
    macro = macro_signal(flows, settings, fps, frames)
    micro_apexes, macro_apexes = split_kinds(micro, macro, settings)
    macro_apexes, macro_ends = joined_macros(macro, macro_apexes, settings)
    out = []
    for kind in kinds:
        if kind == "micro":
            found = intervals_of(micro, micro_apexes, kind, video, subject)
            out.append(SpottedKind(kind, micro, threshold(micro, settings), found, flows.faceless))
        else:
            found = intervals_of(macro.signal, macro_apexes, kind, video, subject, macro_ends)
            limit = macro_threshold(micro, macro.signal, settings)
            out.append(SpottedKind(kind, macro.signal, limit, found, flows.faceless))
    return out


def moves_again(series: np.ndarray, i: int, k: int, big: int) -> bool:
    """Whether `series` (a peak's top regions' contrast over time) has a local maximum of at least
    REPEAT_SHARE of its value at i within `big` samples of i but further than 2k from it."""
    level = REPEAT_SHARE * series[i]
    for j in range(max(1, i - big), min(len(series) - 1, i + big + 1)):
        if abs(j - i) > 2 * k and series[j] >= level and series[j] >= series[j - 1] and series[j] > series[j + 1]:
            return True
    return False


def split_kinds(micro: Signal, macro: MacroSignal, settings: SpotSettings) -> tuple[list[int], list[int]]:
    """Micro and macro apexes. A micro peak (`peaks`) is a micro-expression when it is quick: its
    in-against-out contrast at k is at least `macro_ratio` of the macro signal's around it (a
    micro-expression moves as far in k as in K, a slower one moves less in k), and the skin it
    moved is back across the macro window (the net flow of its top regions from K before to K
    after under HELD_SHARE times its contrast: a held expression's onset or offset is not; where that net flow
    is not measured, across a new face box, the quick test alone decides), and the mouth and jaw
    regions among its top ones do not move again within K (`moves_again`: speech). Other micro peaks
    are the onsets and offsets of longer expressions, or motion that goes on. A macro peak (`peaks` on
    the macro signal, its own threshold `macro_threshold_p`) is a macro-expression unless a
    micro-expression lies within K of it, widened by the macro signal's smoothing (the same movement,
    seen at K)."""
    big = macro.signal.k
    # the macro signal of a movement at j spans j - K to j + K, widened by its smoothing
    reach = big + samples_of(settings.smooth_s * big / max(micro.k, 1), micro.fps, micro.stride) // 2 + 1
    quick = []
    width = samples_of(settings.smooth_s, micro.fps, micro.stride)
    for i in peaks(micro, settings):
        around = macro.signal.face[max(0, i - big) : i + big + 1].max()
        top = np.argsort(macro.micro_regional[i])[-settings.top_rois :]
        held = float(macro.held[i, top].mean())
        moved = float(macro.micro_regional[i, top].mean())
        returned = bool(np.isnan(held)) or held < HELD_SHARE * moved  # unmeasured across a new face box: not held
        mouth = [r for r in top if r in MOUTH]
        again = bool(mouth) and moves_again(smooth(macro.micro_regional[:, mouth].mean(axis=1), width), i, micro.k, big)
        if micro.face[i] >= settings.macro_ratio * around and returned and not again:
            quick.append(i)
    # a blink closes and reopens within one chain of flows, where it cancels, unless it is within k of the apex
    limit = macro_threshold(micro, macro.signal, settings)
    slow = [i for i in peaks(macro.signal, settings, limit, micro.k) if not any(abs(i - j) <= reach for j in quick)]
    return quick, slow


def spot(
    source: VideoSource,
    settings: SpotSettings,
    kinds: tuple[str, ...],
    video: str,
    subject: str,
    detector: FaceDetector | None = None,
    progress: bool = False,
) -> list[Interval]:
    """The spotted intervals of each kind (micro, macro) in one long video."""
    return [
        i
        for spotted in spot_kinds(source, settings, kinds, video, subject, detector, progress)
        for i in spotted.intervals
    ]
