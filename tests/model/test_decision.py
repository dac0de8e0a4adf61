"""The one decision rule: P(on) above AU_THRESHOLD, strictly."""

import numpy as np

from microau.model.decision import AU_THRESHOLD, active_aus, is_on, on_matrix


def test_an_au_is_on_strictly_above_the_threshold():
    assert not is_on(AU_THRESHOLD)
    assert is_on(np.nextafter(AU_THRESHOLD, 1.0))
    assert active_aus({"AU01": 0.9, "AU02": AU_THRESHOLD, "AU04": 0.51, "AU12": 0.1}) == ["AU01", "AU04"]


def test_the_matrix_form_takes_the_same_decisions():
    probs = np.array([[0.9, AU_THRESHOLD], [0.2, 0.7]])
    assert on_matrix(probs).tolist() == [[1, 0], [0, 1]]
    assert on_matrix(probs).dtype.kind == "i"
