from microau.bench import bench_loso, bench_training_step, write_fake_cache
from microau.feature_cache import read_cache


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
