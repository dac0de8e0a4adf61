"""`microau synthesize`: a small synthetic micro-expression dataset in the CASME II or SAMM layout.

Lets the whole pipeline run, and be tested, without a licensed release: the CASME II (or SAMM)
reader reads it like the real thing. Faces come from one real photograph (skimage's astronaut); subjects differ
by a similarity transform, illumination and sensor noise. Each sample moves the skin around the
landmarks of its action units by a sub-pixel, spatially smooth displacement that rises from onset
to apex and falls to offset, on top of smooth head jitter, brightness flicker and noise.

Writes, under --out, in the CASME II layout (--layout casme2):
  CASME2_RAW_selected/subNN/<Filename>/imgN.jpg  frames onset..offset (640x480, JPEG quality 95)
  CASME2-coding-synthetic.xlsx                   Sheet1 with CASME II's 9 columns, nothing else
or in the SAMM layout (--layout samm; subjects 006, 007, ..., emotions named as SAMM names them):
  SAMM/<subj>/<subj>_<i>_<c>/<subj>_<NNNN>.jpg    frames onset..offset, numbers padded to 4 digits
  SAMM_Micro_FACS_Codes_synthetic.xlsx           a 13-row title block, then SAMM's 12 columns
or as a lab's table of videos (--layout table, read by reader `table`; CASME II's names):
  clips/subNN/<Filename>.avi                     frames onset..offset as MJPEG at TABLE_FPS
  samples.csv                                    subject, clip, onset, apex, offset, au, emotion,
                                                 fps, first_frame (1: the video's first frame is 1)
and in all:
  synthesis.json                                 per-subject and per-sample truth, for tests only
Every file is a pure function of the layout, the seed and the sizes.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import re
import shutil
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.preprocess.images import encode_image
from microau.preprocess.video import VideoWriter

PROG = "microau synthesize"
FRAME_WIDTH, FRAME_HEIGHT = 640, 480
JPEG_QUALITY = 95
FRAMES_DIR = "CASME2_RAW_selected"
CODING_FILE = "CASME2-coding-synthetic.xlsx"
SAMM_FRAMES_DIR = "SAMM"
SAMM_CODING_FILE = "SAMM_Micro_FACS_Codes_synthetic.xlsx"
TRUTH_FILE = "synthesis.json"
TABLE_CLIPS_DIR = "clips"
TABLE_FILE = "samples.csv"
TABLE_FPS = 200  # CASME II's and SAMM's frame rate
LAYOUTS = ("casme2", "samm", "table")
"""Release layouts the generator writes: the reader of each is the config's `reader` of the dataset."""
SAMM_TITLE_ROWS = 13
SAMM_FIRST_SUBJECT = 6
SAMM_COLUMNS = (
    "Subject",
    "Filename",
    "Inducement Code",
    "Onset Frame",
    "Apex Frame",
    "Offset Frame",
    "Duration",
    "Micro",
    "Action Units",
    "Estimated Emotion",
    "Objective Classes",
    "Notes",
)
# The generator's emotions as SAMM codes them (capitalised; its negative class holds anger and contempt).
SAMM_EMOTIONS = {
    "others": "Other",
    "disgust": "Anger",
    "happiness": "Happiness",
    "repression": "Contempt",
    "surprise": "Surprise",
}
EMOTION_CLASSES: dict[str, tuple[str, ...]] = {
    "positive": ("happiness",),
    "negative": ("disgust", "repression"),
    "surprise": ("surprise",),
}
"""The three classes of the generator's emotions, as MEGC 2019 classes CASME II's (`others` unclassed)."""


def emotion_classes(layout: str) -> dict[str, list[str]]:
    """The generator's emotions of each class in `layout`'s naming, lower case: what a generated
    dataset's `class3` must list for its clips to be classed (the bench indexes with it)."""
    named = (lambda emotion: SAMM_EMOTIONS[emotion].lower()) if layout == "samm" else (lambda emotion: emotion)
    return {label: [named(emotion) for emotion in emotions] for label, emotions in EMOTION_CLASSES.items()}


CODING_COLUMNS = (
    "Subject",
    "Filename",
    None,
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    None,
    "Action Units",
    "Estimated Emotion",
)

