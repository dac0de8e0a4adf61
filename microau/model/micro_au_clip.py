"""The assembled Micro-AU CLIP over cached visual states (Fig. 2), with the paper's variants as options."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch
from torch import nn

from microau.model.gda import GlobalDependencyAttention
from microau.model.pta import PatchTokenAttention, pool_tokens
from microau.model.text import TextTail

POOLINGS = ("pta", "mean", "max", "global")
FUSIONS = ("gda", "add_mlp", "add_mlp_mean", "cat_mlp", "none")


@dataclass(frozen=True)
class ModelOptions:
    """pooling: LSI's pooling (global = no LSI, every AU reads the class token); fusion: GSD's fusion
    (add_mlp the sum of the AU features as the paper's "Add", add_mlp_mean their mean; none = no
    GSD); text: finetune or fixed text tail."""

    pooling: str
    fusion: str
    text: str

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got '{self.pooling}'")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got '{self.fusion}'")
        if self.text not in ("finetune", "fixed"):
            raise ValueError(f"text must be finetune or fixed, got '{self.text}'")

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class VisualTail(nn.Module):
    """Last k visual blocks, then ln_post and the projection applied to every token, so patch tokens
    live in the joint space where they are compared with text features."""

    def __init__(self, clip_model, trainable_blocks: int) -> None:
        super().__init__()
        visual = clip_model.visual
        blocks = visual.transformer.resblocks
        self.blocks = nn.ModuleList(copy.deepcopy(b) for b in blocks[len(blocks) - trainable_blocks :])
        self.ln_post = copy.deepcopy(visual.ln_post)
        self.projection = nn.Parameter(visual.proj.detach().clone())

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        x = states
        for block in self.blocks:
            x = block(x)
        return self.ln_post(x) @ self.projection


class AUHeads(nn.Module):
    """One two-layer MLP per AU (Eq. 7's "MLP", multi-task heads) giving two logits each."""

    def __init__(self, n_aus: int, dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(n_aus, dim, hidden) * dim**-0.5)
        self.b1 = nn.Parameter(torch.zeros(n_aus, hidden))
        self.w2 = nn.Parameter(torch.randn(n_aus, hidden, 2) * hidden**-0.5)
        self.b2 = nn.Parameter(torch.zeros(n_aus, 2))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(torch.einsum("bnd,ndh->bnh", features, self.w1) + self.b1)
        return torch.einsum("bnh,nhk->bnk", hidden, self.w2) + self.b2


class MicroAUCLIP(nn.Module):
    def __init__(self, clip_model, n_aus: int, trainable_blocks: int, options: ModelOptions) -> None:
        super().__init__()
        self.options = options
        self.visual = VisualTail(clip_model, trainable_blocks)
        self.text = TextTail(clip_model, trainable_blocks)
        if options.text == "fixed":
            self.text.requires_grad_(False)
        dim = self.visual.projection.shape[1]
        self.pta = PatchTokenAttention(n_aus, dim) if options.pooling == "pta" else None
        if options.fusion == "gda":
            self.gda = GlobalDependencyAttention(n_aus, dim)
        elif options.fusion in ("add_mlp", "add_mlp_mean", "cat_mlp"):
            width = dim * (n_aus if options.fusion == "cat_mlp" else 1)
            self.fusion_mlp = nn.Sequential(nn.Linear(width, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.heads = AUHeads(n_aus, dim)

    def encoder_parameters(self) -> list[nn.Parameter]:
        return [p for p in [*self.visual.parameters(), *self.text.parameters()] if p.requires_grad]

    def head_parameters(self) -> list[nn.Parameter]:
        encoder = {id(p) for p in self.encoder_parameters()}
        return [p for p in self.parameters() if p.requires_grad and id(p) not in encoder]

    def au_features(self, states: torch.Tensor, au_tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """LSI: gather each AU's patch tokens (Eq. 1 indices) and pool them into F~_n [B, N, D]."""
        tokens = self.visual(states)
        if self.options.pooling == "global":
            local = tokens[:, :1].expand(-1, au_tokens.shape[1], -1)
            return {"local": local, "tokens": tokens, "token_weights": None}
        mask = au_tokens >= 0
        index = au_tokens.clamp(min=0)
        batch = torch.arange(tokens.shape[0], device=tokens.device)[:, None, None]
        gathered = tokens[batch, index]
        if self.pta is not None:
            local, weights = self.pta(gathered, mask)
        else:
            local, weights = pool_tokens(gathered, mask, self.options.pooling)
        return {"local": local, "tokens": tokens, "token_weights": weights}

    def forward(self, states: torch.Tensor, au_tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.au_features(states, au_tokens)
        local = out["local"]
        dependency = None
        if self.options.fusion == "gda":
            global_feature, dependency, _ = self.gda(local)
        elif self.options.fusion == "add_mlp":
            global_feature = self.fusion_mlp(local.sum(dim=1))
        elif self.options.fusion == "add_mlp_mean":
            global_feature = self.fusion_mlp(local.mean(dim=1))
        elif self.options.fusion == "cat_mlp":
            global_feature = self.fusion_mlp(local.flatten(1))
        else:
            global_feature = torch.zeros_like(local[:, 0])
        features = local + global_feature[:, None]
        return {
            "logits": self.heads(features),
            "features": features,
            "dependency": dependency,
            "token_weights": out["token_weights"],
        }

    def encode_texts(self, frozen: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.text(frozen["states"], frozen["mask"], frozen["end"])
