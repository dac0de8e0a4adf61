"""One training run: a leave-one-subject-out fold: train on every other subject, predict the held-out one.

Nothing is chosen on the held-out subject: the final epoch's model and argmax of P_n are used.
With --all-subjects it trains one final model on every sample instead, for `microau predict`;
that model has no held-out subject, so it is never scored. With --datasets the run reads several
datasets' caches as one (a composite or cross-dataset protocol, `feature_cache.read_pooled`):
--held-out names a `<dataset>/<subject>`, or --held-out-dataset tests every subject of one
dataset and trains on the others'. A run killed partway resumes from its last finished epoch when
started again with the same settings and inputs (`microau.io.training_state`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from microau.io.feature_cache import FeatureCache, read_cache, read_pooled
from microau.io.fold_files import TrainingRun, write_run
from microau.io.training_state import remove_state, run_fingerprint
from microau.model.device import check_precision
from microau.model.device import describe as describe_device
from microau.model.features import ClipSpec, WeightsError, load_clip, weights_id
from microau.model.micro_au_clip import MicroAUCLIP
from microau.training.loop import cache_tensors, contrastive_logit_scale, fit, predict_held_out
from microau.training.settings import TrainingJob
from microau.training.splits import Split, dataset_split, split_samples
from microau.training.texts import prepare_texts


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


def train_fold(cache: Path, held_out: str | None, job: TrainingJob) -> dict:
    """Train with `held_out` left out and predict it; held_out=None trains on every sample and
    writes only model.pt, history.csv and training_set.json."""
    data = read_cache(cache)
    return train_split(data, [cache], Split(*split_samples(data.subjects, held_out), held_out), job)


def train_protocol(
    caches: dict[str, Path],
    aus: list[int],
    job: TrainingJob,
    held_out: str | None = None,
    held_out_dataset: str | None = None,
) -> dict:
    """`train_fold` on several datasets' caches (dataset -> path) pooled on `aus`: leave out the
    `<dataset>/<subject>` `held_out` (composite LOSO), or every subject of `held_out_dataset`
    (cross-dataset); both None trains on every sample."""
    data = read_pooled(caches, aus)
    if held_out_dataset is not None:
        split = Split(*dataset_split(data.subjects, held_out_dataset), held_out_dataset)
    else:
        split = Split(*split_samples(data.subjects, held_out), held_out)
    return train_split(data, list(caches.values()), split, job)


def train_split(data: FeatureCache, caches: list[Path], split: Split, job: TrainingJob) -> dict:
    """Train on the `split.train` samples of `data` (read from `caches`), predict the `split.test`
    ones (None: none, the final model) and write the run in `job.out_dir`."""
    settings, options, device = job.settings, job.options, job.device
    check_precision(device, settings.precision)
    clip_model = cache_clip(data, " + ".join(str(path) for path in caches))
    texts = prepare_texts(clip_model, data, split.train, settings, device)
    torch.manual_seed(settings.seed)
    model = MicroAUCLIP(clip_model, len(data.aus), data.k, options).to(device)
    logit_scale = contrastive_logit_scale(settings.temperature, clip_model, device)
    del clip_model
    tensors = cache_tensors(data, device)
    fingerprint = run_fingerprint(caches, split.held_out, asdict(settings), options.as_dict())
    name = f"fold {split.held_out}" if split.held_out else "final model"
    history = fit(model, tensors, split.train, texts, logit_scale, job, name, fingerprint)
    predictions = (
        None if split.test is None else predict_held_out(model, data, tensors, split.test, texts, settings.precision)
    )
    run = TrainingRun(
        state_dict={k: v.cpu() for k, v in model.state_dict().items()},
        options=options.as_dict(),
        settings=asdict(settings),
        aus=data.aus,
        encoder=data.encoder,
        pretrained=data.pretrained,
        weights=data.weights,
        k=data.k,
        preprocess=job.preprocess,
        held_out=split.held_out,
        device=describe_device(device),
        history=history,
        training_subjects=sorted({data.subjects[i] for i in split.train}),
        predictions=predictions,
    )
    write_run(job.out_dir, run)
    remove_state(job.out_dir)
    n_test = 0 if split.test is None else len(split.test)
    return {"held_out": split.held_out, "n_train": len(split.train), "n_test": n_test}
