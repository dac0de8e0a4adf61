"""A known answer for the flow stage: sub-pixel warps of real face photographs, whose displacement
field is known, put through the pipeline's crop, gain match and magnification (`microau bench
--parts tvl1`, docs/performance.md).

A case is a photograph, a warp, an amplitude and a scale. At lab scale the photograph is scaled so
that dlib's face box is LAB_FACE_PX wide (about 180 px found again in the frame, as faces in CASME
II's 640x480 frames are) and cut to a 640x480 frame around it; at video scale it is set into a
640x360 frame as `photo_clips` does (faces
of 44-90 px, upsampled by the crop). A warp moves image content by a smooth field around dlib
landmarks (`WARPS`); onset and apex each get their own sensor noise (`photo_clips.NOISE_SD`).
Both frames are cropped with one box (`crop.square_box`, `crop_resize`), the apex gain-matched
and magnified as the pipeline does, and the flow is scored against the known field: the mean
end-point error (px at crop resolution) where the face moves (|field| over MOVING_PX, times the
magnification factor on the magnified pair) and over the whole crop, after the median of the
flow and of the field is subtracted (the flow stage subtracts the median). The magnified pair is
what the pipeline computes, scored against factor x field; its error includes the magnifier's.

The flow settings were chosen on the DEVELOPMENT cases and on `clip_pairs`: the onset and apex of
`photo_clips`' clips (skimage's astronaut, matplotlib's grace_hopper.jpg, brows or mouth moved 1 to
2.5 px at 640x360) written as MJPG video and decoded, as `microau analyse` reads a camera's file.
HELD_OUT cases (two photographs used nowhere else, three warps and three amplitudes used nowhere
else, and the video scale for all four) were scored once, after the choice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from microau.bench.photo_clips import FRAME_SIZE, NOISE_SD, photo

LAB_FRAME = (640, 480)
LAB_FACE_PX = 200
MOVING_PX = 0.25
FACE_RECOGNITION_PHOTOS = ("obama", "biden", "obama2", "obama3")
"""face_recognition 1.3.0's tests/test_images (its source release: `pip download face_recognition==1.3.0
--no-binary :all:`) with distinct photographs (32bit.png is obama2.jpg; the partial faces are cut from obama.jpg)."""
WARPS = ("brows_up", "mouth_down", "lip_corners", "brows_together", "cheeks_up_rigid")


@dataclass(frozen=True)
class Case:
    """One known-answer pair: a photograph, a warp of WARPS, its peak in crop pixels, lab or video scale."""

    photo: str
    warp: str
    amplitude_px: float
    scale: str

    @property
    def name(self) -> str:
        return f"{self.photo}/{self.warp}/{self.amplitude_px:g}px/{self.scale}"


DEVELOPMENT = tuple(
    Case(p, w, a, "lab") for p in ("obama", "biden") for w in ("brows_up", "mouth_down") for a in (0.3, 0.7, 1.5)
)
HELD_OUT = tuple(
    Case(p, w, a, "lab")
    for p in ("obama2", "obama3", "astronaut", "grace_hopper")
    for w in ("lip_corners", "brows_together", "cheeks_up_rigid")
    for a in (0.5, 1.0, 2.0)
) + tuple(
    Case(p, w, 1.0, "video")
    for p in ("obama2", "obama3", "astronaut", "grace_hopper")
    for w in ("brows_up", "lip_corners", "brows_together", "cheeks_up_rigid")
)


def load_photo(name: str, folder: Path | None) -> np.ndarray:
    """A photograph (BGR): one of face_recognition's from `folder`, or one `photo_clips` ships."""
    if name in FACE_RECOGNITION_PHOTOS:
        if folder is None:
            raise ValueError(f"{name}.jpg needs --photos (face_recognition's tests/test_images)")
        image = cv2.imread(str(Path(folder) / f"{name}.jpg"), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"cannot read {Path(folder) / f'{name}.jpg'}")
        return image
    return photo(name)


def video_frame(image: np.ndarray) -> np.ndarray:
    """The photograph scaled to the 640x360 frame's height, centred (cut at the sides when wider)."""
    width, height = FRAME_SIZE
    scaled = cv2.resize(image, (round(image.shape[1] * height / image.shape[0]), height), interpolation=cv2.INTER_AREA)
    if scaled.shape[1] >= width:
        left = (scaled.shape[1] - width) // 2
        return np.ascontiguousarray(scaled[:, left : left + width])
    frame = np.full((height, width, 3), 90, np.uint8)
    left = (width - scaled.shape[1]) // 2
    frame[:, left : left + scaled.shape[1]] = scaled
    return frame


def lab_frame(image: np.ndarray) -> np.ndarray:
    """The photograph scaled so that its face box is LAB_FACE_PX wide, in a 640x480 frame around the face."""
    from microau.preprocess.crop import shared_detector

    small = video_frame(image)
    face = shared_detector().detect(small)
    if face is None:
        raise ValueError("no face in the photograph")
    to_small = FRAME_SIZE[1] / image.shape[0]
    offset = (small.shape[1] - round(image.shape[1] * to_small)) // 2
    scale = LAB_FACE_PX * to_small / face.width
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    cx = (face.x + face.width / 2 - offset) / to_small * scale
    cy = (face.y + face.height / 2) / to_small * scale
    width, height = LAB_FRAME
    frame = np.full((height, width, 3), 90, np.uint8)
    x0, y0 = round(cx - width / 2), round(cy - 0.45 * height)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + width, big.shape[1]), min(y0 + height, big.shape[0])
    frame[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = big[sy0:sy1, sx0:sx1]
    return frame


def bump(shape: tuple[int, int], centre: np.ndarray, sigma: float) -> np.ndarray:
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    return np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * sigma**2))


def warp_field(frame: np.ndarray, warp: str, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dy) frame pixels that image content moves by, around the frame's dlib landmarks, Gaussians
    an eighth of the face wide (`photo_clips.region_movement`'s): brows up, mouth down, lip corners up
    and out (AU12), inner brows in and down (AU4), cheeks up with a rigid head move (AU6; a shift of
    0.3 x peak and a 0.15 degree roll)."""
    from microau.preprocess.crop import shared_detector
    from microau.preprocess.landmarks import dlib_landmarks68

    face = shared_detector().detect(frame)
    points = dlib_landmarks68(frame, (int(face.x), int(face.y), int(face.x + face.width), int(face.y + face.height)))
    sigma = 0.12 * face.width
    shape = frame.shape[:2]
    dx, dy = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    if warp == "brows_up":
        dy -= peak * bump(shape, points[17:27].mean(axis=0), sigma)
    elif warp == "mouth_down":
        dy += peak * bump(shape, points[48:60].mean(axis=0), sigma)
    elif warp == "lip_corners":
        for index, side in ((48, -1), (54, 1)):
            near = bump(shape, points[index], 0.6 * sigma)
            dx += side * 0.8 * peak * near
            dy -= 0.6 * peak * near
    elif warp == "brows_together":
        for index, side in ((21, 1), (22, -1)):
            near = bump(shape, points[index], 0.6 * sigma)
            dx += side * 0.7 * peak * near
            dy += 0.7 * peak * near
    elif warp == "cheeks_up_rigid":
        for index in (1, 15):
            dy -= peak * bump(shape, (points[index] + points[30]) / 2, sigma)
        ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
        roll = np.deg2rad(0.15)
        dx += 0.3 * peak - (ys - points[30][1]) * roll
        dy += 0.2 * peak + (xs - points[30][0]) * roll
    else:
        raise ValueError(f"unknown warp {warp!r} (choose from {', '.join(WARPS)})")
    return dx, dy


@dataclass
class KnownPair:
    """A case through the pipeline's crop: grey onset, gain-matched apex and magnified apex crops, and
    the field (u, v) in crop pixels."""

    case: Case
    onset: np.ndarray
    apex: np.ndarray
    magnified: np.ndarray
    field: tuple[np.ndarray, np.ndarray]


def known_pair(case: Case, settings: dict, folder: Path | None, seed: int) -> KnownPair:
    """The case's frames cropped, gain-matched and magnified with the preprocessing `settings`."""
    from microau.preprocess.crop import crop_resize, shared_detector, square_box
    from microau.preprocess.images import match_gain, to_gray
    from microau.preprocess.magnify import magnify_pair

    frames, magnify = settings["frames"], settings["magnify"]
    image = load_photo(case.photo, folder)
    frame = lab_frame(image) if case.scale == "lab" else video_frame(image)
    face = shared_detector().detect(frame)
    box = square_box(face, frames["margin"], frame.shape[1], frame.shape[0])
    to_crop = frames["size"] / box[2]
    dx, dy = warp_field(frame, case.warp, case.amplitude_px / to_crop)
    ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]].astype(np.float32)
    # pixel p shows what was at p - d: to first order, content moves by d
    apex = cv2.remap(frame.astype(np.float32), xs - dx, ys - dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    rng = np.random.default_rng(seed)
    onset, apex = (
        np.clip(np.rint(image + rng.normal(0, NOISE_SD, image.shape)), 0, 255).astype(np.uint8)
        for image in (frame.astype(np.float32), apex)
    )
    onset_crop, apex_crop = crop_resize(onset, box, frames["size"]), crop_resize(apex, box, frames["size"])
    magnified = magnify_pair(onset_crop, apex_crop, magnify["factor"], magnify["levels"], magnify["method"])
    onset_gray = to_gray(onset_crop)
    field = (crop_resize(dx, box, frames["size"]) * to_crop, crop_resize(dy, box, frames["size"]) * to_crop)
    return KnownPair(
        case,
        onset_gray,
        match_gain(onset_gray, to_gray(apex_crop)),
        match_gain(onset_gray, to_gray(magnified)),
        field,
    )


def endpoint_errors(flow: tuple[np.ndarray, np.ndarray], field: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """Mean end-point error where the field moves more than MOVING_PX (scaled with it) and over the
    crop, both medians subtracted."""
    (u, v), (fu, fv) = flow, field
    fu, fv = fu - np.median(fu), fv - np.median(fv)
    error = np.hypot(u - np.median(u) - fu, v - np.median(v) - fv)
    return float(error[np.hypot(fu, fv) > MOVING_PX].mean()), float(error.mean())


def score(pair: KnownPair, tvl1, factor: float) -> dict:
    """The settings `tvl1` (`microau.preprocess.flow.Tvl1`) on the raw pair (against the field) and
    the magnified pair (against factor x field, MOVING_PX scaled alike): errors and the magnified
    pair's CPU seconds (this process, one OpenCV thread) and wall seconds."""
    from microau.preprocess.flow import tvl1_flow

    raw = endpoint_errors(tvl1_flow(pair.onset, pair.apex, tvl1), pair.field)
    cpu, wall = time.process_time(), time.perf_counter()
    flow = tvl1_flow(pair.onset, pair.magnified, tvl1)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    u, v = (component / factor for component in flow)
    magnified = endpoint_errors((u, v), pair.field)
    return {
        "case": pair.case.name,
        "raw_epe_moving_px": raw[0],
        "raw_epe_crop_px": raw[1],
        "magnified_epe_moving_px": magnified[0] * factor,
        "magnified_epe_crop_px": magnified[1] * factor,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
    }


def clip_pairs(settings: dict, work: Path, count: int = 8) -> list[KnownPair]:
    """The onset (frame 0) and known apex of `photo_clips(count)` after an MJPG round trip through
    `work`, cropped, gain-matched and magnified with `settings`, with the apex's field in crop pixels."""
    from microau.bench.photo_clips import photo_clips
    from microau.preprocess.crop import crop_resize, shared_detector, square_box
    from microau.preprocess.images import match_gain, to_gray
    from microau.preprocess.magnify import magnify_pair
    from microau.preprocess.video import video_frames, write_video

    frames, magnify = settings["frames"], settings["magnify"]
    pairs = []
    for clip in photo_clips(count):
        decoded = [frame for _, frame in video_frames(write_video(work / f"{clip.name}.avi", clip.frames, 30.0))]
        onset, apex = decoded[0], decoded[clip.apex]
        box = square_box(shared_detector().detect(onset), frames["margin"], onset.shape[1], onset.shape[0])
        to_crop = frames["size"] / box[2]
        field = crop_resize(clip.movement.field(onset.shape).astype(np.float32), box, frames["size"]) * to_crop
        onset_crop, apex_crop = crop_resize(onset, box, frames["size"]), crop_resize(apex, box, frames["size"])
        magnified = magnify_pair(onset_crop, apex_crop, magnify["factor"], magnify["levels"], magnify["method"])
        onset_gray = to_gray(onset_crop)
        pairs.append(
            KnownPair(
                Case(clip.name, "photo_clips", abs(clip.movement.shift_px), "video (MJPG)"),
                onset_gray,
                match_gain(onset_gray, to_gray(apex_crop)),
                match_gain(onset_gray, to_gray(magnified)),
                (np.zeros_like(field), field),
            )
        )
    return pairs
