"""One leave-one-subject-out fold: train on every other subject, predict the held-out one.

Nothing is chosen on the held-out subject: the final epoch's model and argmax of P_n are used.
With --all-subjects it trains one final model on every sample instead, for `microau predict`;
that model has no held-out subject, so it is never scored. With --datasets the run reads several
datasets' caches as one (a composite or cross-dataset protocol, `feature_cache.read_pooled`):
--held-out names a `<dataset>/<subject>`, or --held-out-dataset tests every subject of one
dataset and trains on the others'. A run killed partway resumes from its last finished epoch when
started again with the same settings and inputs (`microau.training_state`).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from microau.aus import au_prompts, face_description
from microau.device import CHOICES as DEVICE_CHOICES
from microau.device import claimed_device
from microau.device import describe as describe_device
from microau.errors import MicroauError
from microau.feature_cache import FeatureCache, dataset_of, read_cache, read_pooled
from microau.features import ClipSpec, WeightsError, load_clip, weights_id
from microau.fold_files import FoldFeatures, HeldOutPredictions, TrainingRun, write_run
from microau.correspondence import Combinations, filter_combinations
from microau.mer import joined_texts, zero_shot_scores
from microau.losses import (
    LABEL_MATRIX_TARGETS,
    contrastive_loss,
    gd_loss,
    global_contrastive_loss,
    multitask_loss,
)
from microau.model import MicroAUCLIP, ModelOptions
from microau.model.text import frozen_text_states
from microau.temperature import MAX_LOGIT_SCALE, check_temperature, initial_logit_scale, is_learned
from microau.training_state import (
    STATE_PT,
    TrainingState,
    capture_rng,
    read_state,
    remove_state,
    restore_rng,
    run_fingerprint,
    write_state,
)

CONTRASTIVE = {"miaucl": "same_label", "local_origcl": "diagonal", "global_origcl": "global", "none": None}


@dataclass
class TrainSettings:
    """Every setting of one training run; the workflow fills each from the config (workflow_plan)."""

    epochs: int
    batch_size: int
    lr_drop_epoch: int
    alpha: float
    beta: float
    seed: int
    momentum: float
    lr_encoder: float
    lr_head: float
    temperature: str | float
    contrastive: str
    label_matrix_target: str
    mer_classes: dict[str, list[int]]
    mer_combinations: dict[str, list[list[int]]]

    def __post_init__(self) -> None:
        check_temperature(self.temperature)
        if self.contrastive not in CONTRASTIVE:
            raise ValueError(f"contrastive must be one of {list(CONTRASTIVE)}, got '{self.contrastive}'")
        if self.label_matrix_target not in LABEL_MATRIX_TARGETS:
            raise ValueError(
                f"label_matrix_target must be one of {list(LABEL_MATRIX_TARGETS)}, got '{self.label_matrix_target}'"
            )


class SplitError(MicroauError):
    """The held-out subject has no sample in the features cache, or no other subject is left to train on."""


class DivergedError(MicroauError):
    """The training loss became non-finite; the run writes nothing."""


class SettingsError(MicroauError):
    """--settings, --options or --preprocess is not JSON, or names a field or value the run does not have."""


def group_split(groups: list[str], held_out: str, absent: str, alone: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the samples outside the `held_out` group (training) and in it (tested); the
    SplitError `absent` when no sample is in it, `alone` when no other sample is left."""
    groups_arr = np.asarray(groups)
    test = np.flatnonzero(groups_arr == held_out)
    if len(test) == 0:
        raise SplitError(absent)
    train = np.flatnonzero(groups_arr != held_out)
    if len(train) == 0:
        raise SplitError(alone)
    return train, test


