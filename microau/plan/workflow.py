"""Workflow decisions as plain functions of the loaded config (`microau.plan.config.load_config`).

`workflow/rules/common.smk` turns wildcards into calls of these functions and reads the
checkpoints (faces, spot_index) for the subjects and videos; everything decided from the config
alone lives here, where a unit test reaches it without Snakemake, and every path is built from a
pattern of `microau/plan/results.py`.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

from microau.errors import MicroauError
from microau.io.fold_files import PREPROCESS_SECTIONS
from microau.plan import results as paths
from microau.plan.config import dataset_clip, generated_release, shared_aus
from microau.plan.paper_tables import PAPER_DATASETS, PAPER_TABLES
from microau.releases import KINDS_ANNOTATED

MODEL_OPTION_KEYS = ("pooling", "fusion", "text")
"""Variant keys that build the model (`ModelOptions`); the others are training settings."""
JOB_KEYS = ("threads", "device", "checkpoint_seconds", "mem_mb", "runtime", "seeds")
"""Keys of the train section that size, place or repeat jobs rather than set up one training run:
none of them is a training setting, so changing one retrains nothing."""
DATASET_SCHEDULE_KEYS = ("epochs", "batch_size", "lr_drop_epoch")


class PlanError(MicroauError):
    """A target the config cannot build (no data folder, an unknown encoder, a missing variant)."""


def seeds(config: dict) -> list[int]:
    """Training seeds: train.seed, then the extra train.seeds the ablation runs repeat with."""
    return list(dict.fromkeys([config["train"]["seed"], *config["train"]["seeds"]]))


def run_dir(dataset: str, variant: str, seed: int) -> str:
    """Where the folds of one variant and seed live (one folder per held-out subject below)."""
    return paths.TRAIN_RUN_DIR.format(dataset=dataset, variant=variant, seed=seed)


def main_run_files(config: dict, dataset: str, subjects: list[str], pattern: str) -> list[str]:
    """A fold file's `pattern` (`paths.TRAIN_*`) in every fold of the run behind the main tables:
    config variant, train.seed."""
    run = {"dataset": dataset, "variant": config["variant"], "seed": config["train"]["seed"]}
    return [pattern.format(subject=subject, **run) for subject in subjects]


def variant_spec(config: dict, dataset: str, name: str) -> dict:
    """Every setting of a variant on a dataset; a null alpha or beta takes the dataset's."""
    spec = dict(config["variants"][name])
    for key in ("alpha", "beta"):
        if spec[key] is None:
            spec[key] = config["datasets"][dataset][key]
    return spec


def trained_as(config: dict, dataset: str, name: str) -> str:
    """The variant whose folds serve `name`: the main variant when the settings are the same,
    else the first variant in config order with the same settings."""
    spec = variant_spec(config, dataset, name)
    candidates = [config["variant"], *config["variants"]]
    return next(other for other in candidates if variant_spec(config, dataset, other) == spec)


def train_settings(config: dict, dataset: str, variant: str, seed: int) -> dict:
    """Every `TrainSettings` field of one run: the dataset's schedule, the shared optimiser keys
    with the dataset's own (`datasets.<name>.train`) over them, the variant's loss, the seed and
    the MER texts."""
    spec = variant_spec(config, dataset, variant)
    entry = config["datasets"][dataset]
    settings = {key: entry[key] for key in DATASET_SCHEDULE_KEYS}
    settings.update({key: value for key, value in config["train"].items() if key not in JOB_KEYS})
    settings.update(entry["train"])
    settings.update(
        alpha=spec["alpha"],
        beta=spec["beta"],
        contrastive=spec["contrastive"],
        seed=seed,
        mer_classes=config["mer"]["classes"],
        mer_combinations=entry["mer_combinations"],
    )
    return settings


def model_options(config: dict, dataset: str, variant: str) -> dict:
    """The `ModelOptions` of a variant."""
    spec = variant_spec(config, dataset, variant)
    return {key: spec[key] for key in MODEL_OPTION_KEYS}


def preprocess_settings(config: dict) -> dict:
    """The preprocessing sections, stored in model.pt so `microau predict` matches training."""
    return {section: config[section] for section in PREPROCESS_SECTIONS}


