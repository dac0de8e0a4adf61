"""The files of one training run: a LOSO fold (`results/train/<dataset>/<variant>/seed<N>/<subject>/`)
or the final model (`results/final/<dataset>/<variant>/seed<N>/`, which has only model.pt,
history.csv and training_set.json).

`microau train` writes them; aggregation, the ablation tables, the figures and `microau predict`
read them through this module only.

- PREDICTIONS_CSV: one row per held-out sample. Columns `sample`, `subject`, `class3`; then for
  each AU `<AUnn>_true` (its 0/1 label) and `<AUnn>_prob` (P_n(on), six decimals); then for each
  reading of Eq. 13 (`microau.model.mer.READINGS` order) one `mer_<reading>_<class>` score per class (six
  decimals) and `mer_<reading>_pred`, the class of the highest score.
- Pooled predictions (`results/<dataset>_predictions.csv`, written by aggregation): every held-out
  sample of the main run, one row each: `subject`, `sample`, `fold` (the fold's directory, its
  held-out subject), then the other columns of PREDICTIONS_CSV in their order.
- FEATURES_NPZ: numpy arrays of the held-out samples: `sample` [B] str, `features` [B, AUs, D]
  float16 (the AU features F_n), `au_tokens` [B, AUs, L] int64 (Eq. 1, padded with -1), and where
  the variant has them `dependency` [B, AUs] float32 (GDA's weights) and `token_weights`
  [B, AUs, L] float32 (the pooling weights of each AU's patch tokens).
- MODEL_PT: a `torch.save`d dict with MODEL_KEYS, `preprocess` (the config's PREPROCESS_SECTIONS:
  frames, magnify, flow and landmarks, or None), `held_out` (the fold's subject, None for the final
  model) and `device` (where it was trained, `microau.model.device.describe`; absent in older files).
- HISTORY_CSV: one row per epoch; its columns are the keys of the rows training logs (epoch,
  learning rates, the mean losses, the contrastive temperature at the epoch's end, the text
  similarity, seconds).
- TRAINING_SET_JSON: `{"held_out": <subject, dataset or null>, "training_subjects": [...]}`, the
  subjects (`<dataset>/<subject>` in a composite or cross-dataset run) whose samples trained the
  model: the provenance of the protocol tables, checked there against the held-out subjects.

`write_run` maps what one run of `microau train` gives (`TrainingRun`) onto these files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microau.aus import au_name
from microau.errors import MicroauError
from microau.io.atomic import atomic_open, atomic_path

PREDICTIONS_CSV = "predictions.csv"
FEATURES_NPZ = "features.npz"
MODEL_PT = "model.pt"
HISTORY_CSV = "history.csv"
TRAINING_SET_JSON = "training_set.json"
PREPROCESS_SECTIONS = ("frames", "magnify", "flow", "landmarks")
"""The config sections model.pt keeps, so `microau predict` prepares a clip as training data was."""
MODEL_KEYS = ("state_dict", "options", "settings", "aus", "encoder", "pretrained", "weights", "k")
NOT_A_MODEL = "not a model.pt written by `microau train`"

Rows = list[dict[str, str]]
PREDICTION_KEYS = ("sample", "subject", "class3")
# reading of Eq. 13 -> (class names, [B, classes] scores)
MerScores = Mapping[str, tuple[Sequence[str], np.ndarray]]


class FoldFileError(MicroauError):
    """A run's file is not what `microau train` writes, or lacks what its reader needs."""


def _decimal(value: float) -> str:
    return f"{value:.6f}"


