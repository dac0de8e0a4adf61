"""The training loop: batches, losses, the paper's SGD, checkpoints for a resume, and the held-out
prediction with the final epoch's model (nothing is chosen on the held-out subject)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from microau.errors import MicroauError
from microau.io.feature_cache import FeatureCache
from microau.io.fold_files import FoldFeatures, HeldOutPredictions
from microau.io.training_state import (
    STATE_PT,
    TrainingState,
    capture_rng,
    read_state,
    restore_rng,
    write_state,
)
from microau.model.device import autocast, grad_scaler
from microau.model.losses import contrastive_loss, gd_loss, global_contrastive_loss, multitask_loss
from microau.model.mer import zero_shot_scores
from microau.model.micro_au_clip import MicroAUCLIP
from microau.model.temperature import MAX_LOGIT_SCALE, initial_logit_scale, is_learned
from microau.training.settings import CONTRASTIVE, TrainingJob, TrainSettings
from microau.training.texts import FoldTexts


class DivergedError(MicroauError):
    """The training loss became non-finite; the run writes nothing."""


@dataclass
class CacheTensors:
    """The cache's visual states, AU token indices and labels, on the training device."""

    tokens: torch.Tensor
    au_tokens: torch.Tensor
    labels: torch.Tensor


def cache_tensors(data: FeatureCache, device: torch.device) -> CacheTensors:
    """Moved once per run: training and the held-out prediction index the same tensors."""
    return CacheTensors(
        torch.from_numpy(data.tokens).to(device),
        torch.from_numpy(data.au_tokens).long().to(device),
        torch.from_numpy(data.labels).long().to(device),
    )


def encode_descriptions(model: MicroAUCLIP, frozen: dict[str, torch.Tensor], rows: torch.Tensor) -> torch.Tensor:
    """Text features of the batch's descriptions: the trainable tail runs once per distinct text."""
    distinct, inverse = torch.unique(rows, return_inverse=True)
    subset = {"states": frozen["states"][distinct], "mask": frozen["mask"], "end": frozen["end"][distinct]}
    return model.encode_texts(subset)[inverse]


@torch.no_grad()
def text_similarity(model: MicroAUCLIP, prompt_frozen: dict[str, torch.Tensor], n_aus: int) -> float:
    """Mean over AUs of the cosine similarity between the positive and negative prompt features
    (TextSi of Table III: near 1 when the text tail cannot tell them apart)."""
    text = torch.nn.functional.normalize(model.encode_texts(prompt_frozen).float(), dim=-1).view(n_aus, 2, -1)
    return float((text[:, 0] * text[:, 1]).sum(dim=-1).mean())


