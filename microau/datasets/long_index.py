"""`microau spot-index`: the long videos of a spotting dataset and their annotated expressions.

Reads a release with its reader (`microau.releases.SPOT_READERS`: `casme_sq`, `samm_lv`,
`synthetic_long`, what `microau synthesize-long` writes) and writes videos.tsv and skipped.tsv
(`microau.io.video_table`) and truth.csv (`microau.io.intervals`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from microau.datasets.long_release import read_long_release
from microau.datasets.release import DatasetError
from microau.io.intervals import write_intervals
from microau.io.video_table import write_skipped, write_videos
from microau.releases import KINDS_ANNOTATED, SPOT_READERS

PROG = "microau spot-index"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--reader", choices=SPOT_READERS, required=True, help="release layout")
    parser.add_argument("--root", type=Path, required=True, help="release folder")
    parser.add_argument("--coding-file", help="annotation sheet, when the release holds more than one")
    parser.add_argument("--out-dir", type=Path, required=True, help="folder for videos.tsv, truth.csv, skipped.tsv")
    args = parser.parse_args(argv)
    release = read_long_release(args.reader, args.root, args.coding_file)
    if not release.videos:
        raise DatasetError(f"no video of {args.root} could be read ({len(release.skipped)} rows skipped)")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_videos(args.out_dir / "videos.tsv", release.videos)
    write_intervals(args.out_dir / "truth.csv", release.truth)
    write_skipped(args.out_dir / "skipped.tsv", release.skipped)
    kinds = {k: sum(i.kind == k for i in release.truth) for k in KINDS_ANNOTATED[args.reader]}
    print(
        f"{PROG}: {len(release.videos)} videos, "
        + ", ".join(f"{n} {k}" for k, n in kinds.items())
        + f" expressions, {len(release.skipped)} rows skipped -> {args.out_dir}"
    )
    return 0