def write_predictions(
    path: str | Path,
    samples: Sequence[str],
    subjects: Sequence[str],
    class3: Sequence[str],
    aus: Sequence[str],
    truth: np.ndarray,
    probs: np.ndarray,
    mer_scores: MerScores,
) -> None:
    """predictions.csv of the held-out samples: `aus` are AU names, `truth` and `probs` [B, AUs]."""
    au_columns = [f"{au}_{kind}" for au in aus for kind in ("true", "prob")]
    mer_columns = [
        column
        for reading, (names, _) in mer_scores.items()
        for column in [*(f"mer_{reading}_{name}" for name in names), f"mer_{reading}_pred"]
    ]
    with atomic_open(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sample", "subject", "class3", *au_columns, *mer_columns])
        for row, sample in enumerate(samples):
            values = []
            for n in range(len(aus)):
                values += [int(truth[row, n]), _decimal(probs[row, n])]
            for names, scores in mer_scores.values():
                values += [*(_decimal(s) for s in scores[row]), names[int(np.argmax(scores[row]))]]
            writer.writerow([sample, subjects[row], class3[row], *values])


def read_fold_predictions(path: str | Path) -> Rows:
    """The rows of one predictions.csv, as text; a file without the columns every reader uses
    (sample, subject, class3, and an AU's `_prob` beside each `_true`) is named, not half-read."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [column for column in PREDICTION_KEYS if column not in columns]
        truths = [column for column in columns if column.endswith("_true")]
        probs = [f"{truth[: -len('_true')]}_prob" for truth in truths]
        missing += [prob for prob in probs if prob not in columns]
        if missing or not truths:
            lacking = ", ".join(missing) if missing else "<AU>_true and <AU>_prob"
            raise FoldFileError(
                f"{path} lacks the column(s) {lacking}: not a predictions.csv written by `microau train`"
            )
        return list(reader)


def read_predictions(paths: Sequence[str | Path]) -> Rows:
    """The rows of several folds' predictions.csv, pooled; a sample in two folds is an error."""
    rows = [row for path in paths for row in read_fold_predictions(path)]
    samples = [r["sample"] for r in rows]
    if len(set(samples)) != len(samples):
        raise FoldFileError("a sample appears in more than one fold's predictions")
    return rows


def write_pooled_predictions(path: str | Path, paths: Sequence[str | Path]) -> None:
    """Every fold's predictions.csv in one file, each row with its `fold` (the fold's directory)."""
    rows = [{"fold": Path(fold).parent.name, **row} for fold in paths for row in read_fold_predictions(fold)]
    first = ["subject", "sample", "fold"]
    columns = first + [column for column in rows[0] if column not in first]
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def au_names(rows: Rows) -> list[str]:
    """The AU names of prediction rows, in column order."""
    return [c[: -len("_true")] for c in rows[0] if c.endswith("_true")]


def au_truth_and_probs(rows: Rows) -> tuple[list[str], np.ndarray, np.ndarray]:
    """AU names, and the [samples, AUs] labels (int) and P_n(on) (float) of prediction rows."""
    names = au_names(rows)
    truth = np.array([[int(r[f"{au}_true"]) for au in names] for r in rows])
    probs = np.array([[float(r[f"{au}_prob"]) for au in names] for r in rows])
    return names, truth, probs


def mer_classes(rows: Rows, reading: str) -> list[str]:
    """The classes of one reading of Eq. 13 in prediction rows (columns mer_<reading>_<class>)."""
    prefix = f"mer_{reading}_"
    classes = [c[len(prefix) :] for c in rows[0] if c.startswith(prefix) and c != f"{prefix}pred"]
    if not classes:
        raise FoldFileError(f"the predictions hold no zero-shot MER scores of the '{reading}' reading")
    return classes


def mer_predictions(rows: Rows, reading: str) -> list[str]:
    """The predicted class of each row under one reading of Eq. 13."""
    return [r[f"mer_{reading}_pred"] for r in rows]


@dataclass
class FoldFeatures:
    """The arrays of features.npz (layout in the module docstring); None where the variant has none."""

    features: np.ndarray
    au_tokens: np.ndarray
    dependency: np.ndarray | None = None
    token_weights: np.ndarray | None = None


def write_fold_features(path: str | Path, samples: Sequence[str], arrays: FoldFeatures) -> None:
    """features.npz of the held-out `samples`, rows in their order."""
    saved = {
        "sample": np.array(list(samples)),
        "features": np.asarray(arrays.features, dtype=np.float16),
        "au_tokens": np.asarray(arrays.au_tokens, dtype=np.int64),
    }
    for key in ("dependency", "token_weights"):
        value = getattr(arrays, key)
        if value is not None:
            saved[key] = np.asarray(value, dtype=np.float32)
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **saved)


def read_fold_features(path: str | Path, samples: Sequence[str]) -> FoldFeatures:
    """The arrays of features.npz, rows reordered to `samples` (the order of its predictions.csv)."""
    with np.load(path) as saved:
        where = {str(sample): i for i, sample in enumerate(saved["sample"])}
        missing = [sample for sample in samples if sample not in where]
        if missing:
            raise FoldFileError(f"{path} lacks sample(s) {', '.join(missing)} of its predictions.csv")
        order = [where[sample] for sample in samples]
        return FoldFeatures(**{key: saved[key][order] for key in saved.files if key != "sample"})