# Shares of the emotions over the dataset (CASME II-like), and the AU sets each one draws from.
EMOTION_SHARES: tuple[tuple[str, float], ...] = (
    ("others", 0.35),
    ("disgust", 0.25),
    ("happiness", 0.15),
    ("repression", 0.13),
    ("surprise", 0.12),
)
EMOTION_AU_SETS: dict[str, tuple[tuple[int, ...], ...]] = {
    "happiness": ((12,), (6, 12)),
    "surprise": ((1, 2),),
    "disgust": ((4, 7), (4, 9), (4, 10)),
    "repression": ((14,), (15,), (17,), (14, 17), (15, 17)),
    "others": ((1,), (2,), (4,), (7,), (12,), (14,), (15,), (17,)),
}
# AUs that a few samples show on one side only, coded with an L/R prefix as in CASME II.
LATERAL_AUS = (12, 14, 15)
LATERAL_SHARE = 0.1

# Motion of each AU at its apex: a direction in face axes (medial: toward the face midline, down:
# toward the chin) and the anchors it is applied at, {0-based iBUG-68 landmarks averaged into one
# point: weight}. The anchors cover the landmarks of Table I (microau.aus) for the AUs listed there.
UP = (0.0, -1.0)
AU_MOTIONS: dict[int, tuple[tuple[float, float], dict[tuple[int, ...], float]]] = {
    1: (UP, {(19,): 0.4, (20,): 0.8, (21,): 1.0, (22,): 1.0, (23,): 0.8, (24,): 0.4}),
    2: (UP, {(17,): 0.6, (18,): 1.0, (19,): 0.8, (24,): 0.8, (25,): 1.0, (26,): 0.6}),
    4: ((0.7, 0.7), {(i,): 1.0 if 19 <= i <= 24 else 0.5 for i in range(17, 27)}),
    6: (UP, {(41, 31, 2): 1.0, (46, 35, 14): 1.0, (40, 31): 0.5, (47, 35): 0.5}),
    7: (UP, {(40,): 0.8, (41,): 1.0, (46,): 1.0, (47,): 0.8, (38,): 0.4, (44,): 0.4}),
    9: (UP, {(27,): 0.4, (28,): 0.5, (29,): 0.7, (31,): 1.0, (32,): 0.8, (34,): 0.8, (35,): 1.0}),
    10: (UP, {(49,): 0.6, (50,): 1.0, (51,): 1.0, (52,): 1.0, (53,): 0.6}),
    12: ((-0.5, -0.85), {(48,): 1.0, (54,): 1.0, (59,): 0.4, (55,): 0.4}),
    14: ((1.0, 0.0), {(48,): 1.0, (54,): 1.0, (60,): 0.7, (64,): 0.7, (59,): 0.5, (55,): 0.5}),
    15: ((-0.2, 1.0), {(48,): 1.0, (54,): 1.0, (59,): 0.5, (55,): 0.5}),
    17: (UP, {(7,): 0.8, (8,): 1.0, (9,): 0.8, (57,): 1.0, (56,): 0.6, (58,): 0.6}),
}

AMPLITUDE_PX = (0.3, 1.5)
SIGMA_PX = (10.0, 15.0)
FRAMES_PER_SAMPLE = (15, 30)
ONSET_FRAME = (20, 300)
JITTER_PX = 0.5
FLICKER = 0.02
NOISE_SIGMA = (1.0, 2.0)
BASE_SCALE = 2.0  # astronaut pixels -> frame pixels: a face about 190 px wide in a 640x480 frame
FACE_CENTRE_SOURCE = (228.0, 125.0)  # astronaut face centre, the point placed near the frame centre
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = datetime(2014, 5, 8)
FIXED_DOC_STAMP = FIXED_DOC_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
MODIFIED_PROPERTY = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


class SynthesisError(MicroauError):
    """The output folder holds frames this generator did not write; the message names it."""


@dataclass
class Subject:
    """One synthetic person: how the photograph is placed, lit and how noisy the sensor is."""

    subject: int
    scale: float
    rotation_deg: float
    translation: tuple[float, float]
    gain: float
    gamma: float
    gradient: float
    gradient_angle_deg: float
    noise_sigma: float
    landmarks68: list[list[float]] | None = None


@dataclass
class Sample:
    """One clip: timing, AUs and their amplitudes, and the nuisances of every frame."""

    index: int
    subject: int
    filename: str
    emotion: str
    aus: list[int]
    side: str
    action_units: str
    onset: int
    apex: int
    offset: int
    amplitude_px: dict[int, float]
    sigma_px: dict[int, float]
    profile: list[float]
    jitter_px: list[list[float]]
    flicker: list[float]


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """Independent stream per (seed, key): what a worker renders does not depend on the others."""
    return np.random.default_rng([seed, *key])


