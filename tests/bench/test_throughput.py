from plotly.offline import get_plotlyjs

from microau.bench.throughput import (
    bench_config,
    bench_loso,
    bench_model_options,
    bench_pages,
    bench_train_settings,
    bench_training_step,
    bench_tvl1,
    write_fake_cache,
)
from microau.inference.review import script_name
from microau.io.feature_cache import read_cache
from microau.model.device import cpu_has_bf16


def test_fake_cache_has_the_shapes_training_reads(tmp_path):
    path = write_fake_cache(tmp_path / "fake.h5", "microau-tiny-ViT", subjects=3, per_subject=2)
    data = read_cache(path)
    assert data.tokens.shape == (6, 50, 64) and data.subjects == ["sub01"] * 2 + ["sub02"] * 2 + ["sub03"] * 2
    assert data.k == 3 and data.au_tokens.shape == (6, 8, 6) and data.labels.shape == (6, 8)


def test_training_step_bench_times_both_steps_on_one_batch_and_each_precision_the_cpu_has():
    record = bench_training_step("microau-tiny-ViT", batch=4, steps=1, device="cpu")
    assert record["cached_step_seconds"] > 0 and record["naive_step_seconds"] > 0
    assert record["speedup"] == record["naive_step_seconds"] / record["cached_step_seconds"]
    timed = record["cached_step_cpu_seconds_by_precision"]
    assert list(timed) == (["fp32", "bf16"] if cpu_has_bf16() else ["fp32"])  # fp16 needs a GPU
    assert record["cpu_speedup_over_fp32"]["fp32"] == 1.0 and all(seconds > 0 for seconds in timed.values())


def test_pages_bench_counts_one_script_for_pages_that_share_it(tmp_path):
    record = bench_pages(tmp_path, pages=3)
    script = len(get_plotlyjs().encode())
    assert record["self_contained_bytes"] > 3 * script
    assert script < record["shared_script_bytes"] < script + 3 * 100_000
    assert record["files_shared"] == ["page0.html", "page1.html", "page2.html", script_name()]


def test_tvl1_bench_scores_every_setting_on_the_known_answer_of_the_photographs_it_has(tmp_path, monkeypatch):
    from microau.bench import flow_warps, throughput

    real_clip_pairs = flow_warps.clip_pairs
    monkeypatch.setattr(flow_warps, "DEVELOPMENT", ())
    monkeypatch.setattr(flow_warps, "HELD_OUT", (flow_warps.Case("astronaut", "lip_corners", 1.0, "lab"),))
    monkeypatch.setattr(flow_warps, "clip_pairs", lambda settings, work: real_clip_pairs(settings, work, 1))
    monkeypatch.setattr(throughput, "TVL1_TRIALS", {"warps 1": {"warps": 1}, "start dis": {"start": "dis"}})
    monkeypatch.setattr(throughput, "TVL1_HELD_OUT", ("start dis",))
    record = bench_tvl1(tmp_path, None, held_out=True)
    assert record["development_cases"] == [] and record["held_out_cases"] == ["astronaut/lip_corners/1px/lab"]
    trials = record["development_clip_pairs"]
    assert list(trials) == ["OpenCV's defaults", "the config's", "warps 1", "start dis"]
    assert list(record["held_out"]) == ["OpenCV's defaults", "the config's", "start dis"]
    assert trials["warps 1"]["settings"]["warps"] == 1
    assert trials["OpenCV's defaults"]["cpu_ratio_to_opencv_defaults"] == 1
    for scored in (trials["OpenCV's defaults"], record["held_out"]["the config's"], record["held_out"]["start dis"]):
        assert 0 < scored["raw_epe_moving_px"] < 0.5 and 0 < scored["magnified_epe_crop_px"] < 1


def test_loso_bench_runs_every_fold(tmp_path):
    record = bench_loso(tmp_path, "microau-tiny-ViT", subjects=2, per_subject=3, epochs=1, device="cpu")
    assert record["samples"] == 6 and record["wall_seconds"] > 0
    assert sorted(p.name for p in (tmp_path / "loso").iterdir()) == ["0", "1"]


def test_bench_times_the_schema_defaults():
    from microau.model.micro_au_clip import ModelOptions

    config = bench_config()
    settings = bench_train_settings(config, epochs=2, lr_drop_epoch=1)
    mer = {key: settings.pop(key) for key in ("mer_classes", "mer_combinations")}
    assert settings == {
        "epochs": 2,
        "batch_size": 8,
        "lr_drop_epoch": 1,
        "alpha": 0.6,
        "beta": 1.0,
        "seed": 1,
        "momentum": 0.0,
        "lr_encoder": 0.001,
        "lr_head": 0.01,
        "temperature": "model",
        "contrastive": "miaucl",
        "label_matrix_target": "raw",
        "precision": "fp32",
    }
    assert mer == {
        "mer_classes": config["mer"]["classes"],
        "mer_combinations": config["datasets"]["bench"]["mer_combinations"],
    }
    assert bench_model_options(config) == ModelOptions(pooling="pta", fusion="gda", text="finetune")
    assert config["clip"]["model"] == "ViT-B-32" and config["clip"]["trainable_blocks"] == 3
