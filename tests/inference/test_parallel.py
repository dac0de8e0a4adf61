"""`microau.inference.parallel`: results in order from any number of workers, and --jobs refused
when it names no worker (0 or less is an error, not one job)."""

import argparse

import pytest

from microau import cli
from microau.inference.parallel import job_count, ordered_map


def square(value: int) -> int:
    return value * value


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_order(jobs):
    assert list(ordered_map(square, range(7), jobs)) == [v * v for v in range(7)]


@pytest.mark.parametrize("text", ["0", "-2", "two"])
def test_jobs_that_name_no_worker_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        job_count(text)
    if text.lstrip("-").isdigit():
        with pytest.raises(ValueError, match="jobs must be 1 or more"):
            list(ordered_map(square, [1, 2], int(text)))


def test_analyse_with_jobs_0_stops_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(
            [
                "analyse",
                str(tmp_path),
                "--model",
                str(tmp_path / "model.pt"),
                "--out",
                str(tmp_path / "a.csv"),
                "--jobs",
                "0",
            ]
        )
    assert stop.value.code == 2
    assert "argument --jobs: must be 1 or more, got 0" in capsys.readouterr().err
