"""Zero-shot three-class recognition (Eq. 13) from the AU features and the fine-tuned text tail.

Two readings of Eq. 13's R label texts:

- `combinations` (default): each label text is one AU combination of the filtered AU-emotion
  correspondence (section IV-F), written with the very per-AU prompts MiAUCL trained: for
  combination c and AU n, LF_{c,n} is AU n's positive prompt when n is in c, else its negative
  prompt. score_c = sum_n CS(F_n, LF_{c,n}); a class scores its best combination.
- `joined`: one text per class joining the positive descriptions of its AUs, compared with every
  AU feature (a sentence the fine-tuned tail never saw).
"""

from __future__ import annotations

import numpy as np
import torch

from microau.aus import AU_PROMPTS
from microau.plan.correspondence import Combinations

READINGS = ("combinations", "joined")


def combination_matrix(combinations: Combinations, aus: list[int]) -> tuple[torch.Tensor, list[str]]:
    """[R, N] 0/1 matrix (AU n in combination r) and the class of each row."""
    rows, owners = [], []
    for name, members in combinations.items():
        for combination in members:
            rows.append([float(au in combination) for au in aus])
            owners.append(name)
    return torch.tensor(rows), owners


def combination_scores(features: torch.Tensor, prompts: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """[B, R] summed cosine similarity of each sample's AU features [B, N, D] with combination r's
    per-AU prompts; `prompts` [N, 2, D] holds each AU's (negative, positive) prompt feature."""
    features = torch.nn.functional.normalize(features.float(), dim=-1)
    prompts = torch.nn.functional.normalize(prompts.float(), dim=-1)
    similarity = torch.einsum("bnd,nsd->bns", features, prompts)
    negative, positive = similarity[..., 0], similarity[..., 1]
    return negative.sum(dim=1, keepdim=True) + (positive - negative) @ matrix.T.to(features)


def class_scores(scores: torch.Tensor, owners: list[str], class_names: list[str]) -> torch.Tensor:
    """[B, C]: each class's best combination score."""
    return torch.stack(
        [scores[:, [r for r, owner in enumerate(owners) if owner == name]].max(dim=1).values for name in class_names],
        dim=1,
    )


def joined_texts(classes: dict[str, list[int]]) -> tuple[list[str], list[str]]:
    """The `joined` reading's label texts: each class described by its AUs' positive prompts."""
    names = list(classes)
    return names, [". ".join(AU_PROMPTS[au][0] for au in classes[name]) + "." for name in names]


def joined_scores(features: torch.Tensor, class_features: torch.Tensor) -> torch.Tensor:
    """[B, C] cosine similarity of every AU feature with each class's one text, summed over AUs."""
    features = torch.nn.functional.normalize(features.float(), dim=-1)
    class_features = torch.nn.functional.normalize(class_features.float(), dim=-1)
    return torch.einsum("bnd,cd->bc", features, class_features)


def zero_shot_scores(
    features: torch.Tensor,
    prompt_features: torch.Tensor,
    class_features: torch.Tensor,
    combinations: Combinations,
    class_names: list[str],
    aus: list[int],
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Eq. (13) under both readings: reading -> (class names, [B, C] class scores). `features` are
    the AU features [B, N, D], `prompt_features` [N, 2, D] the AU prompts' and `class_features`
    [C, D] the `joined` reading's class texts' (`class_names` order), all through the text tail."""
    matrix, owners = combination_matrix(combinations, aus)
    names = list(combinations)
    by_combination = class_scores(combination_scores(features, prompt_features, matrix), owners, names)
    return {
        "combinations": (names, by_combination.cpu().numpy()),
        "joined": (class_names, joined_scores(features, class_features).cpu().numpy()),
    }
