"""`microau spotting-table`: a dataset's spotting scores, results/<dataset>_spotting_table.csv.

Rows: micro, macro (where the dataset annotates them) and overall (`microau.spotting.scoring`):
truth and spotted interval counts, TP, precision, recall, F1 with subject-level bootstrap
intervals, and false positives per minute of video. With --recognised (each video's analysis CSV of
`microau spot --model`) the micro row adds MEGC 2025's spot-then-recognise columns: recognition
TP/FP/FN, precision, recall, F1, UF1, UAR over the matched micro-expressions as the challenge's
scorer computes them, and STRS, with bootstrap intervals.
Written through `microau.io.result_tables`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from microau.datasets.samples import emotion_of_class
from microau.evaluation.bootstrap import Bootstrap
from microau.io.fold_files import read_training_set
from microau.io.intervals import KINDS, Interval, read_intervals
from microau.io.prediction_rows import read_interval_rows
from microau.io.result_tables import write_result_table
from microau.io.video_table import read_videos
from microau.spotting.recognition import strs_row
from microau.spotting.scoring import (
    IOU_THRESHOLD,
    OVERALL,
    f1_parts,
    matched_pairs,
    spotting_rows,
    video_counts,
)
from microau.spotting.spotter import SpottingError

PROG = "microau spotting-table"


def spotting_table(
    videos_tsv: Path,
    truth_csv: Path,
    spotted: list[Path],
    kinds: list[str],
    bootstrap: Bootstrap | None,
    recognised: list[Path] | None = None,
    class3: dict[str, list[str]] | None = None,
    reading: str = "combinations",
) -> list[dict[str, object]]:
    """Spotting rows; with `recognised` (the analysis CSV of each video, `microau spot --model`)
    and the dataset's `class3`, the micro row also carries recognition and STRS
    (`microau.spotting.recognition`), other rows blank there."""
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
    if recognised is not None:
        megc = recognition_columns(videos, truth, recognised, class3 or {}, reading, subjects, counts, bootstrap)
        for row in rows:
            row.update(megc if row["kind"] == "micro" else dict.fromkeys(megc, ""))
    return rows


def recognition_columns(
    videos,
    truth: list[Interval],
    recognised: list[Path],
    class3: dict[str, list[str]],
    reading: str,
    subjects: list[str],
    counts,
    bootstrap: Bootstrap | None,
) -> dict[str, object]:
    """Recognition over the matched micro-expressions and STRS, as `microau.spotting.recognition`."""
    subject_of = {v.video: v.subject for v in videos}
    classes = emotion_of_class(class3, "spotting_datasets.<name>.class3")
    analysed: dict[str, list[tuple[Interval, str]]] = defaultdict(list)
    for path in recognised:
        for row in read_interval_rows(path):
            context = row.context
            if context["kind"] != "micro":
                continue
            if reading not in row.prediction.emotions:
                raise SpottingError(
                    f"{path} has no mer_{reading}_pred column: analysed by a model without reading {reading}"
                )
            spotted = Interval(
                context["video"],
                subject_of.get(context["video"], ""),
                "micro",
                int(context["onset"]),
                int(context["apex"]),
                int(context["offset"]),
            )
            analysed[context["video"]].append((spotted, row.prediction.emotions[reading]))
    pairs = []
    for video in subject_of:
        expressions = [i for i in truth if i.video == video and i.kind == "micro"]
        spotted = analysed.get(video, [])
        for s, t in matched_pairs([i for i, _ in spotted], expressions, IOU_THRESHOLD):
            label = classes.get(expressions[t].emotion.lower(), "")
            if label:
                pairs.append((subject_of[video], label, spotted[s][1]))
    micro = np.zeros((len(subjects), 3))
    index = {s: i for i, s in enumerate(subjects)}
    for (subject, _video, kind), c in counts.items():
        if kind == "micro":
            micro[index[subject]] += (c.tp, c.fp, c.fn)
    f1 = float(f1_parts(*micro.sum(axis=0))[2])
    resampled = f1_parts(*(bootstrap.multiplicities(len(subjects)) @ micro).T)[2] if bootstrap else None
    return strs_row(f1, pairs, sorted(set(classes.values())), subjects, resampled, bootstrap)


def recognisers(
    recognised: list[Path], training_sets: list[Path], videos_tsv: Path, same_people: bool
) -> dict[str, str | None]:
    """What the model that recognised each video held out (None: a final model), from the
    training_set.json of each, given in `recognised`'s order. With `same_people` (the model's
    dataset records this release's people under the same names) a model that trained on the
    subject of a video it recognised is a SpottingError: that score would not be leak-free."""
    if len(training_sets) != len(recognised):
        raise SpottingError(f"{len(training_sets)} --training-sets for {len(recognised)} --recognised files")
    subject_of = {v.video: v.subject for v in read_videos(videos_tsv)}
    held_out: dict[str, str | None] = {}
    for path, training_set in zip(recognised, training_sets):
        record = read_training_set(training_set)
        for video in sorted({row.context["video"] for row in read_interval_rows(path)}):
            held_out[video] = record["held_out"]
            if same_people and subject_of.get(video) in record["training_subjects"]:
                raise SpottingError(
                    f"{path}: video {video} of subject {subject_of[video]} was recognised by a model trained on "
                    f"that subject ({training_set}): not leak-free"
                )
    return held_out


def parser_of() -> argparse.ArgumentParser:
    """The command's flags."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="the dataset's name in the config")
    parser.add_argument("--videos", type=Path, required=True, help="videos.tsv of microau spot-index")
    parser.add_argument("--truth", type=Path, required=True, help="truth.csv of microau spot-index")
    parser.add_argument(
        "--spotted", type=Path, nargs="+", required=True, help="intervals CSV of each video (microau spot)"
    )
    parser.add_argument("--kinds", nargs="+", choices=KINDS, required=True, help="kinds the dataset annotates")
    parser.add_argument("--settings-json", required=True, help="the spotting section, recorded in the table")
    parser.add_argument("--config-hash", required=True, help="hash of the config, recorded in the table")
    parser.add_argument("--resamples", type=int, required=True, help="bootstrap resamples of the subjects")
    parser.add_argument("--resample-seed", type=int, required=True, help="seed of the resampling")
    parser.add_argument("--confidence", type=float, required=True, help="coverage of the percentile intervals")
    parser.add_argument("--table", type=Path, required=True, help="the spotting table to write")
    parser.add_argument(
        "--recognised",
        type=Path,
        nargs="+",
        help="analysis CSV of each video (microau spot --model): add recognition and STRS (MEGC 2025 "
        "spot-then-recognise)",
    )
    parser.add_argument("--class3", help="with --recognised: JSON {class: [emotions]} of the dataset's truth emotions")
    parser.add_argument("--reading", help="with --recognised: the reading of Eq. 13 whose emotion is scored")
    parser.add_argument(
        "--training-sets",
        type=Path,
        nargs="+",
        default=[],
        help="with --recognised: training_set.json of the model that recognised each video, in its order",
    )
    parser.add_argument(
        "--same-people",
        action="store_true",
        help="with --training-sets: the models' subjects are this release's people under the same names; "
        "a model that trained on the subject it recognised is an error",
    )
    return parser