def quota(n: int, shares: tuple[tuple[str, float], ...]) -> list[str]:
    """Largest-remainder split of n items by shares, so small datasets keep every class."""
    raw = [(name, share * n) for name, share in shares]
    counts = {name: int(value) for name, value in raw}
    for name, value in sorted(raw, key=lambda item: item[1] - int(item[1]), reverse=True)[: n - sum(counts.values())]:
        counts[name] += 1
    return [name for name, _ in shares for _ in range(counts[name])]


def plan_subjects(seed: int, subjects: int) -> list[Subject]:
    """Placement, lighting and noise level of each subject (landmarks come later, from dlib)."""
    out = []
    for s in range(1, subjects + 1):
        rng = rng_for(seed, 1, s)
        out.append(
            Subject(
                subject=s,
                scale=float(BASE_SCALE * rng.uniform(0.9, 1.1)),
                rotation_deg=float(rng.uniform(-5, 5)),
                translation=(float(rng.uniform(-40, 40)), float(rng.uniform(-25, 25))),
                gain=float(rng.uniform(0.85, 1.15)),
                gamma=float(rng.uniform(0.8, 1.25)),
                gradient=float(rng.uniform(0.0, 0.25)),
                gradient_angle_deg=float(rng.uniform(0, 360)),
                noise_sigma=float(rng.uniform(*NOISE_SIGMA)),
            )
        )
    return out


def plan_samples(seed: int, subjects: int, per_subject: int, layout: str = "casme2") -> list[Sample]:
    """Emotions by quota, AU sets cycling within each emotion, so every AU appears; clips named as
    `layout` names them."""
    rng = rng_for(seed, 0)
    emotions = quota(subjects * per_subject, EMOTION_SHARES)
    rng.shuffle(emotions)
    cycles = {e: [sets[i] for i in rng.permutation(len(sets))] for e, sets in EMOTION_AU_SETS.items()}
    used = {e: 0 for e in cycles}
    samples = []
    for index, emotion in enumerate(emotions):
        subject = index // per_subject + 1
        aus = list(cycles[emotion][used[emotion] % len(cycles[emotion])])
        used[emotion] += 1
        samples.append(plan_sample(rng_for(seed, 2, index), index, subject, emotion, aus))
    for subject in range(1, subjects + 1):
        name_clips(rng_for(seed, 3, subject), [s for s in samples if s.subject == subject], layout)
    return samples


def plan_sample(rng: np.random.Generator, index: int, subject: int, emotion: str, aus: list[int]) -> Sample:
    """Timing (sin^2 rise to the apex, cos^2 fall), amplitudes, laterality, jitter and flicker of a clip."""
    n = int(rng.integers(FRAMES_PER_SAMPLE[0], FRAMES_PER_SAMPLE[1] + 1))
    apex_index = int(rng.integers(round(0.35 * (n - 1)), round(0.65 * (n - 1)) + 1))
    onset = int(rng.integers(ONSET_FRAME[0], ONSET_FRAME[1] + 1))
    side = ""
    if any(au in LATERAL_AUS for au in aus) and rng.random() < LATERAL_SHARE:
        side = str(rng.choice(["L", "R"]))
    codes = [f"{side}{au}" if side and au in LATERAL_AUS else str(au) for au in aus]
    t = np.arange(n, dtype=np.float64)
    rise = np.sin(0.5 * np.pi * t / apex_index) ** 2
    fall = np.cos(0.5 * np.pi * (t - apex_index) / (n - 1 - apex_index)) ** 2
    profile = np.where(t <= apex_index, rise, fall)
    radius = rng.uniform(0.1, JITTER_PX)
    cycles = rng.uniform(0.3, 1.0, size=2)
    phases = rng.uniform(0, 2 * np.pi, size=2)
    jitter = radius / np.sqrt(2) * np.sin(2 * np.pi * cycles[None, :] * t[:, None] / (n - 1) + phases[None, :])
    return Sample(
        index=index,
        subject=subject,
        filename="",
        emotion=emotion,
        aus=aus,
        side=side,
        action_units="+".join(codes),
        onset=onset,
        apex=onset + apex_index,
        offset=onset + n - 1,
        amplitude_px={au: round(float(rng.uniform(*AMPLITUDE_PX)), 4) for au in aus},
        sigma_px={au: round(float(rng.uniform(*SIGMA_PX)), 3) for au in aus},
        profile=[round(float(p), 6) for p in profile],
        jitter_px=[[round(float(x), 4), round(float(y), 4)] for x, y in jitter],
        flicker=[round(float(f), 5) for f in 1.0 + rng.uniform(-FLICKER, FLICKER, size=n)],
    )


