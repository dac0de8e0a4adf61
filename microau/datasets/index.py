"""`microau index`: a dataset release -> the normalised sample table (samples.tsv), every quirk
reported in validation.tsv.

A release described by a `Release` module is read by `microau.datasets.samples` (whose docstring
gives the rules every reader follows), a lab's table of clips by `microau.datasets.table`, SMIC's
clip folders by `microau.datasets.smic`; all three normalise their rows with the same rules.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from microau.aus import parse_aus
from microau.datasets import smic
from microau.datasets.release import FRAME_LAYOUTS, SMIC_READER, TABLE_READER, DatasetError
from microau.datasets.samples import MISSING_APEX, IndexResult, index_release, root_folder
from microau.datasets.table import build_table_index, index_rows
from microau.io.sample_table import CLASS3, write_table
from microau.releases import INDEX_READERS


def build_index(
    name: str,
    reader: str,
    root: str | Path,
    *,
    frames_layout: str,
    missing_apex: str,
    aus: list[int],
    class3: dict[str, list[str]],
    coding_file: str | Path | None = None,
    first_frame: int | None = None,
    clips_dir: str | Path | None = None,
) -> IndexResult:
    """Read one release into the sample table and its validation report.

    `name` labels the `dataset` column and the config keys in messages (`datasets.<name>.root`);
    `reader` picks the release layout, `frames_layout` its frame folders; `aus` and `class3` are
    the dataset's settings (the config ships the paper's per dataset). `missing_apex` says how an
    unusable coded apex is replaced (`microau.datasets.samples`).
    Reader `table` (`microau.datasets.table`) also takes `first_frame` and writes the onset and
    apex frames of its video clips under `clips_dir`.
    """
    if missing_apex not in MISSING_APEX:
        allowed = ", ".join(MISSING_APEX)
        raise DatasetError(f"missing_apex '{missing_apex}' is not one of {allowed} (frames.missing_apex)")
    if reader == TABLE_READER:
        return build_table_index(
            name,
            root,
            missing_apex=missing_apex,
            clips_dir=clips_dir,
            first_frame=first_frame,
            aus=aus,
            class3=class3,
            coding_file=coding_file,
        )
    if reader == SMIC_READER:
        smic_root = root_folder(root, name)
        rows = smic.clip_rows(smic_root, frames_layout, name)
        return index_rows(
            name,
            smic.RELEASE,
            rows,
            smic_root,
            lambda n: f"clip folder {rows[n]['clip']}",
            missing_apex=missing_apex,
            clips_dir=clips_dir,
            first_frame=None,
            aus=aus,
            class3=class3,
        )
    return index_release(
        name,
        reader,
        root,
        frames_layout=frames_layout,
        missing_apex=missing_apex,
        aus=aus,
        class3=class3,
        coding_file=coding_file,
    )


def main(argv: list[str] | None = None) -> int:
    """`microau index`: write samples.tsv and validation.tsv for one release."""
    parser = argparse.ArgumentParser(prog="microau index", description="Write the sample table of a release.")
    parser.add_argument("--reader", required=True, choices=INDEX_READERS, help="release layout, or table")
    parser.add_argument("--dataset", required=True, help="the dataset's name in the config: the table's label")
    parser.add_argument("--root", required=True, help="folder holding the unpacked release")
    parser.add_argument("--out", required=True, help="samples.tsv to write")
    parser.add_argument("--validation", help="validation report (default: validation.tsv beside --out)")
    parser.add_argument("--aus", required=True, help="comma-separated AU numbers (datasets.<name>.aus)")
    parser.add_argument("--class3", required=True, help="JSON {class: [emotions]} (datasets.<name>.class3)")
    parser.add_argument("--frames-layout", required=True, choices=FRAME_LAYOUTS, help="frame folders read")
    parser.add_argument(
        "--coding-file", help="coding sheet (reader table: the table), when the root holds none or several"
    )
    parser.add_argument("--first-frame", type=int, choices=(0, 1), help="reader table: number of a video's first frame")
    parser.add_argument("--clips-dir", help="reader table: where video clips' frames go (default: clips beside --out)")
    parser.add_argument(
        "--missing-apex",
        required=True,
        choices=MISSING_APEX,
        help="how an apex that is not coded, coded outside onset..offset or equal to the onset is replaced",
    )
    args = parser.parse_args(argv)
    name = args.dataset
    result = build_index(
        name,
        args.reader,
        args.root,
        frames_layout=args.frames_layout,
        missing_apex=args.missing_apex,
        aus=parse_aus(args.aus, where=f"datasets.{name}.aus"),
        class3=_parse_class3(args.class3, name),
        coding_file=args.coding_file,
        first_frame=args.first_frame,
        clips_dir=Path(args.clips_dir) if args.clips_dir else Path(args.out).with_name("clips"),
    )
    out = Path(args.out)
    (Path(args.clips_dir) if args.clips_dir else out.with_name("clips")).mkdir(parents=True, exist_ok=True)
    validation = Path(args.validation) if args.validation else out.with_name("validation.tsv")
    write_table(result.samples, out)
    write_table(result.validation, validation)
    counts = Counter(result.samples["class3"])
    per_class = ", ".join(f"{label} {counts.get(label, 0)}" for label in CLASS3)
    print(
        f"{name}: {len(result.samples)} samples ({per_class}, unclassed {counts.get('', 0)}) -> {out}; "
        f"{len(result.validation)} validation rows -> {validation}"
    )
    return 0


def _parse_class3(text: str, name: str) -> dict[str, list[str]]:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"--class3 is not valid JSON ({exc}) (datasets.{name}.class3)") from None