def write_model(
    path: str | Path,
    *,
    state_dict: Mapping[str, object],
    options: dict,
    settings: dict,
    aus: list[int],
    encoder: str,
    pretrained: str,
    weights: str,
    k: int,
    preprocess: dict | None,
    held_out: str | None,
    device: str,
) -> None:
    """model.pt: everything `microau predict` needs to rebuild the model and prepare a clip, and
    where it was trained."""
    import torch

    state = {
        "state_dict": dict(state_dict),
        "options": options,
        "settings": settings,
        "aus": aus,
        "encoder": encoder,
        "pretrained": pretrained,
        "weights": weights,
        "k": k,
        "preprocess": preprocess,
        "held_out": held_out,
        "device": device,
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def read_model(path: str | Path) -> dict:
    """The dictionary of a model.pt, checked for MODEL_KEYS; any other file is a one-line FoldFileError."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FoldFileError(f"cannot read model {path}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many types (pickle, zip, EOF) for a file that is not a model
        raise FoldFileError(f"cannot read model {path}: {NOT_A_MODEL} ({type(error).__name__})") from error
    missing = [key for key in MODEL_KEYS if not isinstance(state, dict) or key not in state]
    if missing:
        raise FoldFileError(f"cannot read model {path}: {NOT_A_MODEL} (lacks {', '.join(missing)})")
    return state


def run_devices(predictions: Sequence[str | Path]) -> list[str]:
    """Where the runs of these predictions.csv files were trained: the distinct `device` of the
    model.pt beside each (memory-mapped, so the weights are not read); `not recorded` for a model
    written before models recorded it."""
    import torch

    devices = set()
    for path in predictions:
        model = Path(path).parent / MODEL_PT
        try:
            state = torch.load(model, map_location="cpu", weights_only=True, mmap=True)
        except Exception as error:  # torch.load raises many types (pickle, zip, EOF) for a file that is not a model
            raise FoldFileError(f"cannot read model {model}: {NOT_A_MODEL} ({type(error).__name__})") from error
        devices.add(state.get("device", "not recorded") if isinstance(state, dict) else "not recorded")
    return sorted(devices)


def write_history(path: str | Path, history: Sequence[Mapping[str, object]]) -> None:
    """history.csv: one row per epoch, the columns of the first row."""
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def read_history(path: str | Path) -> Rows:
    """The epoch rows of a history.csv, as text."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class HeldOutPredictions:
    """A fold's held-out samples and what its model gives them: predictions.csv and features.npz.
    `truth` and `probs` are [B, AUs] (0/1 labels, P_n(on)), rows in `samples` order."""

    samples: list[str]
    subjects: list[str]
    class3: list[str]
    truth: np.ndarray
    probs: np.ndarray
    mer_scores: MerScores
    features: FoldFeatures


@dataclass
class TrainingRun:
    """Everything one run of `microau train` writes: model.pt's fields (MODEL_KEYS, `preprocess`,
    `held_out`, `device`), the epoch rows of history.csv, the subjects it trained on (training_set.json),
    and for a fold its held-out predictions (None for the final model, which has no held-out subject)."""

    state_dict: Mapping[str, object]
    options: dict
    settings: dict
    aus: list[int]
    encoder: str
    pretrained: str
    weights: str
    k: int
    preprocess: dict | None
    held_out: str | None
    device: str
    history: list[dict]
    training_subjects: list[str]
    predictions: HeldOutPredictions | None


def write_run(out_dir: str | Path, run: TrainingRun) -> None:
    """A fold's predictions.csv, features.npz, model.pt and history.csv; the final model's
    model.pt and history.csv."""
    out_dir = Path(out_dir)
    held_out = run.predictions
    if held_out is not None:
        write_predictions(
            out_dir / PREDICTIONS_CSV,
            held_out.samples,
            held_out.subjects,
            held_out.class3,
            [au_name(au) for au in run.aus],
            held_out.truth,
            held_out.probs,
            held_out.mer_scores,
        )
        write_fold_features(out_dir / FEATURES_NPZ, held_out.samples, held_out.features)
    write_model(
        out_dir / MODEL_PT,
        state_dict=run.state_dict,
        options=run.options,
        settings=run.settings,
        aus=run.aus,
        encoder=run.encoder,
        pretrained=run.pretrained,
        weights=run.weights,
        k=run.k,
        preprocess=run.preprocess,
        held_out=run.held_out,
        device=run.device,
    )
    write_history(out_dir / HISTORY_CSV, run.history)
    write_training_set(out_dir / TRAINING_SET_JSON, run.held_out, run.training_subjects)


def write_training_set(path: str | Path, held_out: str | None, training_subjects: Sequence[str]) -> None:
    """training_set.json of a run."""
    with atomic_open(path) as handle:
        handle.write(json.dumps({"held_out": held_out, "training_subjects": list(training_subjects)}, indent=1) + "\n")


def read_training_set(path: str | Path) -> dict:
    """The held-out name and training subjects of a run; another file is a one-line FoldFileError."""
    record = json.loads(Path(path).read_text())
    if not isinstance(record, dict) or {"held_out", "training_subjects"} - set(record):
        raise FoldFileError(f"{path} is not a training_set.json written by `microau train`")
    return record
