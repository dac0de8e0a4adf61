"""The landmarks file of one sample: `results/landmarks/<dataset>/<sample>.csv`.

Columns `point,x,y`; 68 rows, point 0..67 in the iBUG/dlib order (`microau.preprocess.landmarks`),
x and y in flow-image pixels with three decimals. The landmarks stage writes it; the features stage
reads it to place each AU's patch tokens (Eq. 1), and the report to draw them. `microau predict`
rounds its in-process points with `as_stored`, so a new clip gets the tokens the file would give.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from microau.io.atomic import atomic_open

HEADER = "point,x,y"


def _coordinate(value: float) -> str:
    return f"{value:.3f}"


def as_stored(points: np.ndarray) -> np.ndarray:
    """(68, 2) float32 points rounded as the file stores them."""
    return np.array([[float(_coordinate(x)), float(_coordinate(y))] for x, y in points], dtype=np.float32)


def write_landmarks(path: str | Path, points: np.ndarray) -> None:
    """Write the (68, 2) points of one sample."""
    lines = [HEADER] + [f"{i},{_coordinate(x)},{_coordinate(y)}" for i, (x, y) in enumerate(points)]
    with atomic_open(path) as handle:
        handle.write("\n".join(lines) + "\n")


def read_landmarks(path: str | Path) -> np.ndarray:
    """(68, 2) float32 points of one sample, in file order."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(r["x"]), float(r["y"])] for r in rows], dtype=np.float32)
