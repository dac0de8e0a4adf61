import dataclasses
from pathlib import Path

import pytest
import yaml

from microau.errors import MicroauError
from microau.plan import results as paths
from microau.plan import workflow as plan
from microau.plan.config import SCHEMA_PATH, load_config, load_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA = load_schema(SCHEMA_PATH)


def shipped(**changes) -> dict:
    """The repository's config.yaml, loaded, with top-level sections replaced by `changes`."""
    raw = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return load_config({**raw, **changes}, SCHEMA)


def tiny() -> dict:
    return load_config(yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text()), SCHEMA)


def test_plan_errors_are_errors_a_user_can_fix():
    assert issubclass(plan.PlanError, MicroauError)


def test_seeds_start_with_train_seed_and_name_each_seed_once():
    assert plan.seeds(shipped(train={"seed": 3, "seeds": [1, 3, 2]})) == [3, 1, 2]
    assert plan.seeds(shipped()) == [1]


def test_every_seed_has_its_own_run_folder():
    assert plan.run_dir("casme2", "no_cl", 1) == "results/train/casme2/no_cl/seed1"
    config = shipped(variant="no_cl", train={"seed": 4})
    assert plan.main_run_files(config, "samm", ["s1", "s2"], paths.TRAIN_HISTORY) == [
        "results/train/samm/no_cl/seed4/s1/history.csv",
        "results/train/samm/no_cl/seed4/s2/history.csv",
    ]


def test_variant_spec_fills_alpha_and_beta_from_the_dataset():
    config = shipped()
    assert plan.variant_spec(config, "samm", "no_cl") == {
        "pooling": "pta",
        "fusion": "gda",
        "text": "finetune",
        "contrastive": "none",
        "alpha": 1.0,
        "beta": 0.6,
    }
    assert plan.variant_spec(config, "samm", "alpha_0.2")["alpha"] == 0.2


def test_a_variant_with_the_same_settings_reuses_the_earlier_variants_folds():
    config = shipped()
    assert plan.trained_as(config, "synthetic", "alpha_0.6") == "add_mlp"
    assert plan.trained_as(config, "synthetic", "beta_1.0") == "micro_au_clip"
    assert plan.trained_as(config, "samm", "alpha_1.0") == "add_mlp"
    assert plan.trained_as(config, "samm", "alpha_0.6") == "alpha_0.6"
    assert plan.trained_as(config, "samm", "no_cl") == "no_cl"


def test_the_main_variant_owns_its_settings_wherever_it_stands_in_config_order():
    config = shipped(variants={"a_copy": {}, "micro_au_clip": {}})
    assert plan.trained_as(config, "synthetic", "a_copy") == "micro_au_clip"


def test_train_settings_give_every_train_settings_field_from_dataset_variant_and_seed():
    from microau.training.settings import TrainSettings

    config = shipped(train={"momentum": 0.8, "threads": 4})
    settings = plan.train_settings(config, "samm", "no_cl", 7)
    assert set(settings) == {field.name for field in dataclasses.fields(TrainSettings)}
    assert (settings["epochs"], settings["batch_size"], settings["lr_drop_epoch"]) == (80, 8, 40)
    assert (settings["alpha"], settings["beta"], settings["contrastive"], settings["seed"]) == (1.0, 0.6, "none", 7)
    assert settings["momentum"] == 0.8 and "device" not in settings and "threads" not in settings
    assert settings["mer_classes"] == config["mer"]["classes"]
    assert settings["mer_combinations"] == config["datasets"]["samm"]["mer_combinations"]
    TrainSettings(**settings)


def test_a_datasets_own_optimiser_settings_go_over_the_shared_ones_for_that_dataset_only():
    config = shipped(train={"momentum": 0.0, "lr_head": 0.01})
    config["datasets"]["synthetic"]["train"] = {"lr_head": 0.05}
    assert plan.train_settings(config, "synthetic", "micro_au_clip", 1)["lr_head"] == 0.05
    assert plan.train_settings(config, "synthetic", "micro_au_clip", 1)["momentum"] == 0.0
    assert plan.train_settings(config, "casme2", "micro_au_clip", 1)["lr_head"] == 0.01


