"""`microau predict`: AU probabilities and the zero-shot emotion of one onset/apex pair.

The pair goes through the pipeline's own stage functions in process (crop, magnification, flow
image, landmarks, frozen CLIP blocks, the trained model) with the preprocessing settings stored in
model.pt, so a new clip is prepared exactly as the training data was. From a video, the onset is
the first frame unless given, and the apex, unless given, the frame of largest motion from the
onset (`microau.preprocess.apex`, as the index stage finds an apex nobody coded).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from microau.aus import au_name, au_token_indices
from microau.errors import MicroauError
from microau.io.fold_files import PREPROCESS_SECTIONS, read_model
from microau.io.prediction_rows import Prediction
from microau.model.decision import active_aus
from microau.model.features import WeightsError
from microau.preprocess.apex import MotionApex, motion_apex
from microau.preprocess.chain import PreparedPair, prepare_pair
from microau.preprocess.images import read_image
from microau.preprocess.video import video_frames

if TYPE_CHECKING:
    import torch

PROG = "microau predict"
READING_TITLES = {"combinations": "AU combinations", "joined": "joined class texts"}


class PredictError(MicroauError):
    """An input cannot be used; the message names it and fits on one line."""


Frames = Iterator[tuple[int, np.ndarray]]


def frames_at(frames: Frames, onset: int, apex: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Frames `onset` and `apex` (0-based) of a clip's frames; `source` names the clip in errors
    ("video clip.avi")."""
    if min(onset, apex) < 0:
        raise PredictError(f"frame numbers start at 0, got onset {onset} and apex {apex}")
    found: dict[int, np.ndarray] = {}
    count = 0
    for number, frame in frames:
        if number in (onset, apex):
            found[number] = frame
        count = number + 1
        if count > max(onset, apex):
            break
    if count == 0:
        raise PredictError(f"cannot read {source}: no frame OpenCV can decode")
    if count <= max(onset, apex):
        last = max(onset, apex)
        raise PredictError(f"{source} has {count} readable frames (0..{count - 1}); frame {last} is beyond them")
    return found[onset], found[apex]


def onset_and_motion_apex(
    frames: Frames, onset: int, source: str, last: int | None = None
) -> tuple[np.ndarray, MotionApex]:
    """Frame `onset`, and the frame of largest motion from it to frame `last` (default: the end of
    the clip; `microau.preprocess.apex`), in one pass over the frames."""
    if onset < 0:
        raise PredictError(f"frame numbers start at 0, got onset {onset}")
    first = next((frame for number, frame in frames if number == onset), None)
    if first is None:
        raise PredictError(f"cannot read {source}: no frame {onset} (no frame OpenCV can decode, or fewer)")
    if last is not None:
        frames = takewhile(lambda numbered: numbered[0] <= last, frames)
    try:
        return first, motion_apex(first, frames)
    except ValueError as error:
        raise PredictError(f"cannot find the apex of {source} after frame {onset}: {error}") from error