def encoder_id(clip: dict) -> str:
    """Names feature caches and weights records after model and weights: a file counts by its name."""
    pretrained = clip["pretrained"]
    if "/" in pretrained or Path(pretrained).suffix:
        pretrained = f"file-{Path(pretrained).stem}"
    return f"{clip['model']}__{pretrained}"


def dataset_encoder(config: dict, dataset: str) -> str:
    """The encoder id of a dataset, which names its feature cache and weights record."""
    return encoder_id(dataset_clip(config, dataset))


def encoders(config: dict) -> dict[str, dict]:
    """Each encoder id in use by some dataset -> its CLIP settings (the same for every such dataset)."""
    return {dataset_encoder(config, name): dataset_clip(config, name) for name in config["datasets"]}


def encoder_clip(config: dict, encoder: str) -> dict:
    """The CLIP settings behind an encoder id, for the job that fetches its weights."""
    in_use = encoders(config)
    if encoder not in in_use:
        raise PlanError(f"no dataset in config.yaml uses the encoder '{encoder}' (in use: {', '.join(sorted(in_use))})")
    return in_use[encoder]


def features_clip(config: dict, dataset: str, encoder: str) -> dict:
    """CLIP settings of a features job, whose encoder must be its dataset's own."""
    own = dataset_encoder(config, dataset)
    if encoder != own:
        raise PlanError(
            f"dataset '{dataset}' uses the encoder '{own}', not '{encoder}' "
            f"(set datasets.{dataset}.clip in config.yaml)"
        )
    return dataset_clip(config, dataset)


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:12]


def features_hash(config: dict, dataset: str) -> str:
    """Hash of what a feature cache depends on: every preprocessing section (the landmarks place
    each AU's tokens) and the dataset's encoder."""
    return _hash([config[section] for section in PREPROCESS_SECTIONS] + [dataset_clip(config, dataset)])


def config_hash(config: dict) -> str:
    """Hash of the whole config, written into every table so a table names the config behind it."""
    return _hash([config[section] for section in sorted(config)])


def release_root(config: dict, dataset: str) -> str:
    """The release folder a dataset is indexed from: the generated one, or the user's copy."""
    if config["datasets"][dataset]["generated"]:
        return generated_release(dataset)
    root = config["datasets"][dataset]["root"]
    if not root:
        raise PlanError(
            f"dataset '{dataset}' has no data folder: set datasets.{dataset}.root in config.yaml "
            f"(or --config 'datasets={{{dataset}: {{root: /path/to/release}}}}') to your licensed copy"
        )
    return root


def index_inputs(config: dict, dataset: str) -> list[str]:
    """The index job's input: the generated release (made by the synthesize rule), or none for a
    user's copy, which must be named in the config (`release_root` says so otherwise)."""
    root = release_root(config, dataset)
    return [root] if config["datasets"][dataset]["generated"] else []


def missing_faces(config: dict, dataset: str, missing: list[dict], report: str) -> str:
    """What `frames.on_missing_face` makes of the samples without a face (`missing`: the rows of
    the faces report): an error that stops the run (policy `error`), else the warning that they are
    left out of every stage and table ("" when every sample has one)."""
    if not missing:
        return ""
    if config["frames"]["on_missing_face"] == "error":
        listing = "\n  ".join(row["reason"] for row in missing)
        raise PlanError(
            f"{len(missing)} sample(s) of {dataset} have no face (listed in {report}):\n  {listing}\n"
            "Set frames.on_missing_face: skip in config.yaml to leave them out of every stage and table."
        )
    return (
        f"frames.on_missing_face: skip leaves out {len(missing)} sample(s) of {dataset} "
        f"without a face (listed in {report})"
    )


def index_options(config: dict, dataset: str) -> str:
    """The flags of a dataset's index job beyond its layout: the class3 mapping and, when the
    config names them, the coding sheet and (for a table) the number of a video's first frame."""
    settings = config["datasets"][dataset]
    options = [f"--class3 {shlex.quote(json.dumps(settings['class3']))}"]
    if settings["coding_file"]:
        options.append(f"--coding-file {shlex.quote(settings['coding_file'])}")
    if settings["first_frame"] is not None:
        options.append(f"--first-frame {settings['first_frame']}")
    return " ".join(options)


def bootstrap_options(config: dict) -> str:
    """The `evaluate` section as the flags of every command that writes a table."""
    settings = config["evaluate"]
    return (
        f"--resamples {settings['resamples']} --resample-seed {settings['resample_seed']}"
        f" --confidence {settings['confidence']}"
    )


