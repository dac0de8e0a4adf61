"""`microau faces` detects the face on each sample's onset frame; `microau frames` crops onset
and apex of one sample with that box.

The same square box crops both frames, so the crop adds no motion of its own between them.
Detection runs once per dataset so that every sample without a face is known, and reported with
its reason, before any per-sample job starts.
Crops are written as 8-bit BGR PNG (colour is kept for the landmark detector; the flow stage
converts to grayscale itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.io.sample_table import FACE_COLUMNS, REPORT_COLUMNS, VALIDATION_COLUMNS, read_rows, sample_row, write_rows
from microau.preprocess.images import ImageReadError, read_image, write_image
from microau.preprocess.stage import parse_stage_args, process_shared

PROG = "microau frames"


class FaceNotFoundError(MicroauError):
    """No face was detected; the message names the sample and the file."""


class FrameSizeError(MicroauError):
    """The onset and apex frames of one sample differ in size; the message names both files."""


class FaceBoxError(MicroauError):
    """A box.json or a face table cannot give the face box; the message names the file."""


@dataclass(frozen=True)
class Detection:
    """Best face box in source pixels (x, y of the top-left corner) and its detector score."""

    x: float
    y: float
    width: float
    height: float
    score: float


class FaceDetector:
    """dlib's HOG frontal face detector (part of dlib, no model file), reused for many images.

    It finds faces of about 80 pixels and larger in the image as given; an image without one is
    searched once more at twice its size (dlib's upsampling), which finds faces down to about 40
    pixels at about four times the cost. The box is dlib's own, the box its 68-point predictor
    (the default landmarks) is run on; the score is the detector's SVM margin (0 at its threshold).
    """

    UPSAMPLINGS = (0, 1)

    def __init__(self) -> None:
        import dlib

        self._detector = dlib.get_frontal_face_detector()

    def detect(self, image_bgr: np.ndarray) -> Detection | None:
        """Highest-scoring face in a BGR image, or None."""
        rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
        for upsampling in self.UPSAMPLINGS:
            boxes, scores, _ = self._detector.run(rgb, upsampling, 0.0)
            if boxes:
                best = int(np.argmax(scores))
                box = boxes[best]
                return Detection(box.left(), box.top(), box.width(), box.height(), float(scores[best]))
        return None


shared_detector = process_shared(FaceDetector)


def square_box(detection: Detection, margin: float, image_width: int, image_height: int) -> tuple[int, int, int]:
    """Enlarge the detection by `margin` of its size on each side, make it square, keep it inside.

    Returns (x, y, side) in integer source pixels. A box larger than the image shrinks to the
    image's shorter side; a box over an edge is shifted back inside rather than padded.
    """
    side = max(detection.width, detection.height) * (1.0 + 2.0 * margin)
    side_px = int(round(min(side, image_width, image_height)))
    cx = detection.x + detection.width / 2.0
    cy = detection.y + detection.height / 2.0
    x = int(round(cx - side_px / 2.0))
    y = int(round(cy - side_px / 2.0))
    x = min(max(x, 0), image_width - side_px)
    y = min(max(y, 0), image_height - side_px)
    return x, y, side_px


def crop_resize(image: np.ndarray, box: tuple[int, int, int], size: int) -> np.ndarray:
    """Cut the square box out and resize it to size x size (area filter when shrinking)."""
    x, y, side = box
    patch = image[y : y + side, x : x + side]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return cv2.resize(patch, (size, size), interpolation=interpolation)


def face_in_crop(detection: Detection, box: tuple[int, int, int], size: int) -> tuple[int, int, int, int]:
    """The detected face's (left, top, right, bottom) in the pixels of a `size` crop cut at `box`.

    Coordinates are rounded to 0.01 source pixel first, as box.json stores them, so a landmark
    stage reading box.json and `microau predict` computing the box in process get the same rectangle.
    """
    x, y, side = box
    scale = size / side
    left, top = round(detection.x, 2), round(detection.y, 2)
    right, bottom = left + round(detection.width, 2), top + round(detection.height, 2)
    return (
        int(round((left - x) * scale)),
        int(round((top - y) * scale)),
        int(round((right - x) * scale)),
        int(round((bottom - y) * scale)),
    )


def crop_face_box(info: dict) -> tuple[int, int, int, int]:
    """`face_in_crop` of a crop pair, from the record `crop_pair` returns (and box.json holds)."""
    found = info["detection"]
    detection = Detection(found["x"], found["y"], found["width"], found["height"], info["score"])
    return face_in_crop(detection, (info["box"]["x"], info["box"]["y"], info["box"]["size"]), info["crop_size"])


def read_face_in_crop(box_json: Path) -> tuple[int, int, int, int]:
    """`face_in_crop` of the crops `microau frames` wrote, from their box.json."""
    try:
        return crop_face_box(json.loads(Path(box_json).read_text()))
    except OSError as exc:
        raise FaceBoxError(f"cannot read face box {box_json}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise FaceBoxError(f"{box_json} is not a box.json written by `microau frames` ({problem})") from exc


def read_pair(sample: str, onset_path: Path, apex_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Onset and apex frames of one sample; errors name the sample and the file."""
    try:
        onset = read_image(onset_path)
        apex = read_image(apex_path)
    except ImageReadError as exc:
        raise ImageReadError(f"sample {sample}: {exc}") from exc
    if onset.shape != apex.shape:
        sizes = [f"{image.shape[1]}x{image.shape[0]}" for image in (onset, apex)]
        raise FrameSizeError(f"sample {sample}: onset {onset_path} is {sizes[0]} but apex {apex_path} is {sizes[1]}")
    return onset, apex


def detect_face(sample: str, onset_path: Path, apex_path: Path, detector: FaceDetector | None = None) -> Detection:
    """The face box of a sample, found on its onset frame (both frames must read and match in size)."""
    onset, _ = read_pair(sample, onset_path, apex_path)
    detection = (detector or shared_detector()).detect(onset)
    if detection is None:
        raise FaceNotFoundError(f"sample {sample}: no face detected in onset frame {onset_path}")
    return detection


def crop_with_box(
    onset: np.ndarray, apex: np.ndarray, detection: Detection, size: int, margin: float
) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int]]:
    """The crop step of the per-sample chain: both frames cut with one square box around the face
    found on the onset (`square_box`) and resized to `size`; returns the crops and the box."""
    height, width = onset.shape[:2]
    box = square_box(detection, margin, width, height)
    return crop_resize(onset, box, size), crop_resize(apex, box, size), box


