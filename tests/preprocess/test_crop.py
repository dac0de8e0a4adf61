"""`microau frames`: one face box for onset and apex, and one clear line for every bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from microau import cli
from microau.datasets.generators.synthetic import SubjectRenderer, plan_subjects
from microau.preprocess import crop
from microau.preprocess.crop import (
    Detection,
    FaceDetector,
    FaceNotFoundError,
    crop_pair,
    face_in_crop,
    read_face_in_crop,
    square_box,
)
from microau.preprocess.images import ImageReadError, read_image, write_image


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A synthetic subject's still frame and the same frame shifted by one pixel."""
    folder = tmp_path_factory.mktemp("frames")
    renderer = SubjectRenderer(plan_subjects(0, 1)[0])
    onset, apex = folder / "img1.jpg", folder / "img2.jpg"
    write_image(onset, renderer.render(None, (0.0, 0.0), 1.0, None))
    write_image(apex, renderer.render(None, (1.0, 0.0), 1.0, None))
    return onset, apex


def write_table(path: Path, sample: str, onset: Path, apex: Path) -> Path:
    path.write_text(f"dataset\tsample\tonset_path\tapex_path\nsynthetic\t{sample}\t{onset}\t{apex}\n")
    return path


def test_crops_both_frames_with_one_box(tmp_path: Path, frames: tuple[Path, Path]) -> None:
    onset, apex = frames
    table = write_table(tmp_path / "samples.tsv", "sub01_EP01_01", onset, apex)
    faces, report = tmp_path / "faces.tsv", tmp_path / "report.tsv"
    assert crop.faces_main(["--samples", str(table), "--out", str(faces), "--report", str(report)]) == 0
    assert report.read_text() == "sample\tsubject\tonset_path\tproblem\treason\n"
    out = tmp_path / "crops"
    argv = ["--faces", str(faces), "--sample", "sub01_EP01_01", "--size", "256", "--margin", "0.25"]
    assert crop.main([*argv, "--out-dir", str(out)]) == 0
    info = json.loads((out / "box.json").read_text())
    assert info["sample"] == "sub01_EP01_01"
    assert (info["onset_path"], info["apex_path"]) == (str(onset), str(apex))
    assert info["source_size"] == [640, 480] and info["crop_size"] == 256 and info["margin"] == 0.25
    assert info["score"] > 0  # dlib's HOG margin: 0 at its threshold
    box, detection = info["box"], info["detection"]
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["size"] <= 640 and box["y"] + box["size"] <= 480
    assert box["size"] == pytest.approx(1.5 * max(detection["width"], detection["height"]), abs=1)
    for name in ("onset.png", "apex.png"):
        assert read_image(out / name).shape == (256, 256, 3)


def test_the_face_box_in_crop_pixels_is_read_back_from_box_json(tmp_path: Path, frames: tuple[Path, Path]) -> None:
    assert face_in_crop(Detection(100, 50, 200, 200, 0.9), (50, 0, 300), 256) == (43, 43, 213, 213)
    _, _, info = crop_pair("s", *frames, 256, 0.25)
    (tmp_path / "box.json").write_text(json.dumps(info))
    left, top, right, bottom = read_face_in_crop(tmp_path / "box.json")
    # a margin of 0.25 on each side: the face spans the middle two thirds of the crop
    assert (left, top) == pytest.approx((43, 43), abs=2) and (right, bottom) == pytest.approx((213, 213), abs=2)


def test_square_box_is_clamped_inside_the_image() -> None:
    assert square_box(Detection(-20, 10, 100, 80, 0.9), 0.25, 640, 480) == (0, 0, 150)
    assert square_box(Detection(600, 400, 100, 100, 0.9), 0.25, 640, 480) == (490, 330, 150)
    assert square_box(Detection(100, 0, 400, 400, 0.9), 0.25, 640, 480)[2] == 480


