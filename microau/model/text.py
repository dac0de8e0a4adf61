"""AU prompts through CLIP's text encoder, with only its last blocks trainable.

The prompts never change, so their frozen blocks run once per run (`frozen_text_states`) and every
step runs the trainable tail once for all prompts together. Sequences are cut after the longest
text's end token: with the causal mask, later positions cannot change the pooled feature.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


@torch.no_grad()
def frozen_text_states(clip_model, tokenizer, texts: list[str], trainable_blocks: int) -> dict[str, torch.Tensor]:
    """Token states after the frozen text blocks, the causal mask, and each text's end-token position."""
    tokens = tokenizer(texts)
    end = tokens.argmax(dim=-1)
    length = int(end.max()) + 1
    tokens = tokens[:, :length]
    mask = clip_model.attn_mask[:length, :length]
    x = clip_model.token_embedding(tokens) + clip_model.positional_embedding[:length]
    blocks = clip_model.transformer.resblocks
    for block in blocks[: len(blocks) - trainable_blocks]:
        x = block(x, attn_mask=mask)
    return {"states": x, "mask": mask, "end": end}


class TextTail(nn.Module):
    """Copies of the last text blocks, final norm and projection of a CLIP model."""

    def __init__(self, clip_model, trainable_blocks: int) -> None:
        super().__init__()
        blocks = clip_model.transformer.resblocks
        self.blocks = nn.ModuleList(copy.deepcopy(b) for b in blocks[len(blocks) - trainable_blocks :])
        self.ln_final = copy.deepcopy(clip_model.ln_final)
        self.projection = nn.Parameter(clip_model.text_projection.detach().clone())

    def forward(self, states: torch.Tensor, mask: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
        x = states
        for block in self.blocks:
            x = block(x, attn_mask=mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0], device=x.device), end] @ self.projection
