"""Clips made from real photographs of faces that installed packages ship (scikit-image's
astronaut, matplotlib's grace_hopper.jpg): frames the demo generator did not make, for timing and
checking the preprocessing on real skin, hair and lighting (`microau bench`).

Each photograph is set into a 640x360 frame (the size of the real face videos the costs were first
measured on); a clip moves one region (brows or mouth, found by dlib's 68 landmarks) smoothly up
or down and back, with sensor noise, so its apex and its displacement field are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

PHOTOS = ("astronaut", "grace_hopper")
FRAME_SIZE = (640, 360)
REGIONS = {"brows": slice(17, 27), "mouth": slice(48, 60)}
NOISE_SD = 2.0


def photo(name: str) -> np.ndarray:
    """A photograph (BGR) by its name in PHOTOS."""
    if name == "astronaut":
        from skimage.data import astronaut

        return cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    if name == "grace_hopper":
        import matplotlib

        return cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"), cv2.IMREAD_COLOR)
    raise ValueError(f"unknown photo {name!r} (choose from {', '.join(PHOTOS)})")


def photo_frame(name: str) -> np.ndarray:
    """The photograph scaled to the frame's height and centred on a grey 640x360 frame."""
    image = photo(name)
    width, height = FRAME_SIZE
    scaled = cv2.resize(image, (round(image.shape[1] * height / image.shape[0]), height), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 90, np.uint8)
    left = (width - scaled.shape[1]) // 2
    frame[:, left : left + scaled.shape[1]] = scaled
    return frame


@dataclass
class Movement:
    """A region's centre (frame pixels), its Gaussian width and the largest upward (<0) or
    downward shift in pixels."""

    centre: tuple[float, float]
    sigma: float
    shift_px: float

    def field(self, shape: tuple[int, ...]) -> np.ndarray:
        """[H, W] the vertical shift of each pixel at the movement's peak."""
        ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
        cx, cy = self.centre
        return self.shift_px * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * self.sigma**2))


def region_movement(frame: np.ndarray, region: str, shift_px: float) -> Movement:
    """A movement of one of REGIONS, centred on its landmarks, as wide as an eighth of the face."""
    from microau.preprocess.crop import shared_detector
    from microau.preprocess.landmarks import dlib_landmarks68

    face = shared_detector().detect(frame)
    if face is None:
        raise ValueError("no face detected in the photo frame")
    box = (int(face.x), int(face.y), int(face.x + face.width), int(face.y + face.height))
    points = dlib_landmarks68(frame, box)[REGIONS[region]]
    return Movement(tuple(float(c) for c in points.mean(axis=0)), 0.12 * face.width, shift_px)


def moved(frame: np.ndarray, movement: Movement, level: float) -> np.ndarray:
    """The frame with its region shifted by `level` (0..1) of the movement: the pixel at (x, y)
    shows what was at (x, y - shift), so image content moves by +shift (down for shift > 0)."""
    ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]].astype(np.float32)
    shifted = cv2.remap(
        frame.astype(np.float32),
        xs,
        ys - level * movement.field(frame.shape),
        cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REFLECT,
    )
    return shifted


def expression_clip(
    frame: np.ndarray, movement: Movement, count: int, apex: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """`count` frames rising linearly to the movement's peak at frame `apex` and falling back, each
    with Gaussian sensor noise (NOISE_SD grey levels)."""
    frames = []
    for number in range(count):
        level = min(number / apex, (count - 1 - number) / max(1, count - 1 - apex))
        noisy = moved(frame, movement, level) + rng.normal(0, NOISE_SD, frame.shape)
        frames.append(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))
    return frames


@dataclass
class PhotoClip:
    """A clip of a photograph: its name, frames (BGR), known apex and the movement at the apex."""

    name: str
    frames: list[np.ndarray]
    apex: int
    movement: Movement


def photo_clips(count: int, seed: int = 0, frames: tuple[int, int] = (36, 72)) -> list[PhotoClip]:
    """`count` clips taking PHOTOS and REGIONS in turn, each 36..72 frames long (30 fps: 1.2 to
    2.4 s), the apex drawn away from the ends, the shift 1 to 2.5 px (brows up, mouth down)."""
    rng = np.random.default_rng(seed)
    bases = {name: photo_frame(name) for name in PHOTOS}
    clips = []
    for index in range(count):
        name = PHOTOS[index % len(PHOTOS)]
        region = list(REGIONS)[(index // len(PHOTOS)) % len(REGIONS)]
        length = int(rng.integers(frames[0], frames[1] + 1))
        apex = int(rng.integers(8, length - 8))
        shift = float(rng.uniform(1.0, 2.5)) * (-1 if region == "brows" else 1)
        movement = region_movement(bases[name], region, shift)
        clips.append(
            PhotoClip(
                f"{name}_{region}_{index:02d}",
                expression_clip(bases[name], movement, length, apex, rng),
                apex,
                movement,
            )
        )
    return clips
