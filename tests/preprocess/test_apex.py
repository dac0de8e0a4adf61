"""The apex found from motion: the frame that moved most from the onset, inside the face box."""

from __future__ import annotations

import numpy as np
import pytest

from microau.preprocess.apex import motion_apex
from tests.fake_releases import motion_clip


@pytest.mark.parametrize(("count", "peak"), [(12, 3), (20, 14)])
def test_the_frame_of_largest_motion_is_the_apex(count: int, peak: int) -> None:
    frames = motion_clip(count, peak, seed=peak)
    found = motion_apex(frames[0], enumerate(frames[1:], start=1))
    assert found.frame == peak and found.face_found
    assert found.image is frames[peak]
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


@pytest.mark.slow
def test_on_synthetic_clips_the_apex_found_is_at_the_peak_of_motion(tmp_path) -> None:
    """The synthetic generator's clips (sub-pixel AU motion peaking at the coded apex, head
    jitter, flicker, noise): the frame found has at least 90 % of the peak motion in most clips."""
    import json

    from microau.datasets.generators.synthetic import FRAMES_DIR, synthesize
    from microau.preprocess.images import read_image

    truth = synthesize(tmp_path, seed=0, subjects=2, per_subject=8)
    shares, offsets = [], []
    for sample in truth["samples"]:
        folder = tmp_path / FRAMES_DIR / f"sub{sample['subject']:02d}" / sample["filename"]
        frames = ((n, read_image(folder / f"img{n}.jpg")) for n in range(sample["onset"] + 1, sample["offset"] + 1))
        found = motion_apex(read_image(folder / f"img{sample['onset']}.jpg"), frames)
        profile = json.loads(sample["profile"]) if isinstance(sample["profile"], str) else sample["profile"]
        shares.append(profile[found.frame - sample["onset"]])
        offsets.append(abs(found.frame - sample["apex"]))
    near = sum(share >= 0.9 for share in shares)
    print(
        f"{near} of {len(shares)} clips: apex found at >= 90 % of the peak motion; "
        f"mean distance to the coded apex {np.mean(offsets):.2f} frames"
    )
    assert near >= 0.8 * len(shares)