def report_au(config: dict, dataset: str) -> int:
    """The AU of Fig. 6 and 7: config report.au, or the dataset's first AU when it lacks that one."""
    aus = config["datasets"][dataset]["aus"]
    return config["report"]["au"] if config["report"]["au"] in aus else aus[0]


def run_benchmarks(config: dict, dataset: str, subjects: list[str]) -> list[str]:
    """Benchmark TSVs of the jobs that built a dataset's table (rules with `benchmark:`)."""
    generated = config["datasets"][dataset]["generated"]
    files = [paths.SYNTHESIZE_JOB.benchmark.format(dataset=dataset)] if generated else []
    files.append(paths.FEATURES_JOB.benchmark.format(dataset=dataset, encoder=dataset_encoder(config, dataset)))
    return files + main_run_files(config, dataset, subjects, paths.TRAIN_JOB.benchmark)


def ablation_runs(config: dict, dataset: str, group: str) -> dict[str, dict]:
    """Each variant of a paper table -> the variant trained for it and its run folder per seed."""
    runs = {}
    for name in PAPER_TABLES[group].variants_needed:
        if name not in config["variants"]:
            raise PlanError(
                f"ablation table {group} needs the variant '{name}': add it under variants in "
                f"config.yaml (config/config.yaml of the repository lists every paper variant)"
            )
        source = trained_as(config, dataset, name)
        runs[name] = {
            "trained_as": source,
            "seeds": {seed: run_dir(dataset, source, seed) for seed in seeds(config)},
        }
    return runs


def ablation_inputs(config: dict, dataset: str, group: str, subjects: list[str]) -> list[str]:
    """Predictions and histories of every fold an ablation table reads, each run folder once."""
    runs = ablation_runs(config, dataset, group)
    trained = {
        run_dir(dataset, run["trained_as"], seed): (run["trained_as"], seed)
        for run in runs.values()
        for seed in run["seeds"]
    }
    return [
        pattern.format(dataset=dataset, variant=trained[folder][0], seed=trained[folder][1], subject=subject)
        for folder in sorted(trained)
        for subject in subjects
        for pattern in (paths.TRAIN_PREDICTIONS, paths.TRAIN_HISTORY)
    ]


def synthetic_settings(config: dict, dataset: str) -> dict:
    """Seed and sizes of a generated dataset: `datasets.<name>.synthetic` over the top-level `synthetic`."""
    return {**config["synthetic"], **config["datasets"][dataset]["synthetic"]}


def weights_path(config: dict, dataset: str) -> str:
    """The weights record of a dataset's own encoder."""
    return paths.WEIGHTS_RECORD.format(encoder=dataset_encoder(config, dataset))


def features_path(config: dict, dataset: str) -> str:
    """The feature cache of a dataset's own encoder, the one every protocol using it reads."""
    return paths.FEATURE_CACHE.format(dataset=dataset, encoder=dataset_encoder(config, dataset))


def composite_datasets(config: dict, name: str) -> list[str]:
    """The datasets a composite pools."""
    if name not in config["composites"]:
        raise PlanError(f"no composite '{name}' under composites in config.yaml")
    return config["composites"][name]["datasets"]


def composite_schedule(config: dict, name: str) -> str:
    """The dataset whose schedule (epochs, batch size, lr drop, alpha, beta) trains a composite."""
    return config["composites"][name]["schedule"] or composite_datasets(config, name)[0]


def cross_pair(config: dict, train: str, test: str) -> list[str]:
    """[train, test] of a cross-dataset protocol listed under cross."""
    if {"train": train, "test": test} not in config["cross"]:
        raise PlanError(f"cross in config.yaml has no entry {{train: {train}, test: {test}}}")
    return [train, test]


def protocol_features(config: dict, datasets: list[str]) -> list[str]:
    """The feature caches a protocol reads, one per dataset: each dataset's own, never rebuilt."""
    return [features_path(config, dataset) for dataset in datasets]


def protocol_train_flags(config: dict, datasets: list[str]) -> str:
    """The `microau train` flags naming a pooled run's datasets (in --features order) and shared AUs."""
    return f"--datasets {' '.join(datasets)} --aus {','.join(map(str, shared_aus(config, datasets)))}"