def subject_folder(layout: str, subject: int) -> str:
    """The folder (and sheet id) of a subject: CASME II's `sub01` (also the table's), SAMM's `006`."""
    return f"{subject + SAMM_FIRST_SUBJECT - 1:03d}" if layout == "samm" else f"sub{subject:02d}"


def name_clips(rng: np.random.Generator, samples: list[Sample], layout: str) -> None:
    """Names unique within a subject: CASME II's EP<episode>_<clip>[f], SAMM's <subj>_<inducement>_<clip>."""
    clips: dict[int, int] = {}
    for sample in samples:
        episode = int(rng.integers(1, 20))
        clips[episode] = clips.get(episode, 0) + 1
        suffix = "f" if rng.random() < 0.3 else ""
        if layout != "samm":
            sample.filename = f"EP{episode:02d}_{clips[episode]:02d}{suffix}"
        else:
            sample.filename = f"{subject_folder(layout, sample.subject)}_{episode}_{clips[episode]}"


class SubjectRenderer:
    """Renders frames of one subject by one backward warp of the lit photograph per frame."""

    def __init__(self, subject: Subject) -> None:
        from skimage import data

        rgb = data.astronaut().astype(np.float32) / 255.0
        self.source = np.ascontiguousarray((255.0 * subject.gain * rgb[..., ::-1] ** subject.gamma).astype(np.float32))
        angle = np.deg2rad(subject.rotation_deg)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        centre = np.array([FRAME_WIDTH / 2 + subject.translation[0], FRAME_HEIGHT / 2 + subject.translation[1]])
        # frame = scale * R (source - face centre) + centre; the maps need its inverse.
        self.inverse = rotation.T / subject.scale
        self.offset = np.array(FACE_CENTRE_SOURCE) - self.inverse @ centre
        # float32 factors for the float32 pixel grids: numpy 1 computed these products in float32, and
        # numpy 2 (NEP 50) would compute them in float64; this keeps numpy 1's frames under both.
        self.inverse32, offset32 = self.inverse.astype(np.float32), np.asarray(self.offset, dtype=np.float32)
        ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
        self.base_x = (self.inverse32[0, 0] * xs + self.inverse32[0, 1] * ys + offset32[0]).astype(np.float32)
        self.base_y = (self.inverse32[1, 0] * xs + self.inverse32[1, 1] * ys + offset32[1]).astype(np.float32)
        direction = np.deg2rad(subject.gradient_angle_deg)
        along_x, along_y = (xs - FRAME_WIDTH / 2) / FRAME_WIDTH, (ys - FRAME_HEIGHT / 2) / FRAME_HEIGHT
        ramp = along_x * np.float32(np.cos(direction)) + along_y * np.float32(np.sin(direction))
        self.light = (1.0 + subject.gradient * ramp)[..., None].astype(np.float32)

    def render_posed(
        self, displacement: np.ndarray | None, pose: np.ndarray, gain: float, noise: np.ndarray | None
    ) -> np.ndarray:
        """One 8-bit BGR frame of the face moved by the head's pose, a 2x3 affine from each frame
        pixel to the point of the unmoved face it shows, whose skin has moved by displacement
        (frame pixels of the unmoved face)."""
        height, width = self.base_x.shape
        linear = self.inverse @ pose[:, :2]
        shift = self.inverse @ pose[:, 2] + self.offset
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        map_x = (np.float32(linear[0, 0]) * xs + np.float32(linear[0, 1]) * ys + np.float32(shift[0])).astype(
            np.float32
        )
        map_y = (np.float32(linear[1, 0]) * xs + np.float32(linear[1, 1]) * ys + np.float32(shift[1])).astype(
            np.float32
        )
        if displacement is not None:
            moved = cv2.warpAffine(
                displacement, pose.astype(np.float32), (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            )
            inverse = self.inverse32
            map_x -= inverse[0, 0] * moved[..., 0] + inverse[0, 1] * moved[..., 1]
            map_y -= inverse[1, 0] * moved[..., 0] + inverse[1, 1] * moved[..., 1]
        return self.finish(
            cv2.remap(self.source, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT), gain, noise
        )

    def finish(self, frame: np.ndarray, gain: float, noise: np.ndarray | None) -> np.ndarray:
        """Lighting, gain and sensor noise on a warped frame, rounded to 8 bits."""
        frame *= self.light * np.float32(gain)
        if noise is not None:
            frame += noise
        frame += 0.5
        np.clip(frame, 0, 255, out=frame)
        return frame.astype(np.uint8)

    def render(
        self, displacement: np.ndarray | None, jitter: tuple[float, float], gain: float, noise: np.ndarray | None
    ) -> np.ndarray:
        """One 8-bit BGR frame whose content has moved by displacement + jitter (frame pixels)."""
        jx, jy = jitter
        map_x = self.base_x - np.float32(self.inverse[0, 0] * jx + self.inverse[0, 1] * jy)
        map_y = self.base_y - np.float32(self.inverse[1, 0] * jx + self.inverse[1, 1] * jy)
        if displacement is not None:
            inverse = self.inverse32
            map_x = map_x - (inverse[0, 0] * displacement[..., 0] + inverse[0, 1] * displacement[..., 1])
            map_y = map_y - (inverse[1, 0] * displacement[..., 0] + inverse[1, 1] * displacement[..., 1])
        frame = cv2.remap(self.source, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        return self.finish(frame, gain, noise)


def face_axes(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors toward the image-right side of the face and toward the chin, and the midline point."""
    across = landmarks[42:48].mean(axis=0) - landmarks[36:42].mean(axis=0)
    across /= np.linalg.norm(across)
    down = np.array([-across[1], across[0]])
    return across, down, landmarks[27:31].mean(axis=0)


def au_displacement(landmarks: np.ndarray, au: int, amplitude: float, sigma: float, side: str) -> np.ndarray:
    """(H, W, 2) skin displacement of one AU at its apex: Gaussian bumps at its anchors, peak = amplitude.

    `side` "L"/"R" keeps the anchors on the subject's left/right half only (the image's right/left).
    """
    across, down, midline = face_axes(landmarks)
    field = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 2), np.float32)
    radius = int(np.ceil(4 * sigma))
    (medial, downward), anchors = AU_MOTIONS[au]
    for anchor, weight in anchors.items():
        point = landmarks[list(anchor)].mean(axis=0)
        lateral = float(np.dot(point - midline, across))
        if (side == "L" and lateral <= 0) or (side == "R" and lateral >= 0):
            continue
        direction = -np.sign(lateral) * medial * across + downward * down
        direction = direction / np.linalg.norm(direction)
        x0, x1 = max(int(point[0]) - radius, 0), min(int(point[0]) + radius + 1, FRAME_WIDTH)
        y0, y1 = max(int(point[1]) - radius, 0), min(int(point[1]) + radius + 1, FRAME_HEIGHT)
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        centre_x, centre_y = np.float32(point[0]), np.float32(point[1])  # float32 as under numpy 1
        bump = weight * np.exp(-((xs - centre_x) ** 2 + (ys - centre_y) ** 2) / (2 * sigma**2))
        field[y0:y1, x0:x1] += bump[..., None] * direction.astype(np.float32)
    peak = float(np.sqrt((field**2).sum(axis=2)).max())
    return field * np.float32(amplitude / peak)


def sample_displacement(landmarks: np.ndarray, sample: Sample) -> np.ndarray:
    """Summed apex displacement of all the sample's AUs; laterality applies to LATERAL_AUS only."""
    total = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 2), np.float32)
    for au in sample.aus:
        side = sample.side if au in LATERAL_AUS else ""
        total += au_displacement(landmarks, au, sample.amplitude_px[au], sample.sigma_px[au], side)
    return total


