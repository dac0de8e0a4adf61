"""`microau train`: one LOSO fold, a protocol's split, or with --all-subjects the final model."""

from __future__ import annotations

import argparse
import functools
import json
import os
from pathlib import Path
from typing import TypeVar

import torch

from microau.aus import parse_aus
from microau.model.device import CHOICES as DEVICE_CHOICES
from microau.model.device import claimed_device
from microau.model.device import describe as describe_device
from microau.model.micro_au_clip import ModelOptions
from microau.training.run import train_fold, train_protocol
from microau.training.settings import SettingsError, TrainingJob, TrainSettings


def json_flag(flag: str, text: str) -> object:
    """The value of a JSON flag; text that is not JSON is a SettingsError naming the flag."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"{flag} is not JSON: {error}") from error


Fields = TypeVar("Fields")


def fields_flag(flag: str, text: str, kind: type[Fields]) -> Fields:
    """`kind` (TrainSettings, ModelOptions) from a JSON flag of its fields; an unknown field or a
    value it does not allow is a SettingsError naming the flag."""
    fields = json_flag(flag, text)
    try:
        return kind(**fields)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"{flag}: {error}") from error


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="microau train", description="train one LOSO fold, or with --all-subjects the final model"
    )
    parser.add_argument(
        "--features",
        type=Path,
        nargs="+",
        required=True,
        help="features HDF5 of the dataset (with --datasets, one per dataset, in its order)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        help="names of the datasets whose caches --features pools (a composite or cross-dataset run)",
    )
    parser.add_argument("--aus", help="comma-separated AUs a pooled run trains on (the datasets' shared AUs)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--held-out", help="subject left out of training (<dataset>/<subject> with --datasets)")
    which.add_argument(
        "--held-out-dataset", help="with --datasets: test every subject of this dataset, train on the others'"
    )
    which.add_argument(
        "--all-subjects",
        action="store_true",
        help="train one final model on every sample (model.pt, history.csv, training_set.json)",
    )
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--settings", required=True, help="JSON of TrainSettings fields")
    parser.add_argument("--options", required=True, help="JSON of ModelOptions fields")
    parser.add_argument(
        "--preprocess",
        required=True,
        help="JSON of the config's frames, magnify, flow and landmarks sections, kept in model.pt",
    )
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--device", required=True, help=f"{DEVICE_CHOICES} (microau.model.device: auto claims a free GPU, else cpu)"
    )
    parser.add_argument(
        "--checkpoint-seconds",
        type=float,
        required=True,
        help="save the state to resume from at the end of the first epoch this long after the last save (0: every "
        "epoch)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    settings = fields_flag("--settings", args.settings, TrainSettings)
    options = fields_flag("--options", args.options, ModelOptions)
    preprocess = json_flag("--preprocess", args.preprocess)
    log = functools.partial(print, flush=True)
    with claimed_device(args.device) as device:
        log(f"device: {describe_device(device)}")
        job = TrainingJob(settings, options, args.out_dir, device, args.checkpoint_seconds, log, preprocess)
        if args.datasets is None:
            if len(args.features) > 1 or args.aus or args.held_out_dataset:
                raise SettingsError("several --features, --aus and --held-out-dataset need --datasets")
            summary = train_fold(args.features[0], args.held_out, job)
        else:
            if len(args.datasets) != len(args.features) or not args.aus:
                raise SettingsError("--datasets needs one --features cache per dataset, and --aus")
            summary = train_protocol(
                dict(zip(args.datasets, args.features)), parse_aus(args.aus), job, args.held_out, args.held_out_dataset
            )
    if summary["held_out"] is None:
        print(f"final model: trained on all {summary['n_train']} samples -> {args.out_dir}")
        return 0
    print(
        f"fold {summary['held_out']}: trained on {summary['n_train']}, predicted {summary['n_test']} -> {args.out_dir}"
    )
    return 0
