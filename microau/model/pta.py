"""Patch Token Attention (Eq. 2-3) and the plain pooling it is compared with (Table VI)."""

from __future__ import annotations

import torch
from torch import nn


class PatchTokenAttention(nn.Module):
    """One scoring MLP per AU, so each AU region is weighted independently (local independence)."""

    def __init__(self, n_aus: int, dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(n_aus, dim, hidden) * dim**-0.5)
        self.b1 = nn.Parameter(torch.zeros(n_aus, hidden))
        self.w2 = nn.Parameter(torch.randn(n_aus, hidden) * hidden**-0.5)
        self.b2 = nn.Parameter(torch.zeros(n_aus))

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens [B, N, L, D], mask [B, N, L] (True = real token) -> features [B, N, D], weights [B, N, L]."""
        hidden = torch.relu(torch.einsum("bnld,ndh->bnlh", tokens, self.w1) + self.b1[None, :, None])
        scores = torch.einsum("bnlh,nh->bnl", hidden, self.w2) + self.b2[None, :, None]
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        return torch.einsum("bnl,bnld->bnd", weights, tokens), weights


def pool_tokens(tokens: torch.Tensor, mask: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean or max over an AU's tokens; returns the weights that mean-pooling implies, for uniform output."""
    weights = mask.float() / mask.float().sum(-1, keepdim=True)
    if mode == "mean":
        return torch.einsum("bnl,bnld->bnd", weights, tokens), weights
    if mode == "max":
        return tokens.masked_fill(~mask[..., None], float("-inf")).amax(dim=2), weights
    raise ValueError(f"unknown pooling '{mode}' (pta, mean, max)")
