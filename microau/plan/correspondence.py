"""The AU-emotion correspondence (Table I / section IV-F) restricted to a dataset's AU set.

Kept apart from `microau.model.mer` (which needs torch) because config validation uses it, and the
workflow imports config validation on every Snakemake start, cluster jobs included.
"""

from __future__ import annotations

from microau.errors import MicroauError

Combinations = dict[str, list[tuple[int, ...]]]


class CorrespondenceError(MicroauError):
    """The AU-emotion correspondence cannot serve a dataset's AU set."""


def filter_combinations(correspondence: dict[str, list[list[int]]], aus: list[int]) -> Combinations:
    """Each class's combinations restricted to `aus`, empty ones dropped and duplicates merged.

    A class left without a combination, or a combination that ends up in two classes, cannot be
    recognised: both are errors rather than a silent choice.
    """
    kept = set(aus)
    filtered: Combinations = {}
    owner: dict[tuple[int, ...], str] = {}
    for name, combinations in correspondence.items():
        filtered[name] = []
        for combination in combinations:
            reduced = tuple(sorted(kept.intersection(combination)))
            if not reduced or reduced in filtered[name]:
                continue
            if reduced in owner:
                raise CorrespondenceError(
                    f"AU combination {'+'.join(map(str, reduced))} belongs to both '{owner[reduced]}' and "
                    f"'{name}' once filtered to AUs {sorted(kept)}"
                )
            owner[reduced] = name
            filtered[name].append(reduced)
        if not filtered[name]:
            raise CorrespondenceError(f"class '{name}' has no AU combination left once filtered to AUs {sorted(kept)}")
    return filtered