def print_scores(dataset: str, rows: list[dict], recognised: bool) -> None:
    """Each kind's spotting scores, and with recognition the micro row's, one line each."""
    for row in rows:
        print(
            f"{dataset} {row['kind']}: P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['F1']:.3f} "
            f"({row['TP']} TP of {row['truth']} truth, {row['spotted']} spotted, {row['FP_per_min']:.2f} FP/min)"
        )
        if recognised and row["kind"] == "micro":
            print(
                f"{dataset} spot-then-recognise: recognition P {row['recognition_precision']:.3f} R "
                f"{row['recognition_recall']:.3f} F1 {row['recognition_F1']:.3f} UF1 {row['recognition_UF1']:.3f} "
                f"UAR {row['recognition_UAR']:.3f} ({row['recognition_TP']} of "
                f"{row['recognition_TP'] + row['recognition_FN']} matched recognised), STRS {row['STRS']:.4f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = parser_of()
    args = parser.parse_args(argv)
    if args.recognised and not (args.class3 and args.reading):
        parser.error("--recognised needs --class3 and --reading")
    if args.same_people and not args.training_sets:
        parser.error("--same-people needs --training-sets")
    held_out = (
        recognisers(args.recognised, args.training_sets, args.videos, args.same_people) if args.training_sets else {}
    )
    bootstrap = Bootstrap(args.resamples, args.resample_seed, args.confidence)
    rows = spotting_table(
        args.videos,
        args.truth,
        args.spotted,
        args.kinds,
        bootstrap,
        args.recognised,
        json.loads(args.class3) if args.class3 else None,
        args.reading or "combinations",
    )
    subjects = len({v.subject for v in read_videos(args.videos)})
    metadata = {
        "dataset": args.dataset,
        "scoring": f"MEGC spotting: a spotted interval is a TP at IoU >= {IOU_THRESHOLD} with an unmatched truth "
        "interval of its kind; counts pooled over all videos",
        "intervals": bootstrap.describe(subjects),
        "spotting": args.settings_json,
        "config_hash": args.config_hash,
    }
    if args.training_sets:
        metadata["recognisers_held_out"] = json.dumps(held_out, sort_keys=True)
        metadata["recognisers_checked"] = (
            "each model's training subjects checked against the subject it recognised (same people)"
            if args.same_people
            else "the models' subjects are other people than this release's (not checked by name)"
        )
    write_result_table(args.table, rows, metadata)
    print_scores(args.dataset, rows, bool(args.recognised))
    return 0
