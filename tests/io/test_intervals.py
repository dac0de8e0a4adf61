import pytest

from microau.io.intervals import Interval, IntervalsError, read_intervals, write_intervals


def test_written_intervals_read_back_unchanged(tmp_path):
    intervals = [Interval("006_1", "006", "micro", 0, 5, 9), Interval("006_1", "006", "macro", 100, -1, 300)]
    write_intervals(tmp_path / "a.csv", intervals)
    assert read_intervals(tmp_path / "a.csv") == intervals
    write_intervals(tmp_path / "none.csv", [])
    assert read_intervals(tmp_path / "none.csv") == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("video,onset\nv,1\n", "lacks subject"),
        ("video,subject,kind,onset,apex,offset\nv,s,micro,x,1,2\n", "line 2"),
        ("video,subject,kind,onset,apex,offset\nv,s,blink,1,2,3\n", "not an interval"),
        ("video,subject,kind,onset,apex,offset\nv,s,micro,5,2,3\n", "not an interval"),
    ],
)
def test_a_wrong_intervals_file_is_named(tmp_path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(IntervalsError, match=message):
        read_intervals(tmp_path / "bad.csv")
