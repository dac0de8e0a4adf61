"""Dataset releases and their index stage: each release module (`casme2`, `samm`, `casme3`, `casme`, `mmew`, `fourd`)
describes its files as a `Release`; `microau.datasets.index` reads any of them into the
normalised sample table, every quirk reported in validation.tsv."""

from microau.datasets.index import MISSING_APEX, IndexResult, build_index
from microau.datasets.release import FIELDS, FRAME_LAYOUTS, DatasetError, Release

__all__ = [
    "FIELDS",
    "FRAME_LAYOUTS",
    "MISSING_APEX",
    "DatasetError",
    "IndexResult",
    "Release",
    "build_index",
]