def read_video_frames(path: Path, onset: int, apex: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames `onset` and `apex` (0-based) of a video."""
    return frames_at(video_frames(path), onset, apex, f"video {path}")


def video_onset_and_apex(path: Path, onset: int) -> tuple[np.ndarray, MotionApex]:
    """Frame `onset`, and the frame of largest motion from it to the end of the video."""
    return onset_and_motion_apex(video_frames(path), onset, f"video {path}")


def stored_preprocessing(state: dict, path: Path) -> dict[str, dict]:
    """The frames, magnify, flow and landmarks settings the model was trained with (model.pt's
    `preprocess`); a model.pt without them cannot prepare a clip as its training data was."""
    stored = state.get("preprocess") or {}
    missing = [section for section in PREPROCESS_SECTIONS if section not in stored]
    if missing:
        raise PredictError(
            f"{path} stores no {', '.join(missing)} settings: it was trained by an earlier microau; "
            "retrain it with this version"
        )
    return {section: stored[section] for section in PREPROCESS_SECTIONS}


class PairModel:
    """A model.pt made ready for any number of pairs: CLIP, the trained model and the text
    features of the AU prompts and the MER label texts are built once; the frozen blocks run on
    the CPU, the model on `device` (`microau.model.device.claimed_device`)."""

    def __init__(self, state: dict, settings: dict[str, dict], device: torch.device) -> None:
        import open_clip
        import torch

        from microau.aus import au_prompts
        from microau.model.features import ClipSpec, load_clip, patch_grid, weights_id
        from microau.model.mer import joined_texts
        from microau.model.micro_au_clip import MicroAUCLIP, ModelOptions
        from microau.model.text import frozen_text_states
        from microau.plan.correspondence import filter_combinations

        self.state, self.settings, self.device = state, settings, device
        spec = ClipSpec(state["encoder"], state["pretrained"])
        clip_model = load_clip(spec)
        if weights_id(spec) != state["weights"]:
            raise WeightsError(
                f"the model was trained on CLIP weights '{state['weights']}' but '{state['pretrained']}' "
                f"now resolves to '{weights_id(spec)}'"
            )
        self.aus, self.k = list(state["aus"]), int(state["k"])
        self.au_names = [au_name(au) for au in self.aus]
        self.grid = patch_grid(clip_model)
        self.combinations = filter_combinations(state["settings"]["mer_combinations"], self.aus)
        self.joined_names, class_texts = joined_texts(state["settings"]["mer_classes"])
        tokenizer = open_clip.get_tokenizer(spec.model)
        with torch.no_grad():
            model = MicroAUCLIP(clip_model, len(self.aus), self.k, ModelOptions(**state["options"]))
            try:
                model.load_state_dict(state["state_dict"])
            except RuntimeError as error:
                raise PredictError(
                    f"the model's weights do not fit {spec.model}: {str(error).splitlines()[0]}"
                ) from error
            model.eval()
            mer_frozen = frozen_text_states(clip_model, tokenizer, class_texts, self.k)
            prompt_frozen = frozen_text_states(clip_model, tokenizer, au_prompts(self.aus), self.k)
            self.prompt_features = model.encode_texts(prompt_frozen).view(len(self.aus), 2, -1).to(self.device)
            self.mer_features = model.encode_texts(mer_frozen).to(self.device)
        self.clip_model, self.model = clip_model, model.to(self.device)

    def emotion_classes(self) -> dict[str, list[str]]:
        """The classes of each reading of Eq. 13, in the order `predict` scores them."""
        return {"combinations": list(self.combinations), "joined": list(self.joined_names)}

    def predict(self, onset: np.ndarray, apex: np.ndarray, name: str = "the onset frame") -> Prediction:
        """Per-AU P(on) and the zero-shot class (Eq. 13) of one pair of BGR frames, as a training
        fold computes them."""
        return self.score(prepare_pair(onset, apex, self.settings, name=name))

    def score(self, prepared: PreparedPair) -> Prediction:
        """The prediction of a pair `prepare_pair` prepared (maybe in another process), with the
        AU tokens and their PTA weights (None without patch token attention) for the review page."""
        import torch

        from microau.model.features import flow_tensor, frozen_visual_states
        from microau.model.mer import zero_shot_scores

        started = time.perf_counter()
        image, points = prepared.image, prepared.points
        tokens = au_token_indices(points, self.aus, image.shape[0], self.grid)
        with torch.no_grad():
            # The feature cache stores these states as float16; training reads them back as float32.
            states = frozen_visual_states(self.clip_model, flow_tensor(image)[None], self.k).to(torch.float16).float()
            out = self.model(states.to(self.device), torch.from_numpy(tokens)[None].to(self.device))
            probs = torch.softmax(out["logits"].float(), dim=-1)[0, :, 1].cpu()
            scores = zero_shot_scores(
                out["features"],
                self.prompt_features,
                self.mer_features,
                self.combinations,
                self.joined_names,
                self.aus,
            )
        weights = out["token_weights"]
        aus = {au_name(au): float(p) for au, p in zip(self.aus, probs)}
        return Prediction(
            aus=aus,
            active=active_aus(aus),
            emotions={reading: names[int(values[0].argmax())] for reading, (names, values) in scores.items()},
            emotion_scores={
                reading: {name: float(v) for name, v in zip(names, values[0])}
                for reading, (names, values) in scores.items()
            },
            au_tokens=tokens,
            token_weights=None if weights is None else weights[0].float().cpu().numpy(),
            seconds=time.perf_counter() - started,
        )


def predict_pair(
    onset: np.ndarray,
    apex: np.ndarray,
    state: dict,
    settings: dict[str, dict],
    device: torch.device,
    name: str = "the onset frame",
) -> Prediction:
    """Per-AU P(on) and the zero-shot class (Eq. 13) of one pair, as a training fold computes them:
    the frozen blocks on the CPU, the model on `device` (`microau.model.device.claimed_device`)."""
    return PairModel(state, settings, device).predict(onset, apex, name)


@dataclass
class Pair:
    """The onset and apex frames (BGR), what they are called, and whether the apex was found."""

    onset: np.ndarray
    apex: np.ndarray
    onset_ref: str | int
    apex_ref: str | int
    apex_from: str


def read_pair(args: argparse.Namespace) -> Pair:
    """Onset and apex from two image files, or from a video: --onset a frame number (default 0,
    the first frame), --apex a frame number or, when left out, the frame of largest motion."""
    if args.video is None:
        if args.onset is None or args.apex is None:
            raise PredictError("without --video, --onset and --apex name two image files")
        return Pair(read_image(args.onset), read_image(args.apex), args.onset, args.apex, "given")
    try:
        onset = 0 if args.onset is None else int(args.onset)
        apex = None if args.apex is None else int(args.apex)
    except ValueError:
        raise PredictError(f"with --video, --onset and --apex are frame numbers, got '{args.onset}' and '{args.apex}'")
    if apex is None:
        first, found = video_onset_and_apex(args.video, onset)
        return Pair(first, found.image, onset, found.frame, "motion")
    return Pair(*read_video_frames(args.video, onset, apex), onset, apex, "given")


def describe(state: dict) -> str:
    """Which model this is: a fold's (its subject was never seen) or the final one."""
    if state["held_out"]:
        kind = f"fold model, {state['held_out']} held out"
    else:
        kind = "final model, trained on all subjects"
    return f"{kind}; {state['encoder']}, weights {state['weights']}"


def print_table(prediction: Prediction, args: argparse.Namespace, state: dict, pair: Pair) -> None:
    source = f"{pair.onset_ref} -> {pair.apex_ref}"
    if args.video:
        source = f"{args.video} frames {source}"
    if pair.apex_from == "motion":
        source += " (apex: the frame of largest motion from the onset)"
    print(f"pair:   {source}")
    print(f"model:  {args.model} ({describe(state)})")
    print("AU     P(on)")
    for au, p in prediction.aus.items():
        print(f"{au}   {p:.3f}{'  on' if au in prediction.active else ''}")
    for reading, emotion in prediction.emotions.items():
        print(f"emotion (zero-shot, Eq. 13, {READING_TITLES[reading]}): {emotion}")
        for name, score in prediction.emotion_scores[reading].items():
            print(f"  {name:<10} {score:+.3f}")


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """--model of the commands that read a trained model (predict, analyse)."""
    parser.add_argument(
        "--model",
        type=Path,
        required=True,
        help="model.pt of a fold (results/train/...) or the final model "
        "(results/final/<dataset>/<variant>/seed<N>/model.pt)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--onset", help="onset frame: an image file, or with --video a frame number (0-based; default 0, the first)"
    )
    parser.add_argument(
        "--apex",
        help="apex frame: an image file, or with --video a frame number; left out with --video, the frame of "
        "largest motion from the onset (found and printed)",
    )
    parser.add_argument("--video", type=Path, help="read --onset and --apex as frame numbers of this video")
    add_model_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--device", default="auto", help="auto, cpu, cuda or cuda:N, as `microau train` takes it (default auto)"
    )
    args = parser.parse_args(argv)
    pair = read_pair(args)
    state = read_model(args.model)
    settings = stored_preprocessing(state, args.model)
    onset_name = f"frame {pair.onset_ref} of {args.video}" if args.video else str(pair.onset_ref)
    from microau.model.device import claimed_device

    with claimed_device(args.device) as device:
        prediction = predict_pair(pair.onset, pair.apex, state, settings, device, name=onset_name)
    if args.json:
        record = {
            "onset": pair.onset_ref,
            "apex": pair.apex_ref,
            "apex_from": pair.apex_from,
            "video": str(args.video) if args.video else None,
            "model": str(args.model),
            "aus": prediction.aus,
            "active": prediction.active,
            "emotion": prediction.emotions,
            "emotion_scores": prediction.emotion_scores,
            "preprocess": settings,
        }
        print(json.dumps(record, indent=2))
    else:
        print_table(prediction, args, state, pair)
    return 0