def test_blank_frame_is_reported_with_its_reason_and_kept_out(
    tmp_path: Path, frames: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    blank = tmp_path / "blank.png"
    write_image(blank, np.full((480, 640, 3), 127, np.uint8))
    with pytest.raises(FaceNotFoundError, match=re.escape(f"sample s1: no face detected in onset frame {blank}")):
        crop_pair("s1", blank, blank, 256, 0.25)
    table = tmp_path / "samples.tsv"
    table.write_text(
        f"subject\tsample\tonset_path\tapex_path\na\ts1\t{blank}\t{blank}\nb\ts2\t{frames[0]}\t{frames[1]}\n"
    )
    faces, report = tmp_path / "faces.tsv", tmp_path / "report.tsv"
    assert crop.faces_main(["--samples", str(table), "--out", str(faces), "--report", str(report)]) == 0
    assert (
        report.read_text().splitlines()[1]
        == f"s1\ta\t{blank}\tno_face\tsample s1: no face detected in onset frame {blank}"
    )
    assert [line.split("\t")[1] for line in faces.read_text().splitlines()[1:]] == ["s2"]
    assert capsys.readouterr().out.splitlines() == [
        f"1 samples with a face, 1 without (listed in {report})",
        f"  sample s1: no face detected in onset frame {blank}",
    ]
    frames_argv = ["frames", "--faces", str(faces), "--sample", "s1", "--size", "256", "--margin", "0.25"]
    assert cli.main([*frames_argv, "--out-dir", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == f"microau frames: error: sample s1 is not in {faces}"


def test_zero_byte_and_corrupt_images(tmp_path: Path, frames: tuple[Path, Path]) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageReadError, match=re.escape(f"{empty}: the file is empty")):
        read_image(empty)
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"this is not an image" * 10)
    with pytest.raises(ImageReadError, match=re.escape(f"{garbage}: not a decodable image")):
        read_image(garbage)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(frames[0].read_bytes()[:5000])
    with pytest.raises(ImageReadError, match=re.escape(f"{truncated}: truncated JPEG")):
        read_image(truncated)


def test_bad_frames_of_every_kind_stop_detection_naming_sample_and_file(
    tmp_path: Path, frames: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    onset = frames[0]
    empty, truncated, small = tmp_path / "empty.jpg", tmp_path / "truncated.jpg", tmp_path / "small.jpg"
    empty.write_bytes(b"")
    truncated.write_bytes(onset.read_bytes()[:5000])
    write_image(small, np.zeros((240, 320, 3), np.uint8))
    table = tmp_path / "samples.tsv"
    table.write_text(
        "subject\tsample\tonset_path\tapex_path\n"
        f"a\ts1\t{onset}\t{empty}\na\ts2\t{onset}\t{truncated}\nb\ts3\t{onset}\t{small}\n"
    )
    faces, report = tmp_path / "faces.tsv", tmp_path / "report.tsv"
    assert crop.faces_main(["--samples", str(table), "--out", str(faces), "--report", str(report)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "microau faces: error: 3 sample(s) have unreadable frames:",
        f"  sample s1: cannot read image {empty}: the file is empty (0 bytes)",
        f"  sample s2: cannot read image {truncated}: truncated JPEG (no end-of-image marker)",
        f"  sample s3: onset {onset} is 640x480 but apex {small} is 320x240",
    ]
    assert [line.split("\t")[3] for line in report.read_text().splitlines()[1:]] == ["bad_image"] * 3


def test_grayscale_frames_are_read_as_three_channels(tmp_path: Path) -> None:
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), np.zeros((10, 12), np.uint8))
    assert read_image(gray).shape == (10, 12, 3)


def test_frames_needs_the_face_table(
    tmp_path: Path, frames: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    table = write_table(tmp_path / "samples.tsv", "s3", *frames)
    argv = ["frames", "--faces", str(table), "--sample", "s3", "--size", "256", "--margin", "0.25"]
    assert cli.main([*argv, "--out-dir", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"microau frames: error: {table} lacks the column 'face_x' (write it with microau faces)"
    )


def test_a_face_under_80_pixels_is_found_on_the_image_upsampled_once() -> None:
    """The astronaut's face is about 90 px; at half size (about 45 px) dlib's HOG window misses it at
    the image's own size, and the second pass at twice the size finds it where the first found it."""
    from skimage import data

    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    detector = FaceDetector()
    full = detector.detect(photo)
    half = detector.detect(cv2.resize(photo, (256, 256), interpolation=cv2.INTER_AREA))
    assert full is not None and 80 <= full.width <= 100
    assert half is not None and half.width < 50
    centre = np.array([half.x + half.width / 2, half.y + half.height / 2]) * 2
    assert np.linalg.norm(centre - [full.x + full.width / 2, full.y + full.height / 2]) < 0.1 * full.width
    assert detector.detect(np.zeros((256, 256, 3), np.uint8)) is None


def test_the_one_report_holds_the_index_rows_and_the_faceless(tmp_path: Path, frames: tuple[Path, Path]) -> None:
    blank = tmp_path / "blank.png"
    write_image(blank, np.full((480, 640, 3), 127, np.uint8))
    table = tmp_path / "samples.tsv"
    table.write_text(
        "subject\tsample\tonset_path\tapex_path\tsource\n"
        f"a\ts1\t{blank}\t{blank}\tcodes.csv row 7\nb\ts2\t{frames[0]}\t{frames[1]}\tcodes.csv row 8\n"
    )
    index_validation = tmp_path / "index_validation.tsv"
    index_validation.write_text("sample\tproblem\taction\ns0\tcodes.csv row 2: clip videos/x.avi not found\tdropped\n")
    faces, report, validation = tmp_path / "faces.tsv", tmp_path / "report.tsv", tmp_path / "validation.tsv"
    argv = ["--samples", str(table), "--out", str(faces), "--report", str(report)]
    argv += ["--index-validation", str(index_validation), "--validation", str(validation)]
    assert crop.faces_main([*argv, "--on-missing-face", "skip"]) == 0
    assert validation.read_text().splitlines()[1:] == [
        "s0\tcodes.csv row 2: clip videos/x.avi not found\tdropped",
        f"s1\tcodes.csv row 7: no face detected in onset frame {blank}\t"
        "left out of every later stage and table (frames.on_missing_face: skip)",
    ]
    # with error the job fails after writing its tables, so Snakemake records the jobs beside it
    assert crop.faces_main([*argv, "--on-missing-face", "error"]) == 2
    assert "the run stops (frames.on_missing_face: error)" in validation.read_text()