def batch_losses(
    model: MicroAUCLIP,
    tensors: CacheTensors,
    batch: torch.Tensor,
    texts: FoldTexts,
    settings: TrainSettings,
    logit_scale: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The batch's total loss and its parts: multitask cross-entropy, contrastive loss (temperature
    exp(-logit_scale)), GD loss."""
    label_matrix = CONTRASTIVE[settings.contrastive]
    out = model(tensors.tokens[batch].float(), tensors.au_tokens[batch])
    y = tensors.labels[batch]
    temperature = torch.exp(-logit_scale.float())
    ce = multitask_loss(out["logits"].float(), y)
    cl = ce.new_zeros(())
    if label_matrix == "global":
        text = encode_descriptions(model, texts.descriptions, texts.description_of[batch])
        cl = global_contrastive_loss(out["features"].float().mean(dim=1), text.float(), temperature)
    elif label_matrix is not None:
        text = model.encode_texts(texts.prompts).view(y.shape[1], 2, -1)
        cl = contrastive_loss(
            out["features"].float(),
            text.float(),
            y,
            temperature,
            label_matrix,
            settings.label_matrix_target,
        )
    gd = gd_loss(out["dependency"].float(), y) if out["dependency"] is not None else ce.new_zeros(())
    return ce + settings.alpha * cl + settings.beta * gd, ce, cl, gd


def contrastive_logit_scale(setting: str | float, clip_model, device: torch.device) -> torch.nn.Parameter:
    """ln(1 / temperature) of the contrastive loss (`microau.model.temperature`): trainable only when learned."""
    start = initial_logit_scale(setting, float(clip_model.logit_scale.detach()))
    return torch.nn.Parameter(torch.tensor(start, device=device), requires_grad=is_learned(setting))


def build_optimizer(model: MicroAUCLIP, logit_scale: torch.nn.Parameter, settings: TrainSettings) -> torch.optim.SGD:
    """The paper's SGD with `settings.momentum` and two learning rates: lr_encoder for the trainable
    encoder blocks (and a learned logit_scale, a CLIP parameter), lr_head for PTA, GDA, the fusion
    MLP and the heads."""
    encoder = model.encoder_parameters() + ([logit_scale] if logit_scale.requires_grad else [])
    groups = [{"params": model.head_parameters(), "lr": settings.lr_head}]
    if encoder:
        groups.insert(0, {"params": encoder, "lr": settings.lr_encoder})
    return torch.optim.SGD(groups, momentum=settings.momentum)


def resume_state(
    saved: TrainingState,
    model: MicroAUCLIP,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    logit_scale: torch.nn.Parameter,
    generator: torch.Generator,
) -> list[dict]:
    """Put a saved run's weights, optimiser, schedule, temperature and random streams back; its history."""
    model.load_state_dict(saved.model)
    optimizer.load_state_dict(saved.optimizer)
    scheduler.load_state_dict(saved.scheduler)
    with torch.no_grad():
        logit_scale.copy_(saved.logit_scale)
    restore_rng(saved.rng, generator)
    return saved.history


def train_epoch(
    model: MicroAUCLIP,
    tensors: CacheTensors,
    train_rows: torch.Tensor,
    texts: FoldTexts,
    logit_scale: torch.nn.Parameter,
    settings: TrainSettings,
    steps: tuple[torch.optim.Optimizer, torch.amp.GradScaler, torch.Generator],
) -> list[float]:
    """One pass over the training rows in a shuffled order; the sample-weighted means of the
    loss and its three terms (multitask, contrastive, gd)."""
    optimizer, scaler, generator = steps
    device = tensors.tokens.device
    model.train()
    order = train_rows[torch.randperm(len(train_rows), generator=generator).to(device)]
    sums = torch.zeros(4, device=device)
    for batch in order.split(settings.batch_size):
        with autocast(device, settings.precision):
            loss, ce, cl, gd = batch_losses(model, tensors, batch, texts, settings, logit_scale)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if logit_scale.requires_grad:
            with torch.no_grad():
                logit_scale.clamp_(0, MAX_LOGIT_SCALE)
        sums += torch.stack([loss, ce, cl, gd]).detach() * len(batch)
    return (sums / len(train_rows)).tolist()


