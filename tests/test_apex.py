"""The apex found from motion: the frame that moved most from the onset, inside the face box."""

from __future__ import annotations

import numpy as np
import pytest

from fake_releases import motion_clip
from microau.preprocess.apex import motion_apex


@pytest.mark.parametrize(("count", "peak"), [(12, 3), (20, 14)])
def test_the_frame_of_largest_motion_is_the_apex(count: int, peak: int) -> None:
    frames = motion_clip(count, peak, seed=peak)
    found = motion_apex(frames[0], enumerate(frames[1:], start=1))
    assert found.frame == peak and found.face_found
    assert sorted(found.motion) == list(range(1, count))
    assert found.motion[peak] > 3 * found.motion[count - 1]


def test_head_translation_and_flicker_are_not_motion() -> None:
    """A clip whose whole face shifts by 1 px and brightens by 5 % at frame 2, while the brows
    move most at frame 6: the median flow and the gain match take the first out."""
    frames = motion_clip(10, 6, amplitude_px=1.0)
    shifted = np.roll(frames[2], 1, axis=1).astype(np.float32) * 1.05
    frames[2] = np.clip(shifted, 0, 255).astype(np.uint8)
    assert motion_apex(frames[0], enumerate(frames[1:], start=1)).frame == 6


def test_a_clip_without_a_face_is_measured_over_the_whole_frame_and_ties_go_to_the_earliest() -> None:
    flat = np.full((120, 160, 3), 90, np.uint8)
    found = motion_apex(flat, [(4, flat), (5, flat)])
    assert (found.frame, found.face_found, found.motion) == (4, False, {4: 0.0, 5: 0.0})


def test_no_frame_or_a_frame_of_another_size_raises() -> None:
    flat = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="no frame after the onset"):
        motion_apex(flat, [])
    with pytest.raises(ValueError, match="frame 3 is 32x32 but the onset is 64x64"):
        motion_apex(flat, [(3, np.zeros((32, 32, 3), np.uint8))])
