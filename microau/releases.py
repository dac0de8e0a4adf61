"""The registry of release readers: every fact about a release layout that code outside its
reader needs (which command reads it, its frame rate, the kinds of expression it annotates, whose
people it records, the layouts `microau synthesize` writes in it), in one table.

Pure data, below every layer: the config's checks, the workflow plan, the index and spot-index
commands all read it. The reading itself lives in `microau.datasets` (each entry's `module` names
its module); the schema's `reader` enums equal these names (tests/plan/test_config.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderFacts:
    """One reader. `stage` is `index` (short clips: `microau index`) or `spot-index` (long videos).
    `fps`: the frame rate of a release whose frames do not state it (a long video's frame folders).
    `kinds_annotated`: the kinds of expression its annotation holds, and so the kinds spotted and
    scored. `same_people_as`: the reader whose release records the same people under the same
    subject names. `generated_layouts`: the frames layouts a release `microau synthesize` writes in
    this layout is read with."""

    module: str
    stage: str = "index"
    fps: float | None = None
    kinds_annotated: tuple[str, ...] = ("micro",)
    same_people_as: str | None = None
    generated_layouts: tuple[str, ...] = ()


READERS: dict[str, ReaderFacts] = {
    "casme2": ReaderFacts("microau.datasets.casme2", generated_layouts=("selected",)),
    "samm": ReaderFacts("microau.datasets.samm", generated_layouts=("selected", "raw")),
    "casme3": ReaderFacts("microau.datasets.casme3"),
    "casme": ReaderFacts("microau.datasets.casme"),
    "mmew": ReaderFacts("microau.datasets.mmew"),
    "fourd": ReaderFacts("microau.datasets.fourd"),
    "smic": ReaderFacts("microau.datasets.smic"),
    "table": ReaderFacts("microau.datasets.table", generated_layouts=("selected",)),
    # CAS(ME)^2 (Qu et al. 2018) at 30 fps; SAMM Long Videos (Yap et al. 2020) at 200 fps, whose
    # subjects 006..037 are SAMM's (SAMM's clips were cut from these recordings).
    "casme_sq": ReaderFacts("microau.datasets.casme_sq", "spot-index", 30.0, ("micro", "macro")),
    "samm_lv": ReaderFacts("microau.datasets.samm_lv", "spot-index", 200.0, ("micro", "macro"), same_people_as="samm"),
    "synthetic_long": ReaderFacts("microau.datasets.generators.synthetic_long", "spot-index"),
}

INDEX_READERS = tuple(name for name, facts in READERS.items() if facts.stage == "index")
SPOT_READERS = tuple(name for name, facts in READERS.items() if facts.stage == "spot-index")
RELEASE_READERS = tuple(name for name in INDEX_READERS if name not in ("smic", "table"))
"""The readers `microau.datasets.samples` reads by their module's `Release`; SMIC's folders and a
lab's table have readers of their own."""
KINDS_ANNOTATED = {name: READERS[name].kinds_annotated for name in SPOT_READERS}
SAME_PEOPLE = {name: facts.same_people_as for name, facts in READERS.items() if facts.same_people_as}
GENERATED_LAYOUTS = {name: facts.generated_layouts for name, facts in READERS.items() if facts.generated_layouts}