def protocol_settings(config: dict, schedule: str, tested: str, variant: str, seed: int) -> dict:
    """`train_settings` of a pooled run: the schedule of one dataset, the AU-emotion correspondence
    of the dataset whose subjects it tests (cut to the shared AUs when the run reads it)."""
    settings = train_settings(config, schedule, variant, seed)
    settings["mer_combinations"] = config["datasets"][tested]["mer_combinations"]
    return settings


def composite_run_files(config: dict, name: str, subjects: dict[str, list[str]], pattern: str) -> list[str]:
    """A fold file's `pattern` (`paths.COMPOSITE_*`) in every composite fold of the main variant
    and seed: one per subject of each dataset (`subjects`: dataset -> its subjects with a face)."""
    run = {"composite": name, "variant": config["variant"], "seed": config["train"]["seed"]}
    return [
        pattern.format(dataset=dataset, subject=subject, **run)
        for dataset in composite_datasets(config, name)
        for subject in subjects[dataset]
    ]


def composite_split(config: dict, name: str, dataset: str, subject: str) -> str:
    """The train flags of a composite fold: its pooled datasets and the `<dataset>/<subject>` left out."""
    held_out = shlex.quote(f"{dataset}/{subject}")
    return f"{protocol_train_flags(config, composite_datasets(config, name))} --held-out {held_out}"


def cross_split(config: dict, train: str, test: str) -> str:
    """The train flags of a cross-dataset run: its pooled datasets and the dataset tested."""
    return f"{protocol_train_flags(config, cross_pair(config, train, test))} --held-out-dataset {shlex.quote(test)}"


def composite_settings(config: dict, name: str, dataset: str, variant: str, seed: int) -> dict:
    """`protocol_settings` of a composite fold: the composite's schedule, the tested dataset's correspondence."""
    return protocol_settings(config, composite_schedule(config, name), dataset, variant, seed)


def composite_options(config: dict, name: str, variant: str) -> dict:
    """The `ModelOptions` of a composite's variant (alpha and beta of its schedule)."""
    return model_options(config, composite_schedule(config, name), variant)


def cross_run_file(config: dict, train: str, test: str, pattern: str) -> str:
    """A run file's `pattern` (`paths.CROSS_*`) in the one run of a cross-dataset protocol (main
    variant and seed)."""
    cross_pair(config, train, test)
    return pattern.format(train=train, test=test, variant=config["variant"], seed=config["train"]["seed"])


def reference_options(config: dict, datasets: list[str], subjects: dict[str, list[str]]) -> str:
    """`--reference <dataset> <predictions>...` of each tested dataset's own LOSO run (main variant,
    train.seed): the paired comparison of a protocol table."""
    return " ".join(
        f"--reference {dataset} "
        + " ".join(main_run_files(config, dataset, subjects[dataset], paths.TRAIN_PREDICTIONS))
        for dataset in datasets
    )


def protocol_tables(config: dict) -> list[str]:
    """The AU and MER tables of every composite and cross-dataset protocol in the config."""
    tables = [
        pattern.format(composite=name)
        for name in config["composites"]
        for pattern in (paths.COMPOSITE_TABLE, paths.COMPOSITE_MER_TABLE)
    ]
    return tables + [
        pattern.format(**entry) for entry in config["cross"] for pattern in (paths.CROSS_TABLE, paths.CROSS_MER_TABLE)
    ]


def long_release_generated(config: dict, dataset: str) -> bool:
    """Whether the pipeline writes a spotting dataset's release (reader `synthetic_long`)."""
    return config["spotting_datasets"][dataset]["reader"] == "synthetic_long"


def spot_index_inputs(config: dict, dataset: str) -> list[str]:
    """The spot-index job's input: the generated release's record (made by synthesize_long), or
    none for a user's copy, which must be named in the config (`spotting_release_root` says so)."""
    spotting_release_root(config, dataset)
    return [paths.LONG_RELEASE_RECORD.format(long_dataset=dataset)] if long_release_generated(config, dataset) else []


def spotting_release_root(config: dict, dataset: str) -> str:
    """The long-video release a spotting dataset is indexed from: the generated one, or the user's copy."""
    entry = config["spotting_datasets"][dataset]
    if long_release_generated(config, dataset):
        return paths.LONG_RELEASE_DIR.format(long_dataset=dataset)
    if not entry["root"]:
        raise PlanError(
            f"spotting dataset '{dataset}' has no data folder: set spotting_datasets.{dataset}.root in config.yaml "
            "to your licensed copy"
        )
    return entry["root"]


