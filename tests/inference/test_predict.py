"""`microau predict` on a real face pair with a tiny model, its errors, and the final-model mode of training."""

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from microau.cli import main as cli_main
from microau.inference.predict import main, predict_pair
from microau.io.fold_files import PREDICTIONS_CSV, read_fold_predictions, read_model
from microau.io.landmarks_csv import read_landmarks
from microau.io.sample_table import write_rows
from microau.model.features import ClipSpec, build_cache
from microau.preprocess import crop, flow, landmarks, magnify
from microau.preprocess.chain import prepare_pair
from microau.preprocess.images import read_image
from microau.training.cli import main as train_main
from microau.training.run import train_fold
from microau.training.settings import TrainingJob
from tests.fake_releases import motion_clip
from tests.helpers import PREPROCESS, model_options, train_settings

REPO = Path(__file__).resolve().parents[2]
FAST = train_settings(epochs=2, batch_size=4, lr_drop_epoch=1)
CPU = torch.device("cpu")
AUS = [1, 2, 4, 7, 12, 14, 15, 17]
# on_missing_face and missing_apex decide which samples and frames a dataset gives, not how an
# image pair is prepared (predict finds a missing apex by motion itself)
NOT_PAIR_SETTINGS = ("on_missing_face", "missing_apex")