def fit(
    model: MicroAUCLIP,
    tensors: CacheTensors,
    train_idx: np.ndarray,
    texts: FoldTexts,
    logit_scale: torch.nn.Parameter,
    job: TrainingJob,
    name: str,
    fingerprint: str,
) -> list[dict]:
    """SGD on the training samples, one history row per epoch; a non-finite epoch loss stops the run
    (DivergedError) before anything is written. The state is saved in `job.out_dir`
    (`microau.io.training_state`) at the end of the first epoch `job.checkpoint_seconds` after the
    last save (0: every epoch), and a state saved there by the run with `fingerprint` is resumed.
    Each batch runs under `settings.precision`'s autocast (`microau.model.device`); fp16's loss
    scaler is not saved with the state, so a resumed fp16 run finds its scale again in a few steps."""
    settings, out_dir, log = job.settings, job.out_dir, job.log
    device = tensors.tokens.device
    n_aus = tensors.labels.shape[1]
    optimizer = build_optimizer(model, logit_scale, settings)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[settings.lr_drop_epoch], gamma=0.1)
    generator = torch.Generator().manual_seed(settings.seed)
    scaler = grad_scaler(device, settings.precision)
    train_rows = torch.from_numpy(train_idx).to(device)
    history = []
    saved = read_state(out_dir, fingerprint)
    if saved is not None:
        history = resume_state(saved, model, optimizer, scheduler, logit_scale, generator)
        log(f"{name} resumes after epoch {saved.epoch}/{settings.epochs} from {Path(out_dir) / STATE_PT}")
    last_save = time.monotonic()
    for epoch in range(len(history) + 1, settings.epochs + 1):
        start = time.perf_counter()
        means = train_epoch(model, tensors, train_rows, texts, logit_scale, settings, (optimizer, scaler, generator))
        scheduler.step()
        if not np.isfinite(means[0]):
            raise DivergedError(
                f"{name} diverged: the training loss is {means[0]} at epoch {epoch} "
                f"(lr_head {settings.lr_head}, lr_encoder {settings.lr_encoder}, options {model.options.as_dict()}); "
                "no predictions were written"
            )
        lr_factor = 0.1 if epoch > settings.lr_drop_epoch else 1.0
        row = {
            "epoch": epoch,
            "lr_encoder": settings.lr_encoder * lr_factor,
            "lr_head": settings.lr_head * lr_factor,
            "loss": means[0],
            "multitask": means[1],
            "contrastive": means[2],
            "gd": means[3],
            "temperature": float(torch.exp(-logit_scale.detach())),
            "text_similarity": text_similarity(model, texts.prompts, n_aus),
            "seconds": time.perf_counter() - start,
        }
        history.append(row)
        log(
            f"{name} epoch {epoch}/{settings.epochs} loss {row['loss']:.4f} "
            f"(ce {row['multitask']:.4f} cl {row['contrastive']:.4f} gd {row['gd']:.4f}) "
            f"lr {row['lr_head']:g} {row['seconds']:.1f}s"
        )
        if epoch < settings.epochs and time.monotonic() - last_save >= job.checkpoint_seconds:
            state = TrainingState(
                fingerprint,
                epoch,
                history,
                model.state_dict(),
                optimizer.state_dict(),
                scheduler.state_dict(),
                logit_scale.detach().cpu().clone(),
                capture_rng(generator),
            )
            write_state(out_dir, state)
            last_save = time.monotonic()
    return history


def predict_held_out(
    model: MicroAUCLIP,
    data: FeatureCache,
    tensors: CacheTensors,
    test_idx: np.ndarray,
    texts: FoldTexts,
    precision: str,
) -> HeldOutPredictions:
    """P_n(on), both readings' zero-shot MER scores and the AU features of the held-out samples,
    computed in the `precision` the model was trained in."""
    model.eval()
    device = tensors.tokens.device
    test_rows = torch.from_numpy(test_idx).to(device)
    with torch.no_grad(), autocast(device, precision):
        out = model(tensors.tokens[test_rows].float(), tensors.au_tokens[test_rows])
        prompt_features = model.encode_texts(texts.prompts).view(len(data.aus), 2, -1)
        class_features = model.encode_texts(texts.classes)
    probs = torch.softmax(out["logits"].float(), dim=-1)[..., 1].cpu().numpy()
    mer_scores = zero_shot_scores(
        out["features"], prompt_features, class_features, texts.combinations, texts.class_names, data.aus
    )
    optional = {key: out[key].float().cpu().numpy() for key in ("dependency", "token_weights") if out[key] is not None}
    return HeldOutPredictions(
        samples=[data.samples[i] for i in test_idx],
        subjects=[data.subjects[i] for i in test_idx],
        class3=[data.class3[i] for i in test_idx],
        truth=data.labels[test_idx],
        probs=probs,
        mer_scores=mer_scores,
        features=FoldFeatures(out["features"].float().cpu().numpy(), data.au_tokens[test_idx], **optional),
    )
