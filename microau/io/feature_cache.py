"""The feature cache of a dataset: `results/features/<dataset>/<encoder>.h5` (HDF5).

It holds the frozen CLIP visual states of every sample, so that training runs only the trainable
tail. The features stage writes it (`microau.model.features.build_cache`); training reads it whole, the
report only its patch geometry.

Datasets, one row per sample of the faces stage's sample table, in its order:

- `tokens` [N, 1 + rows * cols, width] float16: the hidden states entering the last k visual blocks
- `au_tokens` [N, AUs, L] int64: each AU's patch tokens (Eq. 1), rows padded with -1
- `labels` [N, AUs] uint8: each AU's 0/1 label
- `subject`, `sample`, `class3` [N] variable-length strings

Attributes: `encoder`, `pretrained`, `weights` (provenance of the CLIP weights), `k` (trainable
blocks), `aus` (JSON list of AU numbers), `grid` (JSON [rows, cols] of the patch grid),
`image_size` (side of the flow image, pixels), `config_hash`, `microau_version`.

A composite or cross-dataset run reads several datasets' caches as one (`read_pooled`): each
dataset's own cache, cut to the AUs they share, its subjects and samples named `<dataset>/<name>`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_path
from microau.version import __version__

DATASETS = ("tokens", "au_tokens", "labels", "subject", "sample", "class3")
ATTRIBUTES = ("encoder", "pretrained", "weights", "k", "aus", "grid", "image_size", "config_hash")
POOLED_ATTRIBUTES = ("encoder", "pretrained", "weights", "k", "grid", "image_size")
"""Attributes the caches of one pooled run must share: the same frozen CLIP states and patch grid."""
DATASET_SEPARATOR = "/"


class FeatureCacheError(MicroauError):
    """An HDF5 file is not a feature cache written by `microau features`."""


@dataclass
class FeatureCache:
    """The whole cache in memory (see the module docstring for each field's layout)."""

    tokens: np.ndarray
    au_tokens: np.ndarray
    labels: np.ndarray
    subjects: list[str]
    samples: list[str]
    class3: list[str]
    encoder: str
    pretrained: str
    weights: str
    k: int
    aus: list[int]
    grid: tuple[int, int]
    image_size: int
    config_hash: str


def write_cache(path: str | Path, cache: FeatureCache) -> None:
    """Write a feature cache (moved into place once complete)."""
    import h5py

    string = h5py.string_dtype()
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.create_dataset("tokens", data=np.asarray(cache.tokens, dtype=np.float16))
        h5.create_dataset("au_tokens", data=np.asarray(cache.au_tokens, dtype=np.int64))
        h5.create_dataset("labels", data=np.asarray(cache.labels, dtype=np.uint8))
        for key, values in (("subject", cache.subjects), ("sample", cache.samples), ("class3", cache.class3)):
            h5.create_dataset(key, data=np.array(values, dtype=object), dtype=string)
        h5.attrs.update(
            {
                "encoder": cache.encoder,
                "pretrained": cache.pretrained,
                "weights": cache.weights,
                "k": cache.k,
                "aus": json.dumps(cache.aus),
                "grid": json.dumps(list(cache.grid)),
                "image_size": cache.image_size,
                "config_hash": cache.config_hash,
                "microau_version": __version__,
            }
        )


def _strings(dataset) -> list[str]:
    return [s.decode() if isinstance(s, bytes) else s for s in dataset[:]]


def _check(h5, path: str | Path, datasets: tuple[str, ...], attributes: tuple[str, ...]) -> None:
    """A file that lacks a dataset or attribute its reader needs is one error naming them."""
    missing = [key for key in datasets if key not in h5] + [key for key in attributes if key not in h5.attrs]
    if missing:
        raise FeatureCacheError(
            f"{path} is not a feature cache written by `microau features` (lacks {', '.join(missing)})"
        )


def read_cache(path: str | Path) -> FeatureCache:
    """Read a whole feature cache."""
    import h5py

    with h5py.File(path, "r") as h5:
        _check(h5, path, DATASETS, ATTRIBUTES)
        attrs = h5.attrs
        return FeatureCache(
            tokens=h5["tokens"][:],
            au_tokens=h5["au_tokens"][:],
            labels=h5["labels"][:],
            subjects=_strings(h5["subject"]),
            samples=_strings(h5["sample"]),
            class3=_strings(h5["class3"]),
            encoder=str(attrs["encoder"]),
            pretrained=str(attrs["pretrained"]),
            weights=str(attrs["weights"]),
            k=int(attrs["k"]),
            aus=json.loads(attrs["aus"]),
            grid=tuple(json.loads(attrs["grid"])),
            image_size=int(attrs["image_size"]),
            config_hash=str(attrs["config_hash"]),
        )


def cache_geometry(path: str | Path) -> tuple[tuple[int, int], int]:
    """Patch grid and flow-image size of a cache (Eq. 1's geometry), without reading its states."""
    import h5py

    with h5py.File(path, "r") as h5:
        _check(h5, path, (), ("grid", "image_size"))
        return tuple(json.loads(h5.attrs["grid"])), int(h5.attrs["image_size"])


def qualified(dataset: str, name: str) -> str:
    """A subject or sample of a pooled run: `<dataset>/<name>`, so that no two datasets' share a name."""
    return f"{dataset}{DATASET_SEPARATOR}{name}"


def dataset_of(name: str) -> str:
    """The dataset of a qualified subject or sample name."""
    return name.split(DATASET_SEPARATOR, 1)[0]


def read_pooled(caches: Mapping[str, str | Path], aus: Sequence[int]) -> FeatureCache:
    """Several datasets' caches (dataset name -> path) as one cache of the AUs `aus`: rows in the
    order given, subjects and samples `qualified`, AU tokens padded with -1 to the longest row.
    Caches whose CLIP states or patch grid differ (POOLED_ATTRIBUTES), or that lack one of `aus`,
    are an error naming the files."""
    parts = {name: read_cache(path) for name, path in caches.items()}
    first_name, first = next(iter(parts.items()))
    for name, part in parts.items():
        for key in POOLED_ATTRIBUTES:
            if getattr(part, key) != getattr(first, key):
                raise FeatureCacheError(
                    f"{caches[name]} and {caches[first_name]} differ in {key} ({getattr(part, key)} vs "
                    f"{getattr(first, key)}): datasets pooled in one run need caches of the same encoder"
                )
        missing = [au for au in aus if au not in part.aus]
        if missing:
            raise FeatureCacheError(f"{caches[name]} has no labels of AU(s) {missing} (it holds {part.aus})")
    width = max(part.au_tokens.shape[2] for part in parts.values())
    au_tokens, labels = [], []
    for part in parts.values():
        columns = [part.aus.index(au) for au in aus]
        tokens = part.au_tokens[:, columns]
        au_tokens.append(np.pad(tokens, ((0, 0), (0, 0), (0, width - tokens.shape[2])), constant_values=-1))
        labels.append(part.labels[:, columns])
    return FeatureCache(
        tokens=np.concatenate([part.tokens for part in parts.values()]),
        au_tokens=np.concatenate(au_tokens),
        labels=np.concatenate(labels),
        subjects=[qualified(name, s) for name, part in parts.items() for s in part.subjects],
        samples=[qualified(name, s) for name, part in parts.items() for s in part.samples],
        class3=[c for part in parts.values() for c in part.class3],
        encoder=first.encoder,
        pretrained=first.pretrained,
        weights=first.weights,
        k=first.k,
        aus=list(aus),
        grid=first.grid,
        image_size=first.image_size,
        config_hash=" ".join(part.config_hash for part in parts.values()),
    )
