"""The per-sample chain in one process: crop both frames with one face box, magnify the apex, TV-L1
flow and its image, the apex landmarks in flow-image pixels rounded as stored.

Each step is the function its stage command runs (`crop.crop_with_box`, `magnify.magnify_pair`,
`flow.flow_of_pair`, `landmarks.flow_image_landmarks`), so a clip that `microau predict`, `analyse`
or `spot --model` prepares here gets what the pipeline's files would give; the bench times the same
steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from microau.io.landmarks_csv import as_stored
from microau.preprocess.crop import (
    FaceDetector,
    FaceNotFoundError,
    FrameSizeError,
    crop_with_box,
    face_in_crop,
    shared_detector,
)
from microau.preprocess.flow import Tvl1, flow_of_pair
from microau.preprocess.landmarks import FaceMesh68, flow_image_landmarks
from microau.preprocess.magnify import magnify_pair

STEPS = ("decoding", "apex search", "face", "magnification", "flow", "landmarks", "model")
"""The steps of one clip, in order, as `microau analyse` and `microau bench` time them."""


class StepClock:
    """Seconds of consecutive steps: `lap(step)` charges the time since the last lap to `step`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self.last
        self.last = now


@dataclass
class PreparedPair:
    """A pair after the frames, magnify, flow and landmarks stages: the RGB flow image, the 68 apex
    landmarks in flow-image pixels, the onset and apex crops (BGR, what the review page shows) and
    the seconds of each step (STEPS order)."""

    image: np.ndarray
    points: np.ndarray
    onset_crop: np.ndarray
    apex_crop: np.ndarray
    seconds: dict[str, float]


def prepare_pair(
    onset: np.ndarray,
    apex: np.ndarray,
    settings: dict[str, dict],
    detector: FaceDetector | None = None,
    mesh: FaceMesh68 | None = None,
    name: str = "the onset frame",
) -> PreparedPair:
    """The frames, magnify, flow and landmarks stages on two BGR frames, as the features stage
    reads their outputs; no model is needed, so worker processes run it (`microau.inference.parallel`)."""
    frames, magnify, flow = settings["frames"], settings["magnify"], settings["flow"]
    method = settings["landmarks"]["method"]
    if onset.shape != apex.shape:
        raise FrameSizeError(
            f"onset is {onset.shape[1]}x{onset.shape[0]} but apex is {apex.shape[1]}x{apex.shape[0]}: "
            "both frames must come from one clip"
        )
    clock = StepClock()
    detection = (detector or shared_detector()).detect(onset)
    if detection is None:
        raise FaceNotFoundError(f"no face detected in {name}")
    onset_crop, apex_crop, box = crop_with_box(onset, apex, detection, frames["size"], frames["margin"])
    clock.lap("face")
    magnified = magnify_pair(onset_crop, apex_crop, magnify["factor"], magnify["levels"], magnify["method"])
    clock.lap("magnification")
    *_, image = flow_of_pair(
        onset_crop,
        magnified,
        flow["subtract_median"],
        flow["image_size"],
        flow["third_channel"],
        flow["clip_px"],
        Tvl1.of(flow),
    )
    clock.lap("flow")
    face = face_in_crop(detection, box, frames["size"])
    points = flow_image_landmarks(
        apex_crop, method, face, flow["image_size"], mesh, name=f"the apex crop (face box of {name})"
    )
    clock.lap("landmarks")
    # Rounded as the landmarks file stores them, so the AU tokens equal the features stage's.
    return PreparedPair(image, as_stored(points), onset_crop, apex_crop, clock.seconds)
