"""`microau <command> ...`: one entry point whose subcommands are the pipeline's stages.

Each subcommand lives in its own module as `main(argv) -> int`; modules are imported only when
their command runs, so preprocessing jobs never pay for importing torch.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "synthesize": ("microau.datasets.synthetic", "generate a synthetic dataset in the CASME II layout"),
    "index": ("microau.datasets", "write the normalised sample table of a dataset release"),
    "faces": ("microau.preprocess.crop", "detect the face of every sample; report those without one"),
    "frames": ("microau.preprocess.crop", "crop onset and apex frames of one sample with its face box"),
    "magnify": ("microau.preprocess.magnify", "magnify the apex crop against the onset crop"),
    "flow": ("microau.preprocess.flow", "TV-L1 flow from onset to magnified apex, and its flow image"),
    "landmarks": ("microau.preprocess.landmarks", "68 landmarks of the apex crop in flow-image pixels"),
    "landmark-agreement": (
        "microau.preprocess.landmark_agreement",
        "dlib vs mediapipe landmarks of a dataset's crops, per Table I region",
    ),
    "weights": ("microau.features", "resolve the CLIP weights named in the config"),
    "features": ("microau.features", "cache CLIP hidden states and AU token indices in HDF5"),
    "train": ("microau.train", "train one leave-one-subject-out fold"),
    "aggregate": ("microau.evaluate", "pool fold predictions into the AU and MER tables"),
    "ablation": ("microau.ablation", "one ablation table of the paper from the runs of its variants"),
    "ablation-table": ("microau.ablation", "stack the ablation tables of a dataset into one file"),
    "figures": ("microau.report", "figures of the Snakemake report for one dataset"),
    "predict": ("microau.predict", "AU probabilities and zero-shot emotion of one onset/apex pair"),
    "bench": ("microau.bench", "measure stage throughput, training step cost and memory"),
}


def usage() -> str:
    lines = ["usage: microau <command> [options]", "", "commands:"]
    lines += [f"  {name:<14} {help_}" for name, (_, help_) in COMMANDS.items()]
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
    module = importlib.import_module(COMMANDS[name][0])
    entry = getattr(module, f"{name.replace('-', '_')}_main", None) or module.main
    return int(entry(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
