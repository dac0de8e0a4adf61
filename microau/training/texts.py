"""The texts a run encodes once, as frozen text states: AU prompts, the zero-shot class texts and,
under global OrigCL, the training samples' whole-face descriptions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from microau.aus import au_prompts, face_description
from microau.io.feature_cache import FeatureCache
from microau.model.mer import joined_texts
from microau.model.text import frozen_text_states
from microau.plan.correspondence import Combinations, filter_combinations
from microau.training.settings import CONTRASTIVE, TrainSettings


def face_descriptions(data: FeatureCache, train_idx: np.ndarray) -> tuple[list[str], torch.Tensor]:
    """Distinct whole-face descriptions of the training samples, and each sample's index into them
    (-1 for samples outside training, whose labels must not reach the model)."""
    texts = sorted({face_description(data.labels[i].tolist(), data.aus) for i in train_idx})
    position = {text: n for n, text in enumerate(texts)}
    index = torch.full((len(data.samples),), -1, dtype=torch.long)
    for i in train_idx:
        index[i] = position[face_description(data.labels[i].tolist(), data.aus)]
    return texts, index


@dataclass
class FoldTexts:
    """The texts a run encodes, as frozen text states on its device (`frozen_text_states`): the AU
    prompts (negative, positive per AU); the `joined` reading's class texts and their class names;
    under global OrigCL the whole-face descriptions of the training samples and each sample's index
    into them (else None). `combinations` is the `combinations` reading's correspondence filtered
    to the dataset's AUs."""

    prompts: dict[str, torch.Tensor]
    combinations: Combinations
    class_names: list[str]
    classes: dict[str, torch.Tensor]
    descriptions: dict[str, torch.Tensor] | None
    description_of: torch.Tensor | None


def prepare_texts(
    clip_model, data: FeatureCache, train_idx: np.ndarray, settings: TrainSettings, device: torch.device
) -> FoldTexts:
    """The frozen text blocks run once per run, on every text it needs (see `FoldTexts`)."""
    import open_clip

    tokenizer = open_clip.get_tokenizer(data.encoder)
    combinations = filter_combinations(settings.mer_combinations, data.aus)
    class_names, class_texts = joined_texts(settings.mer_classes)

    def frozen(texts: list[str]) -> dict[str, torch.Tensor]:
        states = frozen_text_states(clip_model, tokenizer, texts, data.k)
        return {key: value.to(device) for key, value in states.items()}

    prompts, classes = frozen(au_prompts(data.aus)), frozen(class_texts)
    descriptions = description_of = None
    if CONTRASTIVE[settings.contrastive] == "global":
        texts, index = face_descriptions(data, train_idx)
        descriptions, description_of = frozen(texts), index.to(device)
    return FoldTexts(prompts, combinations, class_names, classes, descriptions, description_of)
