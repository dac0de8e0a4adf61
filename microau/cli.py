"""`microau <command> ...`: one entry point whose subcommands are the pipeline's stages.

Each command names its module and function; modules are imported only when their command runs,
so preprocessing jobs never pay for importing torch. An error a user can fix (`MicroauError`, or
a file that cannot be read or written) prints one line and exits 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple

from microau.errors import MicroauError


class Command(NamedTuple):
    module: str
    function: str
    help: str


COMMANDS: dict[str, Command] = {
    "synthesize": Command(
        "microau.datasets.generators.synthetic",
        "main",
        "generate a synthetic dataset in the CASME II or SAMM layout, or as a table of videos",
    ),
    "synthesize-long": Command(
        "microau.datasets.generators.synthetic_long",
        "main",
        "generate synthetic long videos with micro-expressions at known times",
    ),
    "index": Command("microau.datasets.index", "main", "write the normalised sample table of a dataset release"),
    "elan-import": Command(
        "microau.datasets.elan", "main", "a folder of ELAN .eaf files and their videos -> a table for reader table"
    ),
    "boris-import": Command(
        "microau.datasets.boris",
        "main",
        "BORIS projects or tabular exports and their videos -> a table for reader table",
    ),
    "spot-index": Command(
        "microau.datasets.long_index", "main", "the long videos and annotated expressions of a spotting dataset"
    ),
    "faces": Command(
        "microau.preprocess.crop", "faces_main", "detect the face of every sample; report those without one"
    ),
    "frames": Command("microau.preprocess.crop", "main", "crop onset and apex frames of one sample with its face box"),
    "magnify": Command("microau.preprocess.magnify", "main", "magnify the apex crop against the onset crop"),
    "flow": Command("microau.preprocess.flow", "main", "TV-L1 flow from onset to magnified apex, and its flow image"),
    "landmarks": Command("microau.preprocess.landmarks", "main", "68 landmarks of the apex crop in flow-image pixels"),
    "landmark-agreement": Command(
        "microau.preprocess.landmark_agreement",
        "main",
        "dlib vs mediapipe landmarks of a dataset's crops, per Table I region",
    ),
    "weights": Command("microau.model.features", "weights_main", "resolve the CLIP weights named in the config"),
    "features": Command(
        "microau.model.features", "features_main", "cache CLIP hidden states and AU token indices in HDF5"
    ),
    "train": Command("microau.training.cli", "main", "train one leave-one-subject-out fold"),
    "aggregate": Command("microau.evaluation.aggregate", "main", "pool fold predictions into the AU and MER tables"),
    "aggregate-protocol": Command(
        "microau.evaluation.protocols", "main", "score a composite or cross-dataset protocol per dataset and overall"
    ),
    "ablation": Command(
        "microau.evaluation.ablation", "main", "one ablation table of the paper from the runs of its variants"
    ),
    "ablation-table": Command(
        "microau.evaluation.ablation", "ablation_table_main", "stack the ablation tables of a dataset into one file"
    ),
    "figures": Command("microau.evaluation.report", "figures_main", "figures of the Snakemake report for one dataset"),
    "predict": Command(
        "microau.inference.predict", "main", "AU probabilities and zero-shot emotion of one onset/apex pair"
    ),
    "analyse": Command(
        "microau.inference.analyse", "main", "analyse many clips (videos, image folders) into one CSV, one row per clip"
    ),
    "spot": Command(
        "microau.spotting.spot", "main", "spot the expressions of a long video; with --model, their AUs and emotion"
    ),
    "spotting-table": Command(
        "microau.spotting.table", "main", "MEGC spotting scores of a dataset's spotted intervals"
    ),
    "spot-bench": Command(
        "microau.spotting.bench", "main", "sub-pixel accuracy and cost of the spotter's flow methods"
    ),
    "bench": Command("microau.bench.throughput", "main", "measure stage throughput, training step cost and memory"),
}


def usage() -> str:
    lines = ["usage: microau <command> [options]", "", "commands:"]
    lines += [f"  {name:<18} {command.help}" for name, command in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"microau: unknown command '{name}'\n{usage()}", file=sys.stderr)
        return 2
    command = COMMANDS[name]
    entry = getattr(importlib.import_module(command.module), command.function)
    try:
        return int(entry(rest) or 0)
    except (MicroauError, OSError) as error:
        print(f"microau {name}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
