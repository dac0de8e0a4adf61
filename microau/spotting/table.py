"""`microau spotting-table`: a dataset's spotting scores, results/<dataset>_spotting_table.csv.

Rows: micro, macro (where the dataset annotates them) and overall (`microau.spotting.scoring`):
truth and spotted interval counts, TP, precision, recall, F1 with subject-level bootstrap
intervals, and false positives per minute of video. Written through `microau.result_tables`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from microau.bootstrap import Bootstrap
from microau.result_tables import write_result_table
from microau.spotting.intervals import KINDS, read_intervals
from microau.spotting.releases import read_videos
from microau.spotting.scoring import IOU_THRESHOLD, OVERALL, spotting_rows, video_counts

PROG = "microau spotting-table"


def spotting_table(
    videos_tsv: Path, truth_csv: Path, spotted: list[Path], kinds: list[str], bootstrap: Bootstrap | None
) -> list[dict[str, object]]:
    videos = read_videos(videos_tsv)
    truth = [i for i in read_intervals(truth_csv) if i.kind in kinds]
    found = [i for path in spotted for i in read_intervals(path)]
    subjects = sorted({v.subject for v in videos})
    counts = video_counts(found, truth, kinds, IOU_THRESHOLD)
    rows = spotting_rows(counts, kinds, subjects, bootstrap)
    minutes = sum(v.frames / v.fps for v in videos) / 60
    for row in rows:
        fp = sum(c.fp for (_s, _v, kind), c in counts.items() if row["kind"] in (kind, OVERALL))
        row["FP_per_min"] = fp / minutes
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="the dataset's name in the config")
    parser.add_argument("--videos", type=Path, required=True, help="videos.tsv of microau spot-index")
    parser.add_argument("--truth", type=Path, required=True, help="truth.csv of microau spot-index")
    parser.add_argument("--spotted", type=Path, nargs="+", required=True, help="intervals CSV of each video (microau spot)")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, required=True, help="kinds the dataset annotates")
    parser.add_argument("--settings-json", required=True, help="the spotting section, recorded in the table")
    parser.add_argument("--config-hash", required=True, help="hash of the config, recorded in the table")
    parser.add_argument("--resamples", type=int, required=True, help="bootstrap resamples of the subjects")
    parser.add_argument("--resample-seed", type=int, required=True, help="seed of the resampling")
    parser.add_argument("--confidence", type=float, required=True, help="coverage of the percentile intervals")
    parser.add_argument("--table", type=Path, required=True, help="the spotting table to write")
    args = parser.parse_args(argv)
    bootstrap = Bootstrap(args.resamples, args.resample_seed, args.confidence)
    rows = spotting_table(args.videos, args.truth, args.spotted, args.kinds, bootstrap)
    subjects = len({v.subject for v in read_videos(args.videos)})
    metadata = {
        "dataset": args.dataset,
        "scoring": f"MEGC spotting: a spotted interval is a TP at IoU >= {IOU_THRESHOLD} with an unmatched truth "
        "interval of its kind; counts pooled over all videos",
        "intervals": bootstrap.describe(subjects),
        "spotting": args.settings_json,
        "config_hash": args.config_hash,
    }
    write_result_table(args.table, rows, metadata)
    for row in rows:
        print(f"{args.dataset} {row['kind']}: P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['F1']:.3f} "
              f"({row['TP']} TP of {row['truth']} truth, {row['spotted']} spotted, {row['FP_per_min']:.2f} FP/min)")
    return 0
