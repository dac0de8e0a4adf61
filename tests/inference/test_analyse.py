"""`microau analyse` and the Python API on clips built from a real photograph (skimage's astronaut),
with a tiny trained model: listing clips, choosing onset and apex, a failing clip, one code path."""

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

import microau
from microau.cli import main as cli_main
from microau.inference.analyse import STATUS_OK, ClipListError, find_clips, natural_key
from microau.inference.predict import PairModel
from microau.io.fold_files import read_model
from tests.helpers import AUS

AU_NAMES = [f"AU{au:02d}" for au in AUS]


def astronaut_clip(count: int = 8, peak: int = 5, amplitude_px: float = 1.5) -> list[np.ndarray]:
    """skimage's astronaut (a real photograph) whose brow region rises to `amplitude_px` at frame
    `peak` and falls back: a clip whose apex is known."""
    from skimage.data import astronaut

    base = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR).astype(np.float32)
    ys, xs = np.mgrid[0 : base.shape[0], 0 : base.shape[1]].astype(np.float32)
    bump = np.exp(-((xs - 240) ** 2 + (ys - 90) ** 2) / (2 * 40.0**2))  # the brows of the photo
    frames = []
    for index in range(count):
        level = min(index / peak, (count - 1 - index) / (count - 1 - peak))
        moved = cv2.remap(base, xs, ys + amplitude_px * level * bump, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        frames.append(np.clip(np.rint(moved), 0, 255).astype(np.uint8))
    return frames


def write_folder(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for n, frame in enumerate(frames, start=1):
        cv2.imwrite(str(folder / f"img{n}.png"), frame)  # img10 after img9: natural order
    return folder


def write_video(path: Path, frames: list[np.ndarray]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A study folder: two image-sequence clips, one video, and a clip of a blank wall (no face)."""
    root = tmp_path_factory.mktemp("study")
    frames = astronaut_clip(11, 7)
    write_folder(root / "clips" / "s01_a", frames)
    write_folder(root / "clips" / "s01_b", frames[:6])
    write_video(root / "clips" / "s02.avi", frames)
    write_folder(root / "clips" / "wall", [np.full((200, 200, 3), 128 + n, np.uint8) for n in range(4)])
    return root


@pytest.fixture(scope="module")
def analyser(fold_model):
    return microau.load_model(fold_model, device="cpu")


def test_natural_order_puts_img2_before_img10():
    assert sorted(["img10.jpg", "img2.jpg", "img1.jpg"], key=natural_key) == ["img1.jpg", "img2.jpg", "img10.jpg"]


def test_clips_are_found_in_a_folder_a_glob_and_a_listing(study, tmp_path):
    clips = {clip.id: clip for clip in find_clips([study / "clips"])}
    assert list(clips) == ["s01_a", "s01_b", "s02.avi", "wall"]
    assert [c.id for c in find_clips([str(study / "clips" / "s01_*")])] == ["s01_a", "s01_b"]
    assert [c.id for c in find_clips([study / "clips" / "s01_a"])] == ["s01_a"]  # a folder of images is one clip
    listing = tmp_path / "clips.csv"
    listing.write_text(f"clip,id,onset,apex\n{study / 'clips' / 's01_a'},first,img1.png,\nother/x.avi,,2,5\n")
    first, second = find_clips([listing])
    assert (first.id, first.onset, first.apex) == ("first", "img1.png", None)
    assert (second.id, second.path, second.onset, second.apex) == ("x.avi", tmp_path / "other" / "x.avi", "2", "5")
    listing.write_text("video,apex\nx.avi,3\n")
    with pytest.raises(ClipListError, match=r"clips.csv has no 'clip' column \(columns: video, apex\)"):
        find_clips([listing])
    with pytest.raises(ClipListError, match="matches no video"):
        find_clips([str(tmp_path / "nothing*")])


def test_two_participants_interviews_are_keyed_by_their_path_below_the_common_folder(tmp_path):
    """Every per-clip output (row, review entry, export) is keyed by the clip id: two `interview.mp4` of
    per-participant folders, given one by one or by a glob, get `p01/interview.mp4` and `p02/...`."""
    videos = [tmp_path / "videos" / p / "interview.mp4" for p in ("p01", "p02")]
    for video in videos:
        video.parent.mkdir(parents=True)
        video.write_bytes(b"")
    keys = ["p01/interview.mp4", "p02/interview.mp4"]
    assert [c.id for c in find_clips(videos)] == keys
    assert [c.id for c in find_clips([str(tmp_path / "videos" / "*" / "interview.mp4")])] == keys
    assert [c.id for c in find_clips(videos[:1])] == ["interview.mp4"]
    with pytest.raises(ClipListError, match="interview.mp4 are named twice: give each source once"):
        find_clips([videos[0], videos[0]])


def test_the_api_analyses_many_clips_one_row_each_and_a_faceless_clip_gets_its_reason(analyser, study):
    table = analyser.analyse_many([study / "clips"])
    assert isinstance(table, pd.DataFrame) and list(table["clip"]) == ["s01_a", "s01_b", "s02.avi", "wall"]
    rows = table.set_index("clip")
    assert list(rows["status"][:3]) == [STATUS_OK] * 3
    assert rows.loc["wall", "status"] == f"no face detected in frame 0 of image folder {study / 'clips' / 'wall'}"
    assert rows.loc["wall", ["AU01_prob", "mer_joined_pred"]].isna().all()
    # the apex of largest motion: frame 7 of the folder (img8.png) and of the video; s01_b ends at 5
    assert (rows.loc["s01_a", "apex"], rows.loc["s01_a", "apex_file"], rows.loc["s01_a", "apex_from"]) == (
        7,
        "img8.png",
        "motion",
    )
    assert (rows.loc["s02.avi", "apex"], rows.loc["s02.avi", "kind"]) == (7, "video")
    assert (rows.loc["s01_b", "onset"], rows.loc["s01_b", "onset_from"], rows.loc["s01_b", "apex"]) == (
        0,
        "first frame",
        5,
    )
    for au in AU_NAMES:
        assert rows.loc["s01_a", f"{au}_on"] == int(rows.loc["s01_a", f"{au}_prob"] > 0.5)
    for reading in ("combinations", "joined"):
        scores = rows.loc["s01_a", [f"mer_{reading}_{c}" for c in ("positive", "negative", "surprise")]]
        assert rows.loc["s01_a", f"mer_{reading}_pred"] == scores.astype(float).idxmax().split("_")[-1]


def test_one_clip_with_a_given_pair_equals_the_single_pair_prediction(analyser, study, fold_model):
    from microau.inference.predict import stored_preprocessing
    from microau.preprocess.images import read_image

    one = analyser.analyse(study / "clips" / "s01_a", onset="img1.png", apex=3).iloc[0]
    assert (one["onset"], one["onset_from"], one["apex"], one["apex_file"], one["apex_from"]) == (
        0,
        "given",
        3,
        "img4.png",
        "given",
    )
    state = read_model(fold_model)
    folder = study / "clips" / "s01_a"
    direct = PairModel(state, stored_preprocessing(state, fold_model), torch.device("cpu")).predict(
        read_image(folder / "img1.png"), read_image(folder / "img4.png")
    )
    assert [one[f"{au}_prob"] for au in AU_NAMES] == pytest.approx(list(direct.aus.values()), abs=1e-6)


def test_a_clip_too_short_for_its_apex_fails_alone(analyser, study):
    table = analyser.analyse_many([study / "clips" / "s01_b"])
    assert table["status"][0] == STATUS_OK
    faceless = analyser.analyse(study / "clips" / "wall")
    assert list(faceless.columns) == list(table.columns)  # every column, though no clip had scores
    short = analyser.analyse(study / "clips" / "s01_b", apex=9)
    assert (
        short["status"][0]
        == f"image folder {study / 'clips' / 's01_b'} has 6 readable frames (0..5); frame 9 is beyond them"
    )


def test_the_cli_writes_the_same_csv_with_progress(analyser, study, fold_model, tmp_path, capsys):
    out = tmp_path / "clips.csv"
    assert cli_main(["analyse", str(study / "clips"), "--model", str(fold_model), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "[4/4] wall: no face detected" in err and "analysed 3 of 4 clip(s)" in err
    written = pd.read_csv(out)
    expected = analyser.analyse_many([study / "clips"])
    assert list(written.columns) == list(expected.columns)
    assert written["AU01_prob"].tolist()[:3] == pytest.approx(expected["AU01_prob"].tolist()[:3], abs=1e-6)
    assert list(written["status"]) == list(expected["status"])


def test_a_wrong_listing_stops_before_the_model_is_loaded(tmp_path, capsys):
    listing = tmp_path / "clips.csv"
    listing.write_text("clip,apex,mood\nx.avi,3,happy\n")
    model = tmp_path / "not_read.pt"  # not there: the listing is checked first
    assert cli_main(["analyse", str(listing), "--model", str(model), "--out", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"microau analyse: error: {listing}: unknown column(s) mood "
        "(known: clip, id, onset, apex, offset, subject, emotion)\n"
    )


def test_clips_prepared_by_two_jobs_give_the_csv_of_one_job_byte_for_byte(study, fold_model, tmp_path):
    import filecmp

    argv = ["analyse", str(study / "clips"), "--model", str(fold_model), "--quiet"]
    assert cli_main([*argv, "--out", str(tmp_path / "one.csv"), "--jobs", "1"]) == 0
    assert cli_main([*argv, "--out", str(tmp_path / "two.csv"), "--jobs", "2"]) == 0
    assert filecmp.cmp(tmp_path / "one.csv", tmp_path / "two.csv", shallow=False)
    assert "seconds" not in pd.read_csv(tmp_path / "one.csv").columns  # no timing: a rerun gives the same file


def test_an_apex_before_the_onset_or_an_offset_before_the_apex_is_the_clips_status(analyser, study, tmp_path):
    folder = study / "clips" / "s01_a"
    listing = tmp_path / "clips.csv"
    listing.write_text(
        f"clip,id,onset,apex,offset\n{folder},early,5,2,\n{folder},late,1,6,4\n{folder},before,5,,3\n{folder},fine,1,6,8\n"
    )
    rows = analyser.analyse_many([listing], jobs=1).set_index("clip")
    source = f"image folder {folder}"
    assert rows.loc["early", "status"] == f"apex 2 is before onset 5 of {source}"
    assert rows.loc["late", "status"] == f"offset 4 is before apex 6 of {source}"
    assert rows.loc["before", "status"] == f"offset 3 is before onset 5 of {source}"
    assert rows.loc["fine", "status"] == STATUS_OK
    assert rows.loc[["early", "late", "before"], "AU01_prob"].isna().all()


def test_a_coders_eaf_at_an_export_path_stops_analyse_before_the_model_is_loaded(tmp_path, capsys):
    videos = [tmp_path / "videos" / p / "interview.mp4" for p in ("p01", "p02")]
    for video in videos:
        video.parent.mkdir(parents=True)
        video.write_bytes(b"")
    coded = tmp_path / "eaf" / "p02" / "interview.eaf"  # where p02's export would go
    coded.parent.mkdir(parents=True)
    coded.write_text("<ANNOTATION_DOCUMENT AUTHOR='coder'/>")
    model = tmp_path / "not_read.pt"
    argv = ["analyse", *map(str, videos), "--model", str(model), "--out", str(tmp_path / "out.csv")]
    assert cli_main([*argv, "--eaf-dir", str(tmp_path / "eaf")]) == 2
    assert capsys.readouterr().err == (
        f"microau analyse: error: --eaf-dir: {coded} exists and is not an export of microau's as microau wrote it "
        "(a coder's file, or an export edited since); it is never replaced: give the export another name or folder\n"
    )
    assert coded.read_text() == "<ANNOTATION_DOCUMENT AUTHOR='coder'/>"