def frame_path(root: Path, layout: str, sample: Sample, frame_number: int) -> Path:
    """Where one frame of a sample goes in `layout`."""
    folder = subject_folder(layout, sample.subject)
    if layout == "casme2":
        return root / FRAMES_DIR / folder / sample.filename / f"img{frame_number}.jpg"
    return root / SAMM_FRAMES_DIR / folder / sample.filename / f"{folder}_{frame_number:04d}.jpg"


def clip_path(root: Path, sample: Sample) -> Path:
    """Where the video of a sample goes in the table layout."""
    return root / TABLE_CLIPS_DIR / subject_folder("table", sample.subject) / f"{sample.filename}.avi"


def render_subject(seed: int, root: Path, subject: Subject, samples: list[Sample], layout: str) -> int:
    """Write every frame of one subject's samples (as images, or one video per sample in the table
    layout); returns the number of frames written."""
    renderer = SubjectRenderer(subject)
    landmarks = np.asarray(subject.landmarks68, dtype=np.float32)
    sigma = np.float32(subject.noise_sigma)
    written = 0
    for sample in samples:
        rng = rng_for(seed, 4, sample.index)
        displacement = sample_displacement(landmarks, sample)
        writer = (
            VideoWriter(clip_path(root, sample), TABLE_FPS, (FRAME_WIDTH, FRAME_HEIGHT)) if layout == "table" else None
        )
        if writer is None:
            frame_path(root, layout, sample, sample.onset).parent.mkdir(parents=True, exist_ok=True)
        for index, frame_number in enumerate(range(sample.onset, sample.offset + 1)):
            noise = rng.standard_normal((FRAME_HEIGHT, FRAME_WIDTH, 3), dtype=np.float32) * sigma
            frame = renderer.render(
                displacement * np.float32(sample.profile[index]),
                tuple(sample.jitter_px[index]),
                sample.flicker[index],
                noise,
            )
            if writer is not None:
                writer.write(frame)
            else:
                frame_path(root, layout, sample, frame_number).write_bytes(encode_image(frame, ".jpg", JPEG_QUALITY))
            written += 1
        if writer is not None:
            writer.close()
    return written


