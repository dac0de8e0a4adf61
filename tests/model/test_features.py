import numpy as np
import pytest
import torch

from microau.aus import au_token_indices
from microau.cli import main as cli_main
from microau.io.feature_cache import read_cache
from microau.io.weights_record import read_weights_record, write_weights_record
from microau.model.device import cpu_has_bf16
from microau.model.features import (
    ClipSpec,
    WeightsError,
    frozen_visual_states,
    load_clip,
    weights_id,
)
from tests.helpers import AUS, TINY


def test_eq1_maps_landmarks_to_row_major_tokens_after_class_token():
    landmarks = np.zeros((68, 2), dtype=np.float32)
    landmarks[48] = (0, 0)  # top-left patch -> token 1
    landmarks[54] = (223, 223)  # bottom-right patch of a 7x7 grid -> token 49
    landmarks[[19, 20, 21, 22, 23, 24]] = [(100, 40)] * 3 + [(40, 100)] * 3
    tokens = au_token_indices(landmarks, [12, 1], 224, (7, 7))
    assert tokens[0].tolist()[:2] == [1, 49]
    # (x=100, y=40): row 1, column 3 -> 1 + 7 + 3; (x=40, y=100): row 3, column 1 -> 1 + 21 + 1.
    assert tokens[1].tolist() == [11, 23, -1, -1, -1, -1]
    assert tokens.shape == (2, 6)


def test_random_init_is_reproducible_and_named(tiny_clip):
    again = load_clip(ClipSpec(TINY, "none"))
    for a, b in zip(tiny_clip.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    assert weights_id(ClipSpec(TINY, "none")).startswith("none")


def test_frozen_states_then_tail_equal_the_full_image_encoder(tiny_clip):
    from microau.model.micro_au_clip import VisualTail

    images = torch.randn(2, 3, 224, 224)
    states = frozen_visual_states(tiny_clip, images, 2)
    tail = VisualTail(tiny_clip, 2)
    with torch.no_grad():
        assert torch.allclose(tail(states)[:, 0], tiny_clip.encode_image(images), atol=1e-5)


def test_missing_weights_file_and_unknown_tag_are_clear():
    with pytest.raises(WeightsError, match="does not exist"):
        load_clip(ClipSpec(TINY, "/nonexistent/weights.bin"))
    with pytest.raises(WeightsError, match="no tag 'nosuchtag'"):
        load_clip(ClipSpec("ViT-B-32", "nosuchtag"))


def test_uncached_tag_offline_fails_fast_naming_both_alternatives(tmp_path, monkeypatch, capsys):
    import time

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("microau.model.features._hub_reachable", lambda timeout=5.0: False)
    start = time.perf_counter()
    assert (
        cli_main(["weights", "--model", "ViT-B-32", "--pretrained", "openai", "--out", str(tmp_path / "w.json")]) == 2
    )
    assert time.perf_counter() - start < 30
    message = capsys.readouterr().err
    assert "local weights file" in message and "pretrained: none" in message


def test_weights_record_round_trips(tmp_path):
    record = {"model": TINY, "pretrained": "none", "weights": weights_id(ClipSpec(TINY, "none"))}
    write_weights_record(tmp_path / "weights" / "tiny.json", record)
    assert read_weights_record(tmp_path / "weights" / "tiny.json") == record


def test_cache_holds_tokens_indices_labels_and_provenance(tiny_cache):
    data = read_cache(tiny_cache)
    assert data.tokens.shape == (12, 50, 64) and data.tokens.dtype == np.float16
    assert data.au_tokens.shape == (12, len(AUS), 6)
    assert data.au_tokens.max() <= 49 and ((data.au_tokens >= 1) | (data.au_tokens == -1)).all()
    assert data.labels.shape == (12, len(AUS))
    assert data.k == 2 and data.encoder == TINY and data.config_hash == "testhash"
    assert data.subjects[0] == "sub01" and data.grid == (7, 7) and data.image_size == 224


def test_vit_b32_cache_read_as_training_reads_it_reproduces_open_clip_every_token(tmp_path):
    """float16 cached states -> trainable tail equal open_clip's own image path on every token:
    the class token against encode_image, each patch token against its output tokens projected."""
    import cv2

    from microau.model.features import build_cache, flow_tensor
    from microau.model.micro_au_clip import VisualTail
    from tests.helpers import write_tiny_inputs

    spec = ClipSpec("ViT-B-32", "none")
    samples = write_tiny_inputs(tmp_path, subjects=("sub01",), per_subject=3)
    cache = tmp_path / "features.h5"
    build_cache(
        samples, tmp_path / "flow", tmp_path / "landmarks", spec, 3, AUS, "testhash", cache, torch.device("cpu"), "fp32"
    )
    data = read_cache(cache)
    model = load_clip(spec)
    images = torch.stack(
        [
            flow_tensor(cv2.cvtColor(cv2.imread(str(tmp_path / "flow" / f"{s}.png")), cv2.COLOR_BGR2RGB))
            for s in data.samples
        ]
    )
    with torch.no_grad():
        ours = VisualTail(model, 3)(torch.from_numpy(data.tokens).float())
        model.visual.output_tokens = True
        pooled, patches = model.visual(images)
    reference = torch.cat([pooled[:, None], patches @ model.visual.proj], dim=1)
    assert ours.shape == reference.shape == (3, 50, 512)
    assert (ours - reference).abs().max() < 3e-3
    assert torch.nn.functional.cosine_similarity(ours, reference, dim=-1).min() > 0.9999


def test_features_refuses_more_trainable_blocks_than_the_encoder_has_in_one_line(tmp_path, capsys):
    from tests.helpers import write_tiny_inputs

    samples = write_tiny_inputs(tmp_path, subjects=("sub01",), per_subject=1)
    argv = [
        "features",
        "--samples",
        str(samples),
        "--flow-dir",
        str(tmp_path / "flow"),
        "--landmarks-dir",
        str(tmp_path / "landmarks"),
        "--model",
        TINY,
        "--pretrained",
        "none",
        "--aus",
        ",".join(map(str, AUS)),
        "--out",
        str(tmp_path / "features.h5"),
        "--device",
        "cpu",
        "--precision",
        "fp32",
    ]
    assert cli_main([*argv, "--trainable-blocks", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"microau features: error: clip.trainable_blocks must be in 1..3 for {TINY}, got 4"
    assert not (tmp_path / "features.h5").exists()
    (tmp_path / "flow" / "sub01_EP00.png").unlink()
    assert cli_main([*argv, "--trainable-blocks", "2"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"microau features: error: cannot read flow image {tmp_path / 'flow' / 'sub01_EP00.png'}"
    )


@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bfloat16")
def test_a_bf16_cache_holds_the_same_float16_states_within_bfloat16s_precision(tmp_path):
    from microau.model.features import build_cache
    from tests.helpers import write_tiny_inputs

    samples = write_tiny_inputs(tmp_path, subjects=("sub01",), per_subject=3)
    caches = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / f"{precision}.h5"
        args = (tmp_path / "flow", tmp_path / "landmarks", ClipSpec(TINY, "none"), 2, AUS, "testhash", out)
        build_cache(samples, *args, torch.device("cpu"), precision)
        caches[precision] = read_cache(out)
    fp32, bf16 = caches["fp32"].tokens, caches["bf16"].tokens
    assert fp32.dtype == bf16.dtype == np.float16 and fp32.shape == bf16.shape
    assert not np.array_equal(fp32, bf16)
    relative = np.abs(bf16.astype(np.float32) - fp32) / (np.abs(fp32).astype(np.float32).max() + 1e-6)
    assert float(relative.max()) < 0.05
