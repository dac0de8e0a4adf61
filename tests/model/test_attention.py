"""PTA token weights placed on the patch grid (the review page's and the report's attention figure)."""

import numpy as np

from microau.model.attention import attention_map


def test_attention_map_paints_eq1_cells_with_the_largest_weight():
    au_tokens = np.array([[1, 9, -1], [9, 49, -1]])
    weights = np.array([[0.7, 0.3, 0.0], [0.6, 0.4, 0.0]])
    cells = attention_map(au_tokens, weights, [0, 1], (7, 7))
    assert cells[0, 0] == 0.7  # token 1 = row 0, col 0
    assert cells[1, 1] == 0.6  # token 9 = 1 + 1 * 7 + 1, shared: the larger weight
    assert cells[6, 6] == 0.4  # token 49 = 1 + 6 * 7 + 6
    assert np.count_nonzero(cells) == 3
    assert np.count_nonzero(attention_map(au_tokens, weights, [0], (7, 7))) == 2