def write_table(path: Path, root: Path, samples: list[Sample]) -> None:
    """The table of the table layout: frame numbers count the video's frames from 1."""
    import csv

    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["subject", "clip", "onset", "apex", "offset", "au", "emotion", "fps", "first_frame"])
        for s in samples:
            clip = clip_path(root, s).relative_to(root).as_posix()
            onset, apex, offset = 1, s.apex - s.onset + 1, s.offset - s.onset + 1
            writer.writerow(
                [subject_folder("table", s.subject), clip, onset, apex, offset, s.action_units, s.emotion, TABLE_FPS, 1]
            )


def detect_subject_landmarks(subjects: list[Subject]) -> None:
    """68 landmarks of each subject's still, lit, noise-free face: where its AU motion goes (dlib's
    face detector, then its 68-point predictor on that box, as the pipeline's default landmarks)."""
    from microau.preprocess.crop import FaceDetector, FaceNotFoundError
    from microau.preprocess.landmarks import dlib_landmarks68

    detector = FaceDetector()
    for subject in subjects:
        frame = SubjectRenderer(subject).render(None, (0.0, 0.0), 1.0, None)
        found = detector.detect(frame)
        if found is None:
            raise FaceNotFoundError(f"subject {subject.subject}: no face detected in the synthetic base frame")
        box = (int(found.x), int(found.y), int(found.x + found.width), int(found.y + found.height))
        points = dlib_landmarks68(frame, box)
        subject.landmarks68 = [[round(float(x), 3), round(float(y), 3)] for x, y in points]


def write_coding_sheet(path: Path, samples: list[Sample]) -> None:
    """CASME II's Sheet1 with its 9 columns (two unnamed and empty), byte-stable across runs."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(list(CODING_COLUMNS))
    for s in samples:
        sheet.append([s.subject, s.filename, None, s.onset, s.apex, s.offset, None, s.action_units, s.emotion])
    save_workbook(path, book)


def write_samm_coding_sheet(path: Path, samples: list[Sample]) -> None:
    """SAMM's sheet: a title block of SAMM_TITLE_ROWS rows, then its 12 columns (the Subject cell
    an integer, as the real sheet has it for most rows), byte-stable across runs."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "FACS Codes"
    sheet.append(["SAMM Micro-FACS Codes (synthetic, written by microau synthesize)"])
    for row in range(2, SAMM_TITLE_ROWS + 1):
        sheet.cell(row=row, column=1, value=None)
    for column, header in enumerate(SAMM_COLUMNS, start=1):
        sheet.cell(row=SAMM_TITLE_ROWS + 1, column=column, value=header)
    for s in samples:
        inducement = int(s.filename.split("_")[1])
        sheet.append(
            [
                s.subject + SAMM_FIRST_SUBJECT - 1,
                s.filename,
                inducement,
                s.onset,
                s.apex,
                s.offset,
                s.offset - s.onset + 1,
                "Micro - 1/2",
                s.action_units,
                s.emotion,
                None,
                None,
            ]
        )
    save_workbook(path, book)


