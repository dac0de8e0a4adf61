"""Clips of real photographs: the movement goes where its field says, the apex search finds the
known apex through `microau analyse`'s own preparation."""

import numpy as np
import pytest

from microau.bench.photo_clips import (
    PHOTOS,
    moved,
    photo_clips,
    photo_frame,
    region_movement,
)
from microau.bench.throughput import bench_config
from microau.inference.analyse import Clip, prepare_clip
from microau.plan.workflow import preprocess_settings
from microau.preprocess.chain import STEPS
from microau.preprocess.video import write_video


@pytest.mark.parametrize("name", PHOTOS)
def test_each_photo_is_a_640x360_frame_with_a_face_whose_brows_move_as_their_field_says(name):
    frame = photo_frame(name)
    assert frame.shape == (360, 640, 3)
    movement = region_movement(frame, "brows", 2.0)
    cx, cy = (round(c) for c in movement.centre)
    assert movement.field(frame.shape)[cy, cx] == pytest.approx(2.0, abs=0.01)
    # on a vertical ramp (each row's value its row number) the content at the centre comes from 2 px above
    ramp = np.repeat(np.arange(360, dtype=np.float32)[:, None, None], 640, axis=1).repeat(3, axis=2)
    shifted = moved(ramp, movement, 1.0)
    assert shifted[cy, cx, 0] == pytest.approx(cy - 2.0, abs=0.05)
    assert shifted[10, 10, 0] == pytest.approx(10.0, abs=0.01)  # far from the brows nothing moves


@pytest.mark.slow
def test_the_apex_search_finds_the_known_apex_of_photo_clips_and_every_step_is_timed(tmp_path):
    settings = preprocess_settings(bench_config())
    for clip in photo_clips(2, seed=3, frames=(24, 30)):
        path = write_video(tmp_path / f"{clip.name}.avi", clip.frames, 30.0)
        prepared = prepare_clip((Clip(clip.name, path), settings))
        assert prepared.status is None
        assert abs(int(prepared.row["apex"]) - clip.apex) <= 1, clip.name
        assert set(prepared.seconds | prepared.pair.seconds) == set(STEPS) - {"model"}
