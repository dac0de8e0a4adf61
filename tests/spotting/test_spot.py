"""`microau spot --model`: spotted micro-expressions of a long video through a tiny trained model,
the same from one job and from two."""

import csv
import filecmp

import pytest

from microau.datasets.generators.synthetic_long import synthesize_long
from microau.spotting.bench import default_settings
from microau.spotting.spot import main


@pytest.mark.slow
def test_spot_with_a_model_writes_one_row_per_micro_expression_with_aus_and_emotions(fold_model, tmp_path):
    synthesize_long(tmp_path / "long", seed=5, subjects=1, fps=30, duration_s=8, per_minute=8)
    config = tmp_path / "config.yaml"
    config.write_text("spotting: {threshold_p: %s}\n" % default_settings().threshold_p)
    out = tmp_path / "analysis.csv"
    argv = ["--video", str(tmp_path / "long" / "videos" / "s01.avi"), "--config", str(config)]
    assert main([*argv, "--model", str(fold_model), "--out", str(out), "--quiet", "--jobs", "2"]) == 0
    one_job = tmp_path / "one_job.csv"
    assert main([*argv, "--model", str(fold_model), "--out", str(one_job), "--quiet", "--jobs", "1"]) == 0
    assert filecmp.cmp(out, one_job, shallow=False)  # the intervals prepared in two workers: the same file
    rows = list(csv.DictReader(out.open()))
    assert len(rows) >= 1
    assert {
        "onset",
        "apex",
        "offset",
        "apex_s",
        "AU01_prob",
        "AU17_on",
        "mer_combinations_pred",
        "mer_joined_pred",
        "status",
    } <= set(rows[0])
    assert 0.0 <= float(rows[0]["AU01_prob"]) <= 1.0
    assert int(rows[0]["onset"]) <= int(rows[0]["apex"]) <= int(rows[0]["offset"])


def test_a_coders_file_or_another_runs_page_stops_spot_before_the_video_is_read(tmp_path, capsys):
    from microau.cli import main as cli_main

    video = tmp_path / "p01" / "interview.avi"  # never opened: the outputs are claimed first
    video.parent.mkdir()
    video.write_bytes(b"not read")
    coded = tmp_path / "p01" / "interview.eaf"
    coded.write_text("<ANNOTATION_DOCUMENT AUTHOR='coder'/>")
    (tmp_path / "config.yaml").write_text("spotting: {}\n")
    argv = ["spot", "--video", str(video), "--config", str(tmp_path / "config.yaml"), "--out", str(tmp_path / "p.csv")]
    assert cli_main([*argv, "--eaf", str(coded)]) == 2
    assert capsys.readouterr().err.startswith(f"microau spot: error: --eaf: {coded} exists and is not an export")
    assert coded.read_text() == "<ANNOTATION_DOCUMENT AUTHOR='coder'/>"
    (tmp_path / "study.boris").write_text("{}")
    assert cli_main([*argv, "--boris", str(tmp_path / "study.boris")]) == 2
    assert "--boris: " in capsys.readouterr().err
    page = tmp_path / "review.html"
    page.write_text('<meta name="microau-results" content="/elsewhere/p02.csv">')
    assert cli_main([*argv, "--review", str(page)]) == 2
    assert "already the review page of /elsewhere/p02.csv" in capsys.readouterr().err
