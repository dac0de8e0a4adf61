"""The landmarks file: 68 numbered points with three decimals, read back as written."""

from pathlib import Path

import numpy as np

from microau.io.landmarks_csv import as_stored, read_landmarks, write_landmarks


def test_points_round_trip_at_the_stored_precision(tmp_path: Path) -> None:
    points = np.random.default_rng(0).uniform(0, 224, (68, 2)).astype(np.float32)
    path = tmp_path / "landmarks" / "s.csv"
    write_landmarks(path, points)
    lines = path.read_text().splitlines()
    assert lines[0] == "point,x,y" and [line.split(",")[0] for line in lines[1:]] == [str(i) for i in range(68)]
    back = read_landmarks(path)
    assert back.dtype == np.float32 and back.shape == (68, 2)
    np.testing.assert_array_equal(back, as_stored(points))
    np.testing.assert_allclose(back, points, atol=5e-4)
    write_landmarks(path, back)
    np.testing.assert_array_equal(read_landmarks(path), back)
    assert [p.name for p in path.parent.iterdir()] == ["s.csv"]