def astronaut_pair(root: Path, name: str, shift: float) -> tuple[Path, Path]:
    """skimage's astronaut as onset, the same photo moved by a sub-pixel shift as apex (PNG: lossless)."""
    from skimage.data import astronaut

    onset = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    warp = np.float32([[1, 0, shift], [0, 1, shift / 2]])
    apex = cv2.warpAffine(onset, warp, onset.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    root.mkdir(parents=True, exist_ok=True)
    paths = root / f"{name}_onset.png", root / f"{name}_apex.png"
    cv2.imwrite(str(paths[0]), onset)
    cv2.imwrite(str(paths[1]), apex)
    return paths


def run_stages(onset: Path, apex: Path, sample: str, root: Path) -> None:
    """The pipeline's frames, magnify, flow and landmarks commands, with the schema's settings as
    the rules pass them."""
    frames, magnify_settings, flow_settings = (PREPROCESS[key] for key in ("frames", "magnify", "flow"))
    size = str(flow_settings["image_size"])
    table = root / f"{sample}.tsv"
    table.write_text(f"sample\tonset_path\tapex_path\n{sample}\t{onset}\t{apex}\n")
    crops = root / "frames" / sample
    faces = root / f"{sample}_faces.tsv"
    assert crop.faces_main(["--samples", str(table), "--out", str(faces), "--report", str(root / "report.tsv")]) == 0
    assert (
        crop.main(
            [
                "--faces",
                str(faces),
                "--sample",
                sample,
                "--out-dir",
                str(crops),
                "--size",
                str(frames["size"]),
                "--margin",
                str(frames["margin"]),
            ]
        )
        == 0
    )
    magnified = root / "magnify" / f"{sample}.png"
    magnify_args = [
        "--onset",
        str(crops / "onset.png"),
        "--apex",
        str(crops / "apex.png"),
        "--out",
        str(magnified),
        "--method",
        magnify_settings["method"],
        "--factor",
        str(magnify_settings["factor"]),
        "--levels",
        str(magnify_settings["levels"]),
    ]
    assert magnify.main(magnify_args) == 0
    assert (
        flow.main(
            [
                "--onset",
                str(crops / "onset.png"),
                "--apex",
                str(magnified),
                "--out-npz",
                str(root / "flow" / f"{sample}.npz"),
                "--out-image",
                str(root / "flow" / f"{sample}.png"),
                "--image-size",
                size,
                "--third-channel",
                flow_settings["third_channel"],
                "--clip-px",
                str(flow_settings["clip_px"]),
                "--subtract-median" if flow_settings["subtract_median"] else "--no-subtract-median",
                *(
                    f"--{key.replace('_', '-')}={value if value is not None else 'none'}"
                    for key, value in flow_settings.items()
                    if key.startswith("tvl1_")
                ),
            ]
        )
        == 0
    )
    assert (
        landmarks.main(
            [
                "--apex",
                str(crops / "apex.png"),
                "--box",
                str(crops / "box.json"),
                "--out",
                str(root / "landmarks" / f"{sample}.csv"),
                "--method",
                PREPROCESS["landmarks"]["method"],
                "--image-size",
                size,
            ]
        )
        == 0
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    return astronaut_pair(tmp_path_factory.mktemp("pair"), "s", 0.6)


@pytest.mark.parametrize(
    "preprocess, missing",
    [
        (None, "frames, magnify, flow, landmarks"),
        ({s: PREPROCESS[s] for s in ("frames", "magnify", "flow")}, "landmarks"),
    ],
)
def test_a_model_without_its_preprocessing_settings_is_one_line_saying_retrain(
    preprocess, missing, pair, fold_model, tmp_path, capsys
):
    state = read_model(fold_model)
    state["preprocess"] = preprocess
    torch.save(state, tmp_path / "model.pt")
    assert (
        cli_main(["predict", "--onset", str(pair[0]), "--apex", str(pair[1]), "--model", str(tmp_path / "model.pt")])
        == 2
    )
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        f"microau predict: error: {tmp_path / 'model.pt'} stores no {missing} settings: it was trained by an "
        "earlier microau; retrain it with this version"
    )
    assert captured.out == ""


def test_in_process_preprocessing_equals_the_pipeline_stages(pair, tmp_path):
    run_stages(*pair, "s", tmp_path)
    prepared = prepare_pair(read_image(pair[0]), read_image(pair[1]), PREPROCESS)
    image, points = prepared.image, prepared.points
    staged = cv2.cvtColor(cv2.imread(str(tmp_path / "flow" / "s.png")), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(image, staged)
    np.testing.assert_array_equal(points, read_landmarks(tmp_path / "landmarks" / "s.csv"))


def test_predict_prints_au_probabilities_and_an_emotion(pair, fold_model, capsys):
    assert main(["--onset", str(pair[0]), "--apex", str(pair[1]), "--model", str(fold_model)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    au_lines = [line.split() for line in lines if line.startswith("AU") and not line.startswith("AU ")]
    assert [line[0] for line in au_lines] == [f"AU{au:02d}" for au in AUS]
    assert all(0.0 <= float(line[1]) <= 1.0 for line in au_lines)
    assert any(line.startswith("emotion (zero-shot, Eq. 13, AU combinations): ") for line in lines)
    assert any(line.startswith("emotion (zero-shot, Eq. 13, joined class texts): ") for line in lines)
    assert "note" not in captured.err


def test_predict_json_of_the_final_model_uses_its_stored_settings(pair, tiny_cache, tmp_path, capsys):
    stored = json.loads(json.dumps(PREPROCESS))
    stored["flow"]["clip_px"] = 2.0
    code = train_main(
        [
            "--features",
            str(tiny_cache),
            "--all-subjects",
            "--out-dir",
            str(tmp_path),
            "--settings",
            json.dumps(dataclasses.asdict(FAST)),
            "--options",
            json.dumps(model_options().as_dict()),
            "--preprocess",
            json.dumps(stored),
            "--device",
            "cpu",
            "--checkpoint-seconds",
            "0",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "model.pt", "training_set.json"]
    state = read_model(tmp_path / "model.pt")
    assert state["held_out"] is None and state["preprocess"] == stored
    capsys.readouterr()
    assert main(["--onset", str(pair[0]), "--apex", str(pair[1]), "--model", str(tmp_path / "model.pt"), "--json"]) == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert record["preprocess"] == stored and record["preprocess"]["flow"]["clip_px"] == 2.0
    assert list(record["aus"]) == [f"AU{au:02d}" for au in AUS]
    for reading in ("combinations", "joined"):
        assert record["emotion"][reading] in ("positive", "negative", "surprise")
        assert set(record["emotion_scores"][reading]) == {"positive", "negative", "surprise"}
    assert "note" not in captured.err


def test_predict_reads_two_frames_of_a_video(pair, fold_model, tmp_path, capsys):
    onset, apex = read_image(pair[0]), read_image(pair[1])
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, onset.shape[1::-1])
    for frame in (onset, onset, apex):
        writer.write(frame)
    writer.release()
    assert main(["--video", str(video), "--onset", "0", "--apex", "2", "--model", str(fold_model), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["aus"]) == len(AUS)
    assert cli_main(["predict", "--video", str(video), "--onset", "0", "--apex", "3", "--model", str(fold_model)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"microau predict: error: video {video} has 3 readable frames (0..2); frame 3 is beyond them"


def test_predict_finds_the_apex_of_a_video_from_motion(fold_model, tmp_path, capsys):
    """A clip whose face moves most at frame 7, without --onset (the first frame) and --apex."""
    frames = motion_clip(14, 7)
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    assert main(["--video", str(video), "--model", str(fold_model), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["onset"], record["apex"], record["apex_from"]) == (0, 7, "motion")
    # the apex frame kept while searching is the frame read when --apex names it
    assert main(["--video", str(video), "--onset", "0", "--apex", "7", "--model", str(fold_model), "--json"]) == 0
    given = json.loads(capsys.readouterr().out)
    assert (given["aus"], given["emotion_scores"]) == (record["aus"], record["emotion_scores"])
    assert main(["--video", str(video), "--onset", "2", "--model", str(fold_model)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"pair:   {video} frames 2 -> 7 (apex: the frame of largest motion from the onset)"


def test_fold_model_reproduces_its_own_held_out_prediction(tmp_path):
    """A pair run through the pipeline's stages, cached, trained on and held out gets the same
    probabilities and emotion scores from `predict` as the fold wrote in predictions.csv."""
    rows = []
    for k, (subject, shift) in enumerate((("subA", 0.4), ("subA", 0.8), ("subB", 0.5), ("subB", 1.0))):
        sample = f"{subject}_EP0{k}"
        onset, apex = astronaut_pair(tmp_path / "raw", sample, shift)
        run_stages(onset, apex, sample, tmp_path)
        labels = {f"AU{au:02d}": (k + au) % 2 for au in AUS}
        rows.append({"subject": subject, "sample": sample, "class3": "positive", **labels})
        rows[-1].update(onset=onset, apex=apex)
    columns = ["subject", "sample", "class3", *[f"AU{au:02d}" for au in AUS]]
    write_rows(tmp_path / "samples.tsv", columns, [{key: row[key] for key in columns} for row in rows])
    cache = tmp_path / "cache.h5"
    build_cache(
        tmp_path / "samples.tsv",
        tmp_path / "flow",
        tmp_path / "landmarks",
        ClipSpec("microau-tiny-ViT", "none"),
        2,
        AUS,
        "test",
        cache,
        CPU,
        "fp32",
    )
    train_fold(
        cache, "subB", TrainingJob(FAST, model_options(), tmp_path / "fold", CPU, 0, log=print, preprocess=PREPROCESS)
    )
    written = {r["sample"]: r for r in read_fold_predictions(tmp_path / "fold" / PREDICTIONS_CSV)}
    state = read_model(tmp_path / "fold" / "model.pt")
    for row in rows[2:]:
        prediction = predict_pair(read_image(row["onset"]), read_image(row["apex"]), state, PREPROCESS, CPU)
        expected = written[row["sample"]]
        for au, p in prediction.aus.items():
            assert p == pytest.approx(float(expected[f"{au}_prob"]), abs=2e-6)
        for reading, scores in prediction.emotion_scores.items():
            for name, score in scores.items():
                assert score == pytest.approx(float(expected[f"mer_{reading}_{name}"]), abs=2e-6)
            assert prediction.emotions[reading] == expected[f"mer_{reading}_pred"]


@pytest.mark.parametrize(
    "case", ["missing_onset", "corrupt_apex", "missing_model", "not_a_model", "missing_video", "images_without_apex"]
)
def test_bad_inputs_give_one_line_and_exit_code_2(case, pair, fold_model, tmp_path, capsys):
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    onset, apex, model = str(pair[0]), str(pair[1]), str(fold_model)
    argv, expected = {
        "missing_onset": (["--onset", str(tmp_path / "no.png"), "--apex", apex, "--model", model], "cannot read image"),
        "corrupt_apex": (["--onset", onset, "--apex", str(corrupt), "--model", model], "truncated JPEG"),
        "missing_model": (["--onset", onset, "--apex", apex, "--model", str(tmp_path / "nope.pt")], "no such file"),
        "not_a_model": (["--onset", onset, "--apex", apex, "--model", str(text)], "not a model.pt"),
        "missing_video": (
            ["--video", str(tmp_path / "nope.avi"), "--onset", "0", "--apex", "1", "--model", model],
            "cannot read video",
        ),
        "images_without_apex": (["--onset", onset, "--model", model], "without --video, --onset and --apex name two"),
    }[case]
    assert cli_main(["predict", *argv]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and err.startswith("microau predict: error: ") and expected in err
    assert captured.out == ""