def test_model_options_are_the_variants_model_keys():
    assert plan.model_options(shipped(), "casme2", "meanpool") == {
        "pooling": "mean",
        "fusion": "add_mlp",
        "text": "finetune",
    }


def test_preprocess_settings_are_the_four_preprocessing_sections():
    config = shipped()
    assert plan.preprocess_settings(config) == {s: config[s] for s in ("frames", "magnify", "flow", "landmarks")}


def test_shipped_config_runs_the_demo_on_a_random_encoder_and_real_datasets_on_openai_weights():
    config = shipped()
    assert plan.dataset_clip(config, "synthetic") == {"model": "ViT-B-32", "pretrained": "none", "trainable_blocks": 3}
    for name in ("casme2", "samm", "casme3"):
        assert plan.dataset_clip(config, name)["pretrained"] == "openai"
    assert plan.encoder_id(plan.dataset_clip(config, "synthetic")) == "ViT-B-32__none"
    assert plan.encoder_id(plan.dataset_clip(config, "samm")) == "ViT-B-32__openai"
    assert (
        plan.encoder_id({"model": "ViT-B-32", "pretrained": "/w/open_clip_model.bin"})
        == "ViT-B-32__file-open_clip_model"
    )


def test_encoders_in_use_and_the_errors_naming_an_encoder_no_dataset_uses():
    config = shipped()
    assert set(plan.encoders(config)) == {"ViT-B-32__none", "ViT-B-32__openai"}
    assert plan.encoder_clip(config, "ViT-B-32__openai")["pretrained"] == "openai"
    with pytest.raises(
        plan.PlanError,
        match=r"no dataset in config.yaml uses the encoder 'RN50__openai' "
        r"\(in use: ViT-B-32__none, ViT-B-32__openai\)",
    ):
        plan.encoder_clip(config, "RN50__openai")
    assert plan.features_clip(config, "samm", "ViT-B-32__openai")["model"] == "ViT-B-32"
    with pytest.raises(
        plan.PlanError,
        match=r"dataset 'samm' uses the encoder 'ViT-B-32__openai', not "
        r"'ViT-B-32__none' \(set datasets.samm.clip in config.yaml\)",
    ):
        plan.features_clip(config, "samm", "ViT-B-32__none")


def test_features_hash_follows_preprocessing_and_encoder_but_not_training():
    config = shipped()
    base = plan.features_hash(config, "casme2")
    assert plan.features_hash(shipped(train={"momentum": 0.5}), "casme2") == base
    assert plan.features_hash(shipped(flow={"clip_px": 2.0}), "casme2") != base
    # the landmarks place each AU's tokens: another landmark method is another cache
    assert plan.features_hash(shipped(landmarks={"method": "mediapipe"}), "casme2") != base
    assert plan.features_hash(config, "synthetic") != base
    assert len(base) == 12


def test_config_hash_follows_every_section():
    base = plan.config_hash(shipped())
    assert plan.config_hash(shipped()) == base and len(base) == 12
    assert plan.config_hash(shipped(train={"momentum": 0.5})) != base
    assert plan.config_hash(shipped(report={"au": 2})) != base


def test_release_root_is_the_generated_release_or_the_users_copy():
    config = shipped()
    assert plan.release_root(config, "synthetic") == "results/synthetic/release"
    assert plan.release_root(tiny(), "synthetic") == "results/synthetic/release"
    with pytest.raises(plan.PlanError) as error:
        plan.release_root(config, "casme2")
    assert str(error.value) == (
        "dataset 'casme2' has no data folder: set datasets.casme2.root in config.yaml "
        "(or --config 'datasets={casme2: {root: /path/to/release}}') to your licensed copy"
    )
    config["datasets"]["casme2"]["root"] = "/data/CASME II"
    assert plan.release_root(config, "casme2") == "/data/CASME II"


def test_any_dataset_may_be_generated_each_into_its_own_folder():
    raw = yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text())
    raw["datasets"]["second"] = dict(raw["datasets"]["synthetic"])
    config = load_config(raw, SCHEMA)
    assert plan.release_root(config, "second") == "results/second/release"
    assert plan.run_benchmarks(config, "second", [])[0] == "results/benchmarks/synthesize/second.tsv"


