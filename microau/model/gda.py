"""Global Dependency Attention (Eq. 4-6): one dependency weight per AU, and the global feature."""

from __future__ import annotations

import torch
from torch import nn


class GlobalDependencyAttention(nn.Module):
    """FC(A) of Eq. 5 reads the flattened N x N attention matrix and maps it to N dependency scores."""

    def __init__(self, n_aus: int, dim: int) -> None:
        super().__init__()
        self.query = nn.Linear(dim, dim, bias=False)
        self.key = nn.Linear(dim, dim, bias=False)
        self.value = nn.Linear(dim, dim, bias=False)
        self.fc = nn.Linear(n_aus * n_aus, n_aus)
        self.scale = dim**-0.5

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """features [B, N, D] -> global feature F_G [B, D], dependency weights W_d [B, N], attention A [B, N, N]."""
        attention = torch.softmax(self.query(features) @ self.key(features).transpose(1, 2) * self.scale, dim=-1)
        dependency = torch.softmax(torch.relu(self.fc(attention.flatten(1))), dim=-1)
        global_feature = torch.einsum("bn,bnd->bd", dependency, self.value(features))
        return global_feature, dependency, attention
