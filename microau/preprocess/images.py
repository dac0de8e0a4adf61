"""Image read/write helpers shared by the synthesizer and the preprocessing stages.

Every stage reads through `read_image` so that a missing, empty or corrupt frame fails with one
message naming the file, instead of OpenCV's silent `None`.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_path

JPEG_SOI = b"\xff\xd8"
JPEG_EOI = b"\xff\xd9"
JPEG_TAIL_BYTES = 4096


class ImageReadError(MicroauError):
    """An image file is missing, empty, truncated or not decodable; the message names the path."""


def read_image(path: str | Path) -> np.ndarray:
    """Read an image as 8-bit BGR (H, W, 3); grayscale and alpha inputs become 3 channels."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    if not data:
        raise ImageReadError(f"cannot read image {path}: the file is empty (0 bytes)")
    if data.startswith(JPEG_SOI) and JPEG_EOI not in data[-JPEG_TAIL_BYTES:]:
        raise ImageReadError(f"cannot read image {path}: truncated JPEG (no end-of-image marker)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageReadError(f"cannot read image {path}: not a decodable image (corrupt or unsupported format)")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ImageReadError(f"cannot read image {path}: unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def to_gray(image: np.ndarray) -> np.ndarray:
    """8-bit single-channel luminance of a BGR (or already grayscale) image."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def match_gain(reference: np.ndarray, image: np.ndarray) -> np.ndarray:
    """`image` (8-bit) scaled so its mean equals the reference's.

    Lamp flicker changes the gain of a whole frame between onset and apex; left in, brightness
    constancy fails and TV-L1 (and, amplified, the magnifier) turns it into motion at every edge.
    """
    mean = float(image.mean())
    if mean == 0.0:
        return image
    scaled = image.astype(np.float32) * np.float32(float(reference.mean()) / mean)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def encode_image(image: np.ndarray, suffix: str, jpeg_quality: int = 95) -> bytes:
    """Encode an 8-bit BGR or grayscale image; the suffix (".png", ".jpg") picks the format."""
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if suffix.lower() in (".jpg", ".jpeg") else []
    ok, buffer = cv2.imencode(suffix, image, params)
    if not ok:
        raise ValueError(f"cannot encode an image of shape {image.shape} as {suffix}")
    return buffer.tobytes()


def write_image(path: str | Path, image: np.ndarray, jpeg_quality: int = 95) -> None:
    """Write an 8-bit BGR or grayscale image under its final name only when complete (its folder is created)."""
    path = Path(path)
    data = encode_image(image, path.suffix, jpeg_quality)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