def crop_pair(
    sample: str,
    onset_path: Path,
    apex_path: Path,
    size: int,
    margin: float,
    detection: Detection | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Crop onset and apex with the same box around `detection` (detected here when None)."""
    onset, apex = read_pair(sample, onset_path, apex_path)
    if detection is None:
        detection = detect_face(sample, onset_path, apex_path)
    onset_crop, apex_crop, box = crop_with_box(onset, apex, detection, size, margin)
    height, width = onset.shape[:2]
    info = {
        "sample": sample,
        "onset_path": str(onset_path),
        "apex_path": str(apex_path),
        "source_size": [width, height],
        "detection": {
            "x": round(detection.x, 2),
            "y": round(detection.y, 2),
            "width": round(detection.width, 2),
            "height": round(detection.height, 2),
        },
        "score": round(detection.score, 4),
        "margin": margin,
        "box": {"x": box[0], "y": box[1], "size": box[2]},
        "crop_size": size,
    }
    return onset_crop, apex_crop, info


# The columns `microau faces` and `microau frames` need of a sample table.
PAIR_COLUMNS = ("sample", "onset_path", "apex_path")


FACELESS_ACTIONS = {
    "skip": "left out of every later stage and table (frames.on_missing_face: skip)",
    "error": "the run stops (frames.on_missing_face: error)",
}


def find_faces(
    samples_tsv: Path,
    with_face: Path,
    report: Path,
    index_validation: Path | None = None,
    validation: Path | None = None,
    on_missing_face: str | None = None,
) -> tuple[int, list[dict[str, str]], list[str]]:
    """Detect the face of every sample. Samples with a face go to `with_face` (their table row and
    box); samples without one go to `report` with the reason, and to `validation`: the index's
    report (`index_validation`) with a row for each of them, the one list of every sample left out
    or repaired. Unreadable or mismatched frames are returned as errors (and also reported): they
    need a fixed copy, not a skip."""
    columns, rows = read_rows(samples_tsv, PAIR_COLUMNS)
    kept, problems, errors = [], [], []
    detector = shared_detector()
    for row in rows:
        sample = row["sample"]
        try:
            detection = detect_face(sample, Path(row["onset_path"]), Path(row["apex_path"]), detector)
        except FaceNotFoundError as exc:
            problems.append({**row, "problem": "no_face", "reason": str(exc)})
            continue
        except (ImageReadError, FrameSizeError) as exc:
            problems.append({**row, "problem": "bad_image", "reason": str(exc)})
            errors.append(str(exc))
            continue
        box = (detection.x, detection.y, detection.width, detection.height, detection.score)
        kept.append({**row, **{key: round(value, 4) for key, value in zip(FACE_COLUMNS, box)}})
    write_rows(with_face, columns + list(FACE_COLUMNS), kept)
    write_rows(report, REPORT_COLUMNS, [{key: p.get(key, "") for key in REPORT_COLUMNS} for p in problems])
    if validation is not None:
        earlier = read_rows(index_validation)[1] if index_validation is not None else []
        faceless = [
            {
                "sample": p["sample"],
                "problem": ": ".join(filter(None, (p.get("source", ""), p["reason"].split(": ", 1)[-1]))),
                "action": FACELESS_ACTIONS[on_missing_face or "skip"]
                if p["problem"] == "no_face"
                else "the run stops: fix the frames",
            }
            for p in problems
        ]
        write_rows(validation, VALIDATION_COLUMNS, [*earlier, *faceless])
    return len(kept), problems, errors


def faces_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="microau faces", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, required=True, help="sample table of the index (TSV)")
    parser.add_argument("--out", type=Path, required=True, help="samples with a face and their boxes (TSV)")
    parser.add_argument("--report", type=Path, required=True, help="samples without a usable face and why (TSV)")
    parser.add_argument("--index-validation", type=Path, help="the index's validation.tsv, copied into --validation")
    parser.add_argument(
        "--validation", type=Path, help="every sample left out or repaired: the index's rows and the faceless (TSV)"
    )
    parser.add_argument(
        "--on-missing-face",
        choices=tuple(FACELESS_ACTIONS),
        help="with --validation: what becomes of a faceless sample (frames.on_missing_face)",
    )
    args = parse_stage_args(parser, argv)
    if args.validation and not (args.index_validation and args.on_missing_face):
        parser.error("--validation needs --index-validation and --on-missing-face")
    n_kept, problems, errors = find_faces(
        args.samples, args.out, args.report, args.index_validation, args.validation, args.on_missing_face
    )
    print(f"{n_kept} samples with a face, {len(problems)} without (listed in {args.validation or args.report})")
    for problem in problems:
        print(f"  {problem['reason']}")
    if errors:
        print(f"microau faces: error: {len(errors)} sample(s) have unreadable frames:", file=sys.stderr)
        for error in errors:
            print(f"  {error}", file=sys.stderr)
        return 2
    faceless = [p for p in problems if p["problem"] == "no_face"]
    if faceless and args.on_missing_face == "error":
        # the job fails (Snakemake finishes and records the jobs beside it, so a rerun starts
        # clean), rather than the workflow raising while it plans the next jobs
        print(
            f"microau faces: error: {len(faceless)} sample(s) have no face (frames.on_missing_face: error); "
            "set frames.on_missing_face: skip to leave them out of every later stage and table",
            file=sys.stderr,
        )
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="crop onset and apex of one sample with its face box")
    parser.add_argument("--faces", type=Path, required=True, help="samples with their face boxes (microau faces --out)")
    parser.add_argument("--sample", required=True, help="sample id (the table's `sample` column)")
    parser.add_argument("--size", type=int, required=True, help="side of the square crops in pixels")
    parser.add_argument(
        "--margin",
        type=float,
        required=True,
        help="enlargement of the face box on each side, as a fraction of its size",
    )
    parser.add_argument("--out-dir", type=Path, required=True, help="writes onset.png, apex.png, box.json here")
    args = parse_stage_args(parser, argv)
    row = sample_row(args.faces, args.sample, PAIR_COLUMNS)
    missing = [key for key in FACE_COLUMNS if key not in row]
    if missing:
        raise FaceBoxError(f"{args.faces} lacks the column {missing[0]!r} (write it with microau faces)")
    x, y, width, height, score = (float(row[key]) for key in FACE_COLUMNS)
    onset, apex, info = crop_pair(
        args.sample,
        Path(row["onset_path"]),
        Path(row["apex_path"]),
        args.size,
        args.margin,
        Detection(x, y, width, height, score),
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_image(args.out_dir / "onset.png", onset)
    write_image(args.out_dir / "apex.png", apex)
    with atomic_open(args.out_dir / "box.json") as handle:
        handle.write(json.dumps(info, indent=2) + "\n")
    return 0