def test_index_options_pass_class3_always_and_the_coding_file_when_set():
    config = shipped()
    assert plan.index_options(config, "synthetic") == (
        '--class3 \'{"positive": ["happiness"], "negative": ["disgust", "repression"], "surprise": ["surprise"]}\''
    )
    config["datasets"]["samm"]["coding_file"] = "my codes.xlsx"
    assert plan.index_options(config, "samm") == (
        '--class3 \'{"positive": ["happiness"], "negative": ["anger", "contempt", "disgust", "fear", "sadness"], '
        '"surprise": ["surprise"]}\' --coding-file \'my codes.xlsx\''
    )


def test_bootstrap_options_are_the_evaluate_section_as_flags():
    assert plan.bootstrap_options(shipped()) == "--resamples 1000 --resample-seed 0 --confidence 0.95"


def test_report_au_falls_back_to_the_datasets_first_au():
    assert plan.report_au(shipped(), "casme2") == 1
    assert plan.report_au(shipped(), "samm") == 2


def test_run_benchmarks_list_synthesis_only_for_a_generated_release():
    assert plan.run_benchmarks(tiny(), "synthetic", ["sub01", "sub02"]) == [
        "results/benchmarks/synthesize/synthetic.tsv",
        "results/benchmarks/features/synthetic/microau-tiny-ViT__none.tsv",
        "results/benchmarks/train/synthetic/micro_au_clip/seed1/sub01.tsv",
        "results/benchmarks/train/synthetic/micro_au_clip/seed1/sub02.tsv",
    ]
    assert plan.run_benchmarks(shipped(), "samm", ["a"]) == [
        "results/benchmarks/features/samm/ViT-B-32__openai.tsv",
        "results/benchmarks/train/samm/micro_au_clip/seed1/a.tsv",
    ]


def test_ablation_runs_name_the_trained_variant_and_a_folder_per_seed():
    config = shipped(train={"seeds": [2]})
    runs = plan.ablation_runs(config, "synthetic", "IV")
    assert runs["alpha_0.6"] == {
        "trained_as": "add_mlp",
        "seeds": {1: "results/train/synthetic/add_mlp/seed1", 2: "results/train/synthetic/add_mlp/seed2"},
    }
    inputs = plan.ablation_inputs(config, "synthetic", "IV", ["a"])
    assert inputs.count("results/train/synthetic/add_mlp/seed2/a/history.csv") == 1
    assert len(inputs) == 5 * 2 * 2  # five distinct trained variants (alpha_0.6 is add_mlp), two seeds, two files


def test_ablation_runs_name_a_missing_paper_variant():
    with pytest.raises(plan.PlanError, match="ablation table II needs the variant 'lsi_only': add it under variants"):
        plan.ablation_runs(shipped(variants={"micro_au_clip": {}}), "synthetic", "II")


def protocols() -> dict:
    """Two generated datasets (CASME II's and SAMM's layout), a composite of both, both crosses."""
    return load_config(yaml.safe_load((REPO / "tests" / "data" / "protocols_config.yaml").read_text()), SCHEMA)


def test_a_generated_dataset_overrides_the_synthetic_sizes():
    config = protocols()
    assert plan.synthetic_settings(config, "demo") == {"seed": 3, "subjects": 3, "samples_per_subject": 4}
    assert plan.synthetic_settings(config, "sammsyn") == {"seed": 5, "subjects": 4, "samples_per_subject": 4}


def test_protocols_read_each_datasets_own_cache_and_train_on_the_shared_aus():
    config = protocols()
    assert plan.protocol_features(config, ["demo", "sammsyn"]) == [
        "results/features/demo/microau-tiny-ViT__none.h5",
        "results/features/sammsyn/microau-tiny-ViT__none.h5",
    ]
    assert plan.protocol_features(config, ["demo"]) == [plan.features_path(config, "demo")]
    assert plan.protocol_train_flags(config, ["sammsyn", "demo"]) == "--datasets sammsyn demo --aus 2,4,7,12"