def save_workbook(path: Path, book) -> None:
    """An xlsx whose bytes depend only on its cells (fixed creator and times)."""
    book.properties.creator = "microau synthesize"
    book.properties.created = FIXED_DOC_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(restamp_zip(buffer.getvalue()))


def restamp_zip(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed times: openpyxl stamps the wall clock into every zip member and
    into the `modified` document property, whatever the workbook's properties say."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = MODIFIED_PROPERTY.sub(rb"\g<1>" + FIXED_DOC_STAMP + rb"\g<2>", content)
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def synthesize(
    out: Path, *, seed: int, subjects: int, per_subject: int, threads: int = 1, layout: str = "casme2"
) -> dict:
    """Generate the dataset under `out` in `layout` (LAYOUTS); returns the truth that is also
    written to synthesis.json. `threads` processes render subjects in parallel; the output does not
    depend on it."""
    if layout not in LAYOUTS:
        raise SynthesisError(f"--layout must be one of {', '.join(LAYOUTS)}, got '{layout}'")
    frames_root = out / {"casme2": FRAMES_DIR, "samm": SAMM_FRAMES_DIR, "table": TABLE_CLIPS_DIR}[layout]
    if frames_root.exists():
        if not (out / TRUTH_FILE).exists():
            raise SynthesisError(
                f"{frames_root} exists and is not a synthetic release (no {TRUTH_FILE}); refusing to overwrite it"
            )
        shutil.rmtree(frames_root)
    out.mkdir(parents=True, exist_ok=True)
    people = plan_subjects(seed, subjects)
    samples = plan_samples(seed, subjects, per_subject, layout)
    if layout == "samm":
        for sample in samples:
            sample.emotion = SAMM_EMOTIONS[sample.emotion]
    detect_subject_landmarks(people)
    jobs = [(seed, out, person, [s for s in samples if s.subject == person.subject], layout) for person in people]
    if threads > 1:
        # spawn, not fork: a forked child inherits OpenCV's thread state and can hang.
        # One OpenCV thread per process: the processes already fill the cores.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(min(threads, len(jobs)), context, initializer=cv2.setNumThreads, initargs=(1,))
        with pool:
            frames = sum(pool.map(render_subject, *zip(*jobs)))
    else:
        frames = sum(render_subject(*job) for job in jobs)
    if layout == "casme2":
        write_coding_sheet(out / CODING_FILE, samples)
    elif layout == "samm":
        write_samm_coding_sheet(out / SAMM_CODING_FILE, samples)
    else:
        write_table(out / TABLE_FILE, out, samples)
    truth = {
        "layout": layout,
        "seed": seed,
        "frame_size": [FRAME_WIDTH, FRAME_HEIGHT],
        "frames": frames,
        "subjects": [asdict(p) for p in people],
        "samples": [asdict(s) for s in samples],
    }
    with atomic_open(out / TRUTH_FILE) as handle:
        handle.write(json.dumps(truth, indent=1) + "\n")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="release root to write")
    parser.add_argument("--seed", type=int, required=True, help="seed of every random draw")
    parser.add_argument("--subject-count", type=int, required=True, help="number of synthetic subjects")
    parser.add_argument("--samples-per-subject", type=int, required=True, help="samples per subject")
    parser.add_argument(
        "--layout", choices=LAYOUTS, required=True, help="release layout to write (the dataset's reader)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=min(len(os.sched_getaffinity(0)), 8),
        help="processes rendering subjects in parallel (output does not depend on it)",
    )
    args = parser.parse_args(argv)
    if args.subject_count < 1 or args.samples_per_subject < 1:
        parser.error("--subject-count and --samples-per-subject must be at least 1")
    start = time.perf_counter()
    truth = synthesize(
        args.out,
        seed=args.seed,
        subjects=args.subject_count,
        per_subject=args.samples_per_subject,
        threads=args.threads,
        layout=args.layout,
    )
    print(
        f"{PROG}: {len(truth['samples'])} samples, {args.subject_count} subjects, {truth['frames']} frames "
        f"-> {args.out} ({args.layout} layout, seed {args.seed}, {time.perf_counter() - start:.1f} s)"
    )
    return 0
