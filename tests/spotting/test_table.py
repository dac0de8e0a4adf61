from microau.io.intervals import Interval, write_intervals
from microau.io.result_tables import read_result_table
from microau.io.video_table import LongVideoRow, write_videos
from microau.spotting.table import main


def test_spotting_table_scores_pooled_intervals_with_fp_per_minute(tmp_path, capsys):
    write_videos(
        tmp_path / "videos.tsv",
        [LongVideoRow("a", "s1", "a.avi", 30.0, 1800), LongVideoRow("b", "s2", "b.avi", 30.0, 1800)],
    )
    write_intervals(
        tmp_path / "truth.csv", [Interval("a", "s1", "micro", 10, 15, 20), Interval("b", "s2", "micro", 50, 55, 60)]
    )
    write_intervals(
        tmp_path / "a.csv", [Interval("a", "s1", "micro", 10, 15, 20), Interval("a", "s1", "micro", 500, 505, 510)]
    )
    write_intervals(tmp_path / "b.csv", [])
    argv = [
        "--dataset",
        "toy",
        "--videos",
        str(tmp_path / "videos.tsv"),
        "--truth",
        str(tmp_path / "truth.csv"),
        "--spotted",
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
        "--kinds",
        "micro",
        "--settings-json",
        "{}",
        "--config-hash",
        "h",
        "--resamples",
        "50",
        "--resample-seed",
        "0",
        "--confidence",
        "0.9",
        "--table",
        str(tmp_path / "table.csv"),
    ]
    assert main(argv) == 0
    metadata, rows = read_result_table(tmp_path / "table.csv", ["kind", "F1", "F1_lo", "FP_per_min"], ["scoring"])
    assert metadata["dataset"] == "toy"
    (row,) = rows
    assert (row["kind"], row["TP"], row["spotted"], row["truth"]) == ("micro", "1", "2", "2")
    assert float(row["F1"]) == 0.5 and float(row["FP_per_min"]) == 0.5  # 1 FP in 2 minutes
    assert "toy micro: P 0.500 R 0.500 F1 0.500" in capsys.readouterr().out
