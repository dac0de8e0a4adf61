from microau.bench.throughput import (
    bench_config,
    bench_loso,
    bench_model_options,
    bench_train_settings,
    bench_training_step,
    write_fake_cache,
)
from microau.io.feature_cache import read_cache


def test_fake_cache_has_the_shapes_training_reads(tmp_path):
    path = write_fake_cache(tmp_path / "fake.h5", "microau-tiny-ViT", subjects=3, per_subject=2)
    data = read_cache(path)
    assert data.tokens.shape == (6, 50, 64) and data.subjects == ["sub01"] * 2 + ["sub02"] * 2 + ["sub03"] * 2
    assert data.k == 3 and data.au_tokens.shape == (6, 8, 6) and data.labels.shape == (6, 8)


def test_training_step_bench_times_both_steps_on_one_batch():
    record = bench_training_step("microau-tiny-ViT", batch=4, steps=1, device="cpu")
    assert record["cached_step_seconds"] > 0 and record["naive_step_seconds"] > 0
    assert record["speedup"] == record["naive_step_seconds"] / record["cached_step_seconds"]


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
    }
    assert mer == {
        "mer_classes": config["mer"]["classes"],
        "mer_combinations": config["datasets"]["bench"]["mer_combinations"],
    }
    assert bench_model_options(config) == ModelOptions(pooling="pta", fusion="gda", text="finetune")
    assert config["clip"]["model"] == "ViT-B-32" and config["clip"]["trainable_blocks"] == 3