def test_composite_folds_are_one_per_subject_of_each_dataset_never_merged():
    config = protocols()
    subjects = {"demo": ["sub01", "sub02"], "sammsyn": ["006"]}
    assert plan.composite_run_files(config, "demo+sammsyn", subjects, paths.COMPOSITE_PREDICTIONS) == [
        "results/train/composite/demo+sammsyn/micro_au_clip/seed1/demo/sub01/predictions.csv",
        "results/train/composite/demo+sammsyn/micro_au_clip/seed1/demo/sub02/predictions.csv",
        "results/train/composite/demo+sammsyn/micro_au_clip/seed1/sammsyn/006/predictions.csv",
    ]
    with pytest.raises(plan.PlanError, match="no composite 'demo\\+samm' under composites"):
        plan.composite_datasets(config, "demo+samm")


def test_cross_runs_are_named_train_to_test_and_must_be_listed():
    config = protocols()
    assert plan.cross_run_file(config, "demo", "sammsyn", paths.CROSS_TRAINING_SET) == (
        "results/train/cross/demo_to_sammsyn/micro_au_clip/seed1/training_set.json"
    )
    with pytest.raises(plan.PlanError, match="no entry {train: sammsyn, test: sammsyn}"):
        plan.cross_run_file(config, "sammsyn", "sammsyn", paths.CROSS_PREDICTIONS)
    assert plan.cross_split(config, "demo", "sammsyn") == (
        "--datasets demo sammsyn --aus 2,4,7,12 --held-out-dataset sammsyn"
    )
    assert plan.cross_pair(config, "sammsyn", "demo") == ["sammsyn", "demo"]
    with pytest.raises(plan.PlanError, match="no entry {train: demo, test: demo}"):
        plan.cross_pair(config, "demo", "demo")


def test_protocol_settings_take_the_schedule_of_one_dataset_and_the_mer_texts_of_the_tested_one():
    raw = yaml.safe_load((REPO / "tests" / "data" / "protocols_config.yaml").read_text())
    raw["datasets"]["sammsyn"].update(
        epochs=5, mer_combinations={"positive": [[12]], "negative": [[4]], "surprise": [[2]]}
    )
    raw["composites"]["demo+sammsyn"]["schedule"] = "sammsyn"
    config = load_config(raw, SCHEMA)
    assert plan.composite_schedule(config, "demo+sammsyn") == "sammsyn"
    settings = plan.protocol_settings(config, "sammsyn", "demo", "micro_au_clip", 1)
    assert settings["epochs"] == 5
    assert settings["mer_combinations"] == config["datasets"]["demo"]["mer_combinations"]
    assert plan.protocol_settings(config, "demo", "sammsyn", "micro_au_clip", 1)["mer_combinations"] == {
        "positive": [[12]],
        "negative": [[4]],
        "surprise": [[2]],
    }
    assert plan.composite_schedule(protocols(), "demo+sammsyn") == "demo"


def test_reference_options_name_each_tested_datasets_own_loso_run():
    config = protocols()
    assert plan.reference_options(config, ["demo", "sammsyn"], {"demo": ["sub01"], "sammsyn": ["006", "007"]}) == (
        "--reference demo results/train/demo/micro_au_clip/seed1/sub01/predictions.csv "
        "--reference sammsyn results/train/sammsyn/micro_au_clip/seed1/006/predictions.csv "
        "results/train/sammsyn/micro_au_clip/seed1/007/predictions.csv"
    )


def test_protocol_tables_list_every_composite_and_cross_entry():
    assert plan.protocol_tables(protocols()) == [
        "results/composite_demo+sammsyn_table.csv",
        "results/composite_demo+sammsyn_mer_table.csv",
        "results/cross_demo_to_sammsyn_table.csv",
        "results/cross_demo_to_sammsyn_mer_table.csv",
        "results/cross_sammsyn_to_demo_table.csv",
        "results/cross_sammsyn_to_demo_mer_table.csv",
    ]
    assert plan.protocol_tables(tiny()) == []


def spotting_config(**datasets) -> dict:
    return load_config(
        {"targets": [], "datasets": {}, "spotting_datasets": datasets, "spotting_targets": list(datasets)},
        load_schema(SCHEMA_PATH),
    )


