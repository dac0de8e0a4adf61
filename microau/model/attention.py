"""Where the model looked: PTA's token weights (Eq. 1-2) placed back on CLIP's patch grid."""

import numpy as np


def attention_map(au_tokens: np.ndarray, weights: np.ndarray, active: list[int], grid: tuple[int, int]) -> np.ndarray:
    """[rows, cols] PTA weight of each patch cell: Eq. (1) token 1 + row * cols + col; a cell shared
    by several active AUs shows the largest of their weights."""
    rows, cols = grid
    cells = np.zeros(rows * cols)
    for a in active:
        for token, weight in zip(au_tokens[a], weights[a]):
            if token > 0:
                cells[token - 1] = max(cells[token - 1], weight)
    return cells.reshape(rows, cols)
