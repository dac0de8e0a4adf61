"""Losses of Eq. (8)-(12): per-AU cross-entropy, GD loss, and the micro-AU contrastive loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def multitask_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum over AUs of each AU's cross-entropy (batch mean)."""
    n_aus = logits.shape[1]
    return sum(F.cross_entropy(logits[:, n], labels[:, n]) for n in range(n_aus))


def gd_loss(dependency: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Eq. (8) as written: (1/N) ||W_d - Y||^2 with Y the raw 0/1 label vector (not normalised)."""
    return ((dependency - labels.float()) ** 2).mean(dim=1).mean()


def same_label_matrix(labels: torch.Tensor) -> torch.Tensor:
    """Eq. (10): LM(b1, b2) = 1 where samples b1 and b2 share this AU's label (diag included)."""
    return (labels[:, None] == labels[None, :]).float()


LABEL_MATRIX_TARGETS = ("raw", "row_normalised")


def _soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor, rows: str) -> torch.Tensor:
    """Cross-entropy against 0/1 targets, averaged over rows.

    `row_normalised` makes each row a distribution. `raw` uses the 0/1 rows as they are (what
    PyTorch's soft-target cross-entropy does with an unnormalised matrix), so a row counts once per
    same-label sample in the batch.
    """
    if rows == "row_normalised":
        target = target / target.sum(dim=1, keepdim=True)
    elif rows != "raw":
        raise ValueError(f"unknown label matrix target '{rows}' {LABEL_MATRIX_TARGETS}")
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def contrastive_loss(
    visual: torch.Tensor,
    text: torch.Tensor,
    labels: torch.Tensor,
    temperature: float | torch.Tensor,
    label_matrix: str,
    target_rows: str,
) -> torch.Tensor:
    """Eq. (9)-(11), summed over AUs.

    visual [B, N, D] (the final AU features F_G + F~_n), text [N, 2, D] (negative, positive prompt
    features), labels [B, N]. Each sample's text is its own label's prompt. Logits are cosine
    similarities divided by `temperature` (a tensor when learned, `microau.model.temperature`); the loss
    is the mean of the visual->text and text->visual cross-entropies. `label_matrix="diagonal"` is CLIP's identity
    target (local OrigCL, Table VIII).

    The paper hands LM_n and M_n to a cross-entropy; `target_rows="raw"` does what
    PyTorch's soft-target cross-entropy does with the 0/1 matrix, weighting each row by its number
    of same-label samples. Samples that share an AU label share one text feature, so their logit
    columns are equal: with `target_rows="row_normalised"` the diagonal and same-label targets give
    the same loss exactly, i.e. MiAUCL would collapse to local OrigCL.
    """
    visual = F.normalize(visual, dim=-1)
    text = F.normalize(text, dim=-1)
    total = visual.new_zeros(())
    for n in range(visual.shape[1]):
        sample_text = text[n][labels[:, n]]
        logits = visual[:, n] @ sample_text.T / temperature
        if label_matrix == "same_label":
            target = same_label_matrix(labels[:, n])
        elif label_matrix == "diagonal":
            target = torch.eye(len(labels), device=logits.device)
        else:
            raise ValueError(f"unknown label matrix '{label_matrix}' (same_label, diagonal)")
        total = total + 0.5 * (
            _soft_cross_entropy(logits, target, target_rows) + _soft_cross_entropy(logits.T, target.T, target_rows)
        )
    return total


def global_contrastive_loss(
    visual: torch.Tensor, text: torch.Tensor, temperature: float | torch.Tensor
) -> torch.Tensor:
    """Global OrigCL of Table VIII: CLIP's loss between one whole-face feature per sample [B, D] and
    one whole-face description of all its AUs per sample [B, D], with the identity as target, so
    samples that share a description are still pushed apart (the coarse baseline MiAUCL improves on)."""
    visual = F.normalize(visual, dim=-1)
    text = F.normalize(text, dim=-1)
    logits = visual @ text.T / temperature
    target = torch.arange(len(visual), device=visual.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