def test_spotting_release_root_kinds_and_options():
    config = spotting_config(
        syn={"reader": "synthetic_long"},
        cas={"reader": "casme_sq", "root": "/data/CAS(ME)^2", "coding_file": "c.xlsx"},
        samm={"reader": "samm_lv"},
    )
    assert plan.spotting_release_root(config, "syn") == "results/spotting/syn/release"
    assert plan.spotting_release_root(config, "cas") == "/data/CAS(ME)^2"
    with pytest.raises(plan.PlanError, match="spotting_datasets.samm.root"):
        plan.spotting_release_root(config, "samm")
    assert plan.spotting_kinds(config, "syn") == ["micro"]
    assert plan.spotting_kinds(config, "cas") == ["micro", "macro"]
    assert plan.spot_index_options(config, "cas") == "--coding-file 'c.xlsx'"
    assert plan.spot_index_options(config, "syn") == ""
    assert '"half_length_s": 0.2' in plan.spotting_settings_json(config)


def test_the_recogniser_of_a_release_of_the_models_own_people_held_its_subject_out():
    config = shipped(spotting_model="samm", spotting_targets=["samm_lv"])
    run = "micro_au_clip/seed1"
    assert plan.recognises_held_out(config, "samm_lv") and not plan.recognises_held_out(config, "casme_sq")
    assert plan.recogniser_files(config, "samm_lv", "006", ["006", "007"]) == {
        "model": f"results/train/samm/{run}/006/model.pt",
        "training_set": f"results/train/samm/{run}/006/training_set.json",
    }
    # a subject the AU dataset does not hold: its final model never saw them
    assert (
        plan.recogniser_files(config, "samm_lv", "036", ["006", "007"])["model"] == f"results/final/samm/{run}/model.pt"
    )
    # another release's people: the final model
    assert plan.recogniser_files(config, "casme_sq", "s15", [])["training_set"] == (
        f"results/final/samm/{run}/training_set.json"
    )
    assert plan.spotting_recognition_options(config, "samm_lv").endswith("--reading combinations --same-people")
    assert not plan.spotting_recognition_options(config, "casme_sq").endswith("--same-people")
    assert plan.recogniser_files(shipped(spotting_model="/models/m.pt"), "samm_lv", "006", []) == {
        "model": "/models/m.pt"
    }


def test_a_release_of_the_models_people_must_share_its_subject_names():
    config = shipped(spotting_model="samm", spotting_targets=["samm_lv"])
    plan.check_shared_subjects(config, "samm_lv", ["006", "036"], ["006", "007"])
    with pytest.raises(plan.PlanError, match=r"spotting_datasets.samm_lv.subjects_of': none of its subjects \(6, 7"):
        plan.check_shared_subjects(config, "samm_lv", ["6", "7"], ["006", "007"])
    plan.check_shared_subjects(config, "casme_sq", ["s15"], ["006"])  # not linked: nothing to check


def test_spotting_targets_must_name_a_spotting_dataset():
    from microau.plan.config import ConfigError

    with pytest.raises(ConfigError, match="spotting_targets names 'x'"):
        load_config({"targets": [], "spotting_targets": ["x"]}, load_schema(SCHEMA_PATH))
    with pytest.raises(ConfigError, match="synthetic_long release is written by the pipeline"):
        spotting_config(syn={"reader": "synthetic_long", "root": "/somewhere"})


def test_the_real_datasets_train_with_the_papers_plain_sgd_and_the_weights_own_temperature():
    config = shipped()
    for dataset in ("casme2", "samm", "casme3"):
        settings = plan.train_settings(config, dataset, "micro_au_clip", 1)
        assert (settings["momentum"], settings["lr_encoder"], settings["lr_head"]) == (0.0, 0.001, 0.01), dataset
        assert settings["temperature"] == "model" and (settings["epochs"], settings["lr_drop_epoch"]) == (80, 40)
    assert plan.model_options(config, "casme2", "add_mlp")["fusion"] == "add_mlp"


