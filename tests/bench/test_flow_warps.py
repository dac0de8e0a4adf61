"""The flow's known answer: real photographs warped by a known field, scored as the flow stage sees them."""

import numpy as np
import pytest

from microau.bench.flow_warps import DEVELOPMENT, HELD_OUT, Case, endpoint_errors, known_pair, load_photo, score
from microau.plan.workflow import preprocess_settings
from microau.preprocess.flow import OPENCV_DEFAULTS
from tests.helpers import schema_config


def test_the_held_out_cases_share_no_photograph_warp_and_amplitude_with_the_development_ones():
    development = {(case.photo, case.warp, case.amplitude_px, case.scale) for case in DEVELOPMENT}
    assert not development & {(case.photo, case.warp, case.amplitude_px, case.scale) for case in HELD_OUT}
    assert {case.warp for case in HELD_OUT if case.scale == "lab"}.isdisjoint(case.warp for case in DEVELOPMENT)
    assert {"obama2", "obama3"} <= {case.photo for case in HELD_OUT} - {case.photo for case in DEVELOPMENT}


def test_the_field_scores_zero_against_itself_and_a_wrong_flow_scores_its_error():
    field = (np.zeros((64, 64), np.float32), np.zeros((64, 64), np.float32))
    field[1][20:40, 20:40] = 1.0
    assert endpoint_errors(field, field) == (0.0, 0.0)
    moving, whole = endpoint_errors((field[0], field[1] * 0.5), field)
    assert moving == pytest.approx(0.5) and whole == pytest.approx(0.5 * 400 / 4096)


def test_tvl1_recovers_the_known_warp_of_a_real_photograph():
    settings = preprocess_settings(schema_config())
    pair = known_pair(Case("astronaut", "brows_together", 1.0, "lab"), settings, None, seed=0)
    assert pair.onset.shape == pair.apex.shape == pair.field[0].shape == (256, 256)
    assert float(np.hypot(*pair.field).max()) == pytest.approx(1.0, abs=0.05)  # the peak in crop pixels
    scored = score(pair, OPENCV_DEFAULTS, settings["magnify"]["factor"])
    assert scored["raw_epe_moving_px"] < 0.3 and scored["raw_epe_crop_px"] < 0.05
    assert scored["magnified_epe_moving_px"] < 3 * 0.4 and scored["cpu_seconds"] > 0


def test_a_face_recognition_photograph_needs_its_folder():
    with pytest.raises(ValueError, match="needs --photos"):
        load_photo("obama", None)