def paper_dataset_option(config: dict, dataset: str) -> str:
    """The ablation flag that puts the paper's figures beside a dataset's rows: only for a real copy
    (not generated) read by the reader of a dataset the paper publishes, whatever the entry's name."""
    entry = config["datasets"][dataset]
    return f"--paper-dataset {entry['reader']}" if entry["reader"] in PAPER_DATASETS and not entry["generated"] else ""


def spotting_kinds(config: dict, dataset: str) -> list[str]:
    """The kinds of expression a spotting dataset annotates, and so spots and scores."""
    return list(KINDS_ANNOTATED[config["spotting_datasets"][dataset]["reader"]])


def spotting_settings_json(config: dict) -> str:
    """The spotting section as the JSON the spot and spotting-table commands take."""
    return json.dumps(config["spotting"], sort_keys=True)


def recognises_held_out(config: dict, long_dataset: str) -> bool:
    """Whether spotting_model is the dataset whose subjects are `long_dataset`'s people
    (`subjects_of`): its videos are then recognised leave-one-subject-out."""
    model = config.get("spotting_model")
    return bool(model) and config["spotting_datasets"][long_dataset]["subjects_of"] == model


def check_shared_subjects(config: dict, long_dataset: str, long_subjects: list[str], model_subjects: list[str]) -> None:
    """`subjects_of` promises the same people under the same names: a release none of whose subjects
    the model's dataset holds names them otherwise (`6` against `006`), and would be recognised by the
    final model, which saw them all."""
    if recognises_held_out(config, long_dataset) and not set(long_subjects) & set(model_subjects):
        name = config["spotting_model"]
        raise PlanError(
            f"config key 'spotting_datasets.{long_dataset}.subjects_of': none of its subjects "
            f"({', '.join(sorted(long_subjects)[:5])}...) is a subject of {name} "
            f"({', '.join(sorted(model_subjects)[:5])}...); the names must be the same people's"
        )


def recogniser_files(config: dict, long_dataset: str, subject: str, model_subjects: list[str]) -> dict[str, str]:
    """model.pt that recognises the spotted micro-expressions of `subject` in `long_dataset`, and the
    training_set.json beside it where the pipeline trained it: the fold of spotting_model that held
    `subject` out when `recognises_held_out` (its final model for a subject it never held), else
    spotting_model's final model, or the model.pt path given."""
    name = config["spotting_model"]
    if not recogniser_trained_here(config):
        return {"model": name}
    run = {"dataset": name, "variant": config["variant"], "seed": config["train"]["seed"], "subject": subject}
    if recognises_held_out(config, long_dataset) and subject in model_subjects:
        model, training_set = paths.TRAIN_MODEL, paths.TRAIN_TRAINING_SET
    else:
        model, training_set = paths.FINAL_MODEL, paths.FINAL_TRAINING_SET
    return {"model": model.format(**run), "training_set": training_set.format(**run)}


def spots_then_recognises(config: dict) -> bool:
    """Whether the spotting tables recognise the spotted intervals too: a spotting_model is set."""
    return bool(config.get("spotting_model"))


def recogniser_trained_here(config: dict) -> bool:
    """Whether spotting_model is a dataset the pipeline trains (else a model.pt given by path,
    which has no training_set.json beside it)."""
    return config.get("spotting_model") in config["datasets"]


def spotting_recognition_options(config: dict, dataset: str) -> str:
    """The spotting-table flags of spot-then-recognise (none without a spotting_model)."""
    if not spots_then_recognises(config):
        return ""
    class3 = config["spotting_datasets"][dataset]["class3"]
    flags = f"--class3 {shlex.quote(json.dumps(class3, sort_keys=True))} --reading {config['mer']['texts']}"
    return flags + (" --same-people" if recognises_held_out(config, dataset) else "")


def spot_index_options(config: dict, dataset: str) -> str:
    """The optional flag of a spotting dataset's index job (its annotation sheet)."""
    coding = config["spotting_datasets"][dataset]["coding_file"]
    return f"--coding-file '{coding}'" if coding else ""
