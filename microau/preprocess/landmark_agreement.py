"""`microau landmark-agreement`: how far dlib's and mediapipe's 68 points lie apart on the apex
crops of a dataset, per Table I region, and how many AU patch tokens (Eq. 1) the choice changes.

Distances are in inter-ocular distances (dlib's outer eye corners, points 36 and 45, as iBUG 300-W
normalises), measured in flow-image pixels; `dy` is mediapipe's point minus dlib's along the image's
y axis (negative: mediapipe places it higher). Tokens are those `microau features` gives each AU
(`au_token_indices`, Eq. 1): a token of an AU changes when one method's token set holds it and
the other's does not (counted out of the tokens either set holds); an AU's token set changes when
any of its tokens does.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microau.aus import AU_LANDMARKS, au_token_indices, parse_aus
from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.preprocess.crop import read_face_in_crop
from microau.preprocess.images import read_image
from microau.preprocess.landmarks import face_landmarks68
from microau.preprocess.stage import parse_stage_args

PROG = "microau landmark-agreement"
COLUMNS = (
    "region",
    "aus",
    "landmarks",
    "samples",
    "mean_distance",
    "max_distance",
    "mean_dy",
    "tokens_changed",
    "tokens",
    "token_sets_changed",
    "token_sets",
)


class AgreementError(MicroauError):
    """The frames folder or the AUs asked for cannot be compared; the message says which."""


@dataclass(frozen=True)
class Region:
    """Landmarks that Table I assigns to one or more AUs (AU1, AU2 and AU4 share the brows)."""

    name: str
    aus: tuple[int, ...]
    landmarks: tuple[int, ...]


def table_i_regions(aus: list[int]) -> list[Region]:
    """One region per distinct landmark set of Table I among `aus`, in AU order, then all 68 points."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for au in aus:
        groups.setdefault(AU_LANDMARKS[au], []).append(au)
    regions = [Region("+".join(f"AU{au}" for au in group), tuple(group), points) for points, group in groups.items()]
    return regions + [Region("all", (), tuple(range(68)))]


def sample_points(sample_dir: Path, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(dlib, mediapipe) 68 points of a sample's apex crop, in flow-image pixels."""
    apex = read_image(sample_dir / "apex.png")
    scale = np.array([image_size / apex.shape[1], image_size / apex.shape[0]], dtype=np.float32)
    face = read_face_in_crop(sample_dir / "box.json")
    name = f"sample {sample_dir.name}: {sample_dir / 'apex.png'}"
    return (
        face_landmarks68(apex, "dlib", face, name=name) * scale,
        face_landmarks68(apex, "mediapipe", name=name) * scale,
    )


def agreement(frames_dir: Path, aus: list[int], image_size: int, patch: int) -> list[dict[str, object]]:
    """One row per region (COLUMNS) over every sample folder of `frames_dir` (`microau frames` output)."""
    folders = sorted(d for d in frames_dir.iterdir() if (d / "apex.png").is_file())
    if not folders:
        raise AgreementError(f"no sample folders with apex.png under {frames_dir}")
    regions = table_i_regions(aus)
    grid = (image_size // patch, image_size // patch)
    distances: dict[str, list[np.ndarray]] = {r.name: [] for r in regions}
    dys: dict[str, list[np.ndarray]] = {r.name: [] for r in regions}
    tokens = {au: [0, 0, 0] for au in aus}  # tokens changed, tokens of either set, changed sets
    for folder in folders:
        dlib_points, mesh_points = sample_points(folder, image_size)
        eye_distance = float(np.linalg.norm(dlib_points[45] - dlib_points[36]))
        for region in regions:
            index = list(region.landmarks)
            offset = (mesh_points[index] - dlib_points[index]) / eye_distance
            distances[region.name].append(np.linalg.norm(offset, axis=1))
            dys[region.name].append(offset[:, 1])
        dlib_tokens = au_token_indices(dlib_points, aus, image_size, grid)
        mesh_tokens = au_token_indices(mesh_points, aus, image_size, grid)
        for au, dlib_row, mesh_row in zip(aus, dlib_tokens, mesh_tokens):
            dlib_set, mesh_set = set(dlib_row[dlib_row > 0].tolist()), set(mesh_row[mesh_row > 0].tolist())
            tokens[au][0] += len(dlib_set ^ mesh_set)
            tokens[au][1] += len(dlib_set | mesh_set)
            tokens[au][2] += int(dlib_set != mesh_set)
    rows = []
    for region in regions:
        distance, dy = np.concatenate(distances[region.name]), np.concatenate(dys[region.name])
        counts = [sum(tokens[au][i] for au in region.aus) for i in range(3)]
        rows.append(
            {
                "region": region.name,
                "aus": ",".join(map(str, region.aus)),
                "landmarks": "0-67" if region.name == "all" else ",".join(map(str, region.landmarks)),
                "samples": len(folders),
                "mean_distance": round(float(distance.mean()), 4),
                "max_distance": round(float(distance.max()), 4),
                "mean_dy": round(float(dy.mean()), 4),
                "tokens_changed": counts[0],
                "tokens": counts[1],
                "token_sets_changed": counts[2],
                "token_sets": len(folders) * len(region.aus),
            }
        )
        if not region.aus:
            rows[-1].update({key: "" for key in COLUMNS[-4:]})
    return rows


def _table_i_aus(text: str) -> list[int]:
    """The AUs of --aus, each of which must have Table I landmarks."""
    aus = parse_aus(text)
    unknown = [au for au in aus if au not in AU_LANDMARKS]
    if unknown:
        raise AgreementError(f"--aus: Table I has no landmarks for AU {', '.join(map(str, unknown))}")
    return aus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--frames-dir", type=Path, required=True, help="results/frames/<dataset> (apex.png and box.json per sample)"
    )
    parser.add_argument("--aus", required=True, help="AUs whose Table I regions are compared")
    parser.add_argument("--image-size", type=int, required=True, help="side of the flow image")
    parser.add_argument("--patch", type=int, default=32, help="patch side of the CLIP encoder (ViT-B/32: 32)")
    parser.add_argument("--out", type=Path, required=True, help="one row per region (TSV)")
    args = parse_stage_args(parser, argv)
    aus = _table_i_aus(args.aus)
    rows = agreement(args.frames_dir, aus, args.image_size, args.patch)
    with atomic_open(args.out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        line = (
            f"{row['region']:<12} ({row['landmarks']}) distance mean {row['mean_distance']:.3f} "
            f"max {row['max_distance']:.3f} dy {row['mean_dy']:+.3f} inter-ocular"
        )
        if row["tokens"] != "":
            line += (
                f"; tokens changed {row['tokens_changed']}/{row['tokens']},"
                f" token sets changed {row['token_sets_changed']}/{row['token_sets']}"
            )
        print(line)
    return 0