def loso_split(subjects: list[str], held_out: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training samples (every other subject) and of the held-out subject's samples."""
    return group_split(
        subjects, held_out, f"subject '{held_out}' has no sample in the features cache",
        "leave-one-subject-out needs at least two subjects",
    )


def split_samples(subjects: list[str], held_out: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """`loso_split`, or with held_out None every sample for training and none held out (the final model)."""
    if held_out is None:
        return np.arange(len(subjects)), None
    return loso_split(subjects, held_out)


def dataset_split(subjects: list[str], dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the samples of every other dataset (training) and of `dataset`'s (tested), in a
    pooled cache whose subjects are `<dataset>/<subject>`."""
    return group_split(
        [dataset_of(subject) for subject in subjects], dataset,
        f"dataset '{dataset}' has no sample in the pooled features caches",
        "a cross-dataset run needs a dataset to train on besides the one tested",
    )


def cache_clip(data: FeatureCache, cache: Path | str) -> torch.nn.Module:
    """The CLIP model whose frozen blocks built the cache; weights that now resolve to others would
    pair its cached states with another model's trainable tail, so they are an error."""
    spec = ClipSpec(data.encoder, data.pretrained)
    clip_model = load_clip(spec)
    if weights_id(spec) != data.weights:
        raise WeightsError(
            f"{cache} was built with weights '{data.weights}' but they now resolve to "
            f"'{weights_id(spec)}'; rerun the features stage"
        )
    return clip_model


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


def mixed_precision(device: torch.device) -> torch.autocast:
    """bfloat16 autocast on a GPU; on the CPU everything stays float32."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def batch_losses(
    model: MicroAUCLIP, tensors: CacheTensors, batch: torch.Tensor, texts: FoldTexts, settings: TrainSettings,
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
            out["features"].float(), text.float(), y, temperature, label_matrix,
            settings.label_matrix_target,
        )
    gd = gd_loss(out["dependency"].float(), y) if out["dependency"] is not None else ce.new_zeros(())
    return ce + settings.alpha * cl + settings.beta * gd, ce, cl, gd


def contrastive_logit_scale(setting: str | float, clip_model, device: torch.device) -> torch.nn.Parameter:
    """ln(1 / temperature) of the contrastive loss (`microau.temperature`): trainable only when learned."""
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


def fit(
    model: MicroAUCLIP,
    tensors: CacheTensors,
    train_idx: np.ndarray,
    texts: FoldTexts,
    settings: TrainSettings,
    logit_scale: torch.nn.Parameter,
    name: str,
    log: Callable[[str], None],
    fingerprint: str,
    out_dir: Path,
    checkpoint_seconds: float,
) -> list[dict]:
    """SGD on the training samples, one history row per epoch; a non-finite epoch loss stops the run
    (DivergedError) before anything is written. The state is saved in `out_dir`
    (`microau.training_state`) at the end of the first epoch `checkpoint_seconds` after the last
    save (0: every epoch), and a state saved there by the run with `fingerprint` is resumed."""
    device = tensors.tokens.device
    n_aus = tensors.labels.shape[1]
    optimizer = build_optimizer(model, logit_scale, settings)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[settings.lr_drop_epoch], gamma=0.1)
    generator = torch.Generator().manual_seed(settings.seed)
    autocast = mixed_precision(device)
    train_rows = torch.from_numpy(train_idx).to(device)
    history = []
    saved = read_state(out_dir, fingerprint)
    if saved is not None:
        model.load_state_dict(saved.model)
        optimizer.load_state_dict(saved.optimizer)
        scheduler.load_state_dict(saved.scheduler)
        with torch.no_grad():
            logit_scale.copy_(saved.logit_scale)
        restore_rng(saved.rng, generator)
        history = saved.history
        log(f"{name} resumes after epoch {saved.epoch}/{settings.epochs} from {Path(out_dir) / STATE_PT}")
    last_save = time.monotonic()
    for epoch in range(len(history) + 1, settings.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = train_rows[torch.randperm(len(train_rows), generator=generator).to(device)]
        sums = torch.zeros(4, device=device)
        for batch in order.split(settings.batch_size):
            with autocast:
                loss, ce, cl, gd = batch_losses(model, tensors, batch, texts, settings, logit_scale)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if logit_scale.requires_grad:
                with torch.no_grad():
                    logit_scale.clamp_(0, MAX_LOGIT_SCALE)
            sums += torch.stack([loss, ce, cl, gd]).detach() * len(batch)
        scheduler.step()
        means = (sums / len(train_rows)).tolist()
        if not np.isfinite(means[0]):
            raise DivergedError(
                f"{name} diverged: the training loss is {means[0]} at epoch {epoch} "
                f"(lr_head {settings.lr_head}, lr_encoder {settings.lr_encoder}, options {model.options.as_dict()}); "
                "no predictions were written"
            )
        row = {
            "epoch": epoch,
            "lr_encoder": settings.lr_encoder * (0.1 if epoch > settings.lr_drop_epoch else 1.0),
            "lr_head": settings.lr_head * (0.1 if epoch > settings.lr_drop_epoch else 1.0),
            "loss": means[0], "multitask": means[1], "contrastive": means[2], "gd": means[3],
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
        if epoch < settings.epochs and time.monotonic() - last_save >= checkpoint_seconds:
            state = TrainingState(
                fingerprint, epoch, history, model.state_dict(), optimizer.state_dict(), scheduler.state_dict(),
                logit_scale.detach().cpu().clone(), capture_rng(generator),
            )
            write_state(out_dir, state)
            last_save = time.monotonic()
    return history


def predict_held_out(
    model: MicroAUCLIP, data: FeatureCache, tensors: CacheTensors, test_idx: np.ndarray, texts: FoldTexts
) -> HeldOutPredictions:
    """P_n(on), both readings' zero-shot MER scores and the AU features of the held-out samples."""
    model.eval()
    device = tensors.tokens.device
    test_rows = torch.from_numpy(test_idx).to(device)
    with torch.no_grad(), mixed_precision(device):
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


def train_fold(
    cache: Path,
    held_out: str | None,
    settings: TrainSettings,
    options: ModelOptions,
    out_dir: Path,
    device: torch.device,
    checkpoint_seconds: float,
    log: Callable[[str], None] = print,
    preprocess: dict | None = None,
) -> dict:
    """Train with `held_out` left out and predict it; held_out=None trains on every sample and
    writes only model.pt, history.csv and training_set.json. `preprocess` (frames, magnify, flow,
    landmarks settings) is stored in model.pt so that `microau predict` prepares a new clip as the
    training data was; `device` (`microau.device.claimed_device`) is where it runs, recorded in
    model.pt; the state is saved for a resume every `checkpoint_seconds` (`fit`)."""
    data = read_cache(cache)
    train_idx, test_idx = split_samples(data.subjects, held_out)
    return train_split(
        data, [cache], train_idx, test_idx, held_out, settings, options, out_dir, device, checkpoint_seconds, log,
        preprocess,
    )


def train_protocol(
    caches: dict[str, Path],
    aus: list[int],
    held_out: str | None,
    held_out_dataset: str | None,
    settings: TrainSettings,
    options: ModelOptions,
    out_dir: Path,
    device: torch.device,
    checkpoint_seconds: float,
    log: Callable[[str], None] = print,
    preprocess: dict | None = None,
) -> dict:
    """`train_fold` on several datasets' caches (dataset -> path) pooled on `aus`: leave out the
    `<dataset>/<subject>` `held_out` (composite LOSO), or every subject of `held_out_dataset`
    (cross-dataset); both None trains on every sample."""
    data = read_pooled(caches, aus)
    if held_out_dataset is not None:
        train_idx, test_idx = dataset_split(data.subjects, held_out_dataset)
    else:
        train_idx, test_idx = split_samples(data.subjects, held_out)
    name = held_out_dataset if held_out_dataset is not None else held_out
    return train_split(
        data, list(caches.values()), train_idx, test_idx, name, settings, options, out_dir, device,
        checkpoint_seconds, log, preprocess,
    )


def train_split(
    data: FeatureCache,
    caches: list[Path],
    train_idx: np.ndarray,
    test_idx: np.ndarray | None,
    held_out: str | None,
    settings: TrainSettings,
    options: ModelOptions,
    out_dir: Path,
    device: torch.device,
    checkpoint_seconds: float,
    log: Callable[[str], None],
    preprocess: dict | None,
) -> dict:
    """Train on the `train_idx` samples of `data` (read from `caches`), predict the `test_idx`
    ones (None: none, the final model) and write the run; `held_out` names what was left out."""
    clip_model = cache_clip(data, " + ".join(str(path) for path in caches))
    texts = prepare_texts(clip_model, data, train_idx, settings, device)
    torch.manual_seed(settings.seed)
    model = MicroAUCLIP(clip_model, len(data.aus), data.k, options).to(device)
    logit_scale = contrastive_logit_scale(settings.temperature, clip_model, device)
    del clip_model
    tensors = cache_tensors(data, device)
    fingerprint = run_fingerprint(caches, held_out, asdict(settings), options.as_dict())
    name = f"fold {held_out}" if held_out else "final model"
    history = fit(
        model, tensors, train_idx, texts, settings, logit_scale, name, log, fingerprint, out_dir, checkpoint_seconds
    )
    predictions = None if test_idx is None else predict_held_out(model, data, tensors, test_idx, texts)
    run = TrainingRun(
        state_dict={k: v.cpu() for k, v in model.state_dict().items()},
        options=options.as_dict(),
        settings=asdict(settings),
        aus=data.aus,
        encoder=data.encoder,
        pretrained=data.pretrained,
        weights=data.weights,
        k=data.k,
        preprocess=preprocess,
        held_out=held_out,
        device=describe_device(device),
        history=history,
        training_subjects=sorted({data.subjects[i] for i in train_idx}),
        predictions=predictions,
    )
    write_run(out_dir, run)
    remove_state(out_dir)
    return {"held_out": held_out, "n_train": len(train_idx), "n_test": 0 if test_idx is None else len(test_idx)}


def json_flag(flag: str, text: str) -> object:
    """The value of a JSON flag; text that is not JSON is a SettingsError naming the flag."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"{flag} is not JSON: {error}") from error


Fields = TypeVar("Fields")


def fields_flag(flag: str, text: str, kind: type[Fields]) -> Fields:
    """`kind` (TrainSettings, ModelOptions) from a JSON flag of its fields; an unknown field or a
    value it does not allow is a SettingsError naming the flag."""
    fields = json_flag(flag, text)
    try:
        return kind(**fields)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"{flag}: {error}") from error


def aus_flag(text: str) -> list[int]:
    """The AU numbers of --aus; anything but comma-separated integers is a SettingsError."""
    try:
        return [int(au) for au in text.split(",")]
    except ValueError:
        raise SettingsError(f"--aus must be comma-separated AU numbers, got '{text}'") from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="microau train", description="train one LOSO fold, or with --all-subjects the final model"
    )
    parser.add_argument(
        "--features", type=Path, nargs="+", required=True,
        help="features HDF5 of the dataset (with --datasets, one per dataset, in its order)",
    )
    parser.add_argument(
        "--datasets", nargs="+",
        help="names of the datasets whose caches --features pools (a composite or cross-dataset run)",
    )
    parser.add_argument("--aus", help="comma-separated AUs a pooled run trains on (the datasets' shared AUs)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--held-out", help="subject left out of training (<dataset>/<subject> with --datasets)")
    which.add_argument(
        "--held-out-dataset", help="with --datasets: test every subject of this dataset, train on the others'"
    )
    which.add_argument(
        "--all-subjects", action="store_true", help="train one final model on every sample (model.pt, history.csv)"
    )
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--settings", required=True, help="JSON of TrainSettings fields")
    parser.add_argument("--options", required=True, help="JSON of ModelOptions fields")
    parser.add_argument(
        "--preprocess", required=True,
        help="JSON of the config's frames, magnify, flow and landmarks sections, kept in model.pt",
    )
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", required=True, help=f"{DEVICE_CHOICES} (microau.device: auto claims a free GPU, else cpu)")
    parser.add_argument(
        "--checkpoint-seconds", type=float, required=True,
        help="save the state to resume from at the end of the first epoch this long after the last save (0: every epoch)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    settings = fields_flag("--settings", args.settings, TrainSettings)
    options = fields_flag("--options", args.options, ModelOptions)
    preprocess = json_flag("--preprocess", args.preprocess)
    log = functools.partial(print, flush=True)
    with claimed_device(args.device) as device:
        log(f"device: {describe_device(device)}")
        if args.datasets is None:
            if len(args.features) > 1 or args.aus or args.held_out_dataset:
                raise SettingsError("several --features, --aus and --held-out-dataset need --datasets")
            summary = train_fold(
                args.features[0], args.held_out, settings, options, args.out_dir, device, args.checkpoint_seconds,
                log=log, preprocess=preprocess,
            )
        else:
            if len(args.datasets) != len(args.features) or not args.aus:
                raise SettingsError("--datasets needs one --features cache per dataset, and --aus")
            summary = train_protocol(
                dict(zip(args.datasets, args.features)), aus_flag(args.aus), args.held_out, args.held_out_dataset,
                settings, options, args.out_dir, device, args.checkpoint_seconds, log=log, preprocess=preprocess,
            )
    if summary["held_out"] is None:
        print(f"final model: trained on all {summary['n_train']} samples -> {args.out_dir}")
        return 0
    print(f"fold {summary['held_out']}: trained on {summary['n_train']}, predicted {summary['n_test']} -> {args.out_dir}")
    return 0
