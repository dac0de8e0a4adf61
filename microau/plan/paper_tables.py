"""The paper's ablation tables (II-VIII, X): each row's label, the config variant that reproduces
it and the published figures. Data only, so the workflow plan reads it without importing the
evaluation code."""

from __future__ import annotations

from dataclasses import dataclass

PAPER_DATASETS = ("casme2", "samm")
"""The datasets whose figures the paper publishes (the fields of `PaperRow`): a real copy of one,
read by its reader, is compared with them."""


@dataclass(frozen=True)
class PaperRow:
    """One row: its label in the paper, the config variant that reproduces it, and the published
    (F1, ACC) on CASME II and SAMM (MER F1 alone for Table X)."""

    label: str
    variant: str
    casme2: tuple[float, ...]
    samm: tuple[float, ...]
    text_similarity: float | None = None
    mer_texts: str = "combinations"


@dataclass(frozen=True)
class PaperTable:
    """`base` is the variant of the model the table varies (its full-model row): the paper's own
    figures show Tables III, IV and VI ran on the Add+MLP model, the others on the full model."""

    title: str
    rows: tuple[PaperRow, ...]
    mer: bool = False
    text_similarity: bool = False
    base: str = "micro_au_clip"

    @property
    def variants_needed(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(r.variant for r in self.rows), self.base]))


def _sweep(key: str, figures: dict[float, tuple[tuple[float, float], tuple[float, float]]]) -> tuple[PaperRow, ...]:
    return tuple(
        PaperRow(f"{key}={value}", f"{key}_{value}", casme2, samm) for value, (casme2, samm) in figures.items()
    )


PAPER_TABLES: dict[str, PaperTable] = {
    "II": PaperTable(
        "LSI and GSD",
        (
            PaperRow("LSI only", "lsi_only", (0.761, 0.904), (0.714, 0.846)),
            PaperRow("GSD only", "gsd_only", (0.730, 0.898), (0.638, 0.812)),
            PaperRow("LSI + GSD", "micro_au_clip", (0.782, 0.917), (0.730, 0.863)),
        ),
    ),
    "III": PaperTable(
        "text encoder fixed or fine-tuned",
        (
            PaperRow("fixed", "text_fixed", (0.769, 0.898), (0.702, 0.812), 0.994),
            PaperRow("finetune", "add_mlp", (0.776, 0.912), (0.716, 0.853), -0.902),
        ),
        text_similarity=True,
        base="add_mlp",
    ),
    "IV": PaperTable(
        "alpha (weight of the MiAUC loss)",
        _sweep(
            "alpha",
            {
                0.2: ((0.770, 0.908), (0.712, 0.852)),
                0.4: ((0.776, 0.908), (0.687, 0.833)),
                0.6: ((0.776, 0.912), (0.715, 0.849)),
                0.8: ((0.764, 0.911), (0.696, 0.849)),
                1.0: ((0.767, 0.912), (0.716, 0.853)),
            },
        ),
        base="add_mlp",
    ),
    "V": PaperTable(
        "beta (weight of the GD loss)",
        _sweep(
            "beta",
            {
                0.2: ((0.780, 0.914), (0.704, 0.848)),
                0.4: ((0.775, 0.912), (0.712, 0.852)),
                0.6: ((0.776, 0.914), (0.730, 0.863)),
                0.8: ((0.769, 0.911), (0.693, 0.843)),
                1.0: ((0.782, 0.917), (0.711, 0.855)),
            },
        ),
    ),
    "VI": PaperTable(
        "LSI pooling",
        (
            PaperRow("meanpool", "meanpool", (0.754, 0.902), (0.680, 0.837)),
            PaperRow("maxpool", "maxpool", (0.765, 0.909), (0.709, 0.849)),
            PaperRow("PTA", "add_mlp", (0.776, 0.912), (0.716, 0.853)),
        ),
        base="add_mlp",
    ),
    "VII": PaperTable(
        "GSD fusion",
        (
            PaperRow("Cat+MLP", "cat_mlp", (0.771, 0.909), (0.641, 0.833)),
            PaperRow("Add+MLP", "add_mlp", (0.776, 0.912), (0.716, 0.853)),
            PaperRow("GDA", "micro_au_clip", (0.782, 0.917), (0.730, 0.863)),
        ),
    ),
    "VIII": PaperTable(
        "contrastive loss",
        (
            PaperRow("No CL", "no_cl", (0.759, 0.902), (0.725, 0.853)),
            PaperRow("global OrigCL", "global_origcl", (0.730, 0.898), (0.638, 0.812)),
            PaperRow("local OrigCL", "local_origcl", (0.756, 0.907), (0.691, 0.848)),
            PaperRow("MiAUCL", "micro_au_clip", (0.782, 0.917), (0.730, 0.863)),
        ),
    ),
    "X": PaperTable(
        "zero-shot MER with and without GDA",
        (
            PaperRow("w/o GDA, AU combinations", "add_mlp", (0.872,), (0.696,)),
            PaperRow("Our method, AU combinations", "micro_au_clip", (0.889,), (0.747,)),
            PaperRow("w/o GDA, joined class texts", "add_mlp", (0.872,), (0.696,), mer_texts="joined"),
            PaperRow("Our method, joined class texts", "micro_au_clip", (0.889,), (0.747,), mer_texts="joined"),
        ),
        mer=True,
    ),
}