def test_the_paper_figures_go_beside_a_real_copy_by_its_reader_not_its_name():
    raw = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    datasets = {
        "lab_casme2": {**raw["datasets"]["casme2"], "root": "/data/CASME2"},
        "samm": {**raw["datasets"]["samm"], "root": "/data/SAMM"},
        "synthetic": raw["datasets"]["synthetic"],
    }
    config = load_config({**raw, "datasets": datasets, "targets": ["lab_casme2"]}, SCHEMA)
    assert plan.paper_dataset_option(config, "lab_casme2") == "--paper-dataset casme2"
    assert plan.paper_dataset_option(config, "samm") == "--paper-dataset samm"
    assert plan.paper_dataset_option(config, "synthetic") == ""  # generated in CASME II's layout: no real copy


def test_an_index_job_reads_the_generated_release_or_nothing_for_a_named_copy():
    assert plan.index_inputs(tiny(), "synthetic") == ["results/synthetic/release"]
    config = shipped()
    with pytest.raises(plan.PlanError, match="datasets.casme2.root"):
        plan.index_inputs(config, "casme2")
    config["datasets"]["casme2"]["root"] = "/data/CASME II"
    assert plan.index_inputs(config, "casme2") == []


def test_a_spot_index_job_reads_the_generated_record_or_nothing_for_a_named_copy():
    config = spotting_config(
        syn={"reader": "synthetic_long"}, cas={"reader": "casme_sq", "root": "/d"}, samm={"reader": "samm_lv"}
    )
    assert plan.long_release_generated(config, "syn") and not plan.long_release_generated(config, "cas")
    assert plan.spot_index_inputs(config, "syn") == ["results/spotting/syn/release/synthesis.json"]
    assert plan.spot_index_inputs(config, "cas") == []
    with pytest.raises(plan.PlanError, match="spotting_datasets.samm.root"):
        plan.spot_index_inputs(config, "samm")


def test_samples_without_a_face_stop_the_run_or_are_left_out_with_a_warning():
    missing = [{"reason": "sub01/EP01: no face in onset frame"}]
    config = tiny()
    assert config["frames"]["on_missing_face"] == "error"
    assert plan.missing_faces(config, "synthetic", [], "r.tsv") == ""
    with pytest.raises(plan.PlanError) as error:
        plan.missing_faces(config, "synthetic", missing, "r.tsv")
    assert str(error.value) == (
        "1 sample(s) of synthetic have no face (listed in r.tsv):\n  sub01/EP01: no face in onset frame\n"
        "Set frames.on_missing_face: skip in config.yaml to leave them out of every stage and table."
    )
    config["frames"]["on_missing_face"] = "skip"
    assert plan.missing_faces(config, "synthetic", missing, "r.tsv") == (
        "frames.on_missing_face: skip leaves out 1 sample(s) of synthetic without a face (listed in r.tsv)"
    )


def test_a_composite_fold_holds_out_one_dataset_subject_with_the_composite_schedule():
    config = protocols()
    assert plan.composite_split(config, "demo+sammsyn", "sammsyn", "006") == (
        "--datasets demo sammsyn --aus 2,4,7,12 --held-out sammsyn/006"
    )
    assert plan.composite_settings(config, "demo+sammsyn", "sammsyn", "micro_au_clip", 1) == (
        plan.protocol_settings(config, "demo", "sammsyn", "micro_au_clip", 1)
    )
    assert plan.composite_options(config, "demo+sammsyn", "micro_au_clip") == (
        plan.model_options(config, "demo", "micro_au_clip")
    )


def test_weights_records_are_named_after_the_datasets_encoder():
    assert plan.weights_path(tiny(), "synthetic") == "results/weights/microau-tiny-ViT__none.json"


def test_spot_then_recognise_needs_a_spotting_model_and_a_training_set_only_where_trained_here():
    assert not plan.spots_then_recognises(shipped()) and not plan.recogniser_trained_here(shipped())
    assert plan.spots_then_recognises(shipped(spotting_model="samm"))
    assert plan.recogniser_trained_here(shipped(spotting_model="samm"))
    assert not plan.recogniser_trained_here(shipped(spotting_model="/models/m.pt"))
