import hashlib
import json
import re
import shlex
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from microau.ablation import PAPER_TABLES
from microau.config import dataset_clip, encoder_id
from microau.mer import CorrespondenceError, filter_combinations
from microau.sample_table import read_rows

with open(workflow.source_path("../schemas/config.schema.yaml")) as _schema:
    _schema = yaml.safe_load(_schema)
DATASET_DEFAULTS = {
    key: spec["default"]
    for key, spec in _schema["definitions"]["dataset"]["properties"].items()
    if "default" in spec
}
VARIANT_DEFAULTS = {
    key: spec["default"]
    for key, spec in _schema["properties"]["variants"]["additionalProperties"][
        "properties"
    ].items()
}
MODEL_OPTION_KEYS = ("pooling", "fusion", "text")
SEEDS = list(dict.fromkeys([config["train"]["seed"], *config["train"]["seeds"]]))
for _name, _settings in config["datasets"].items():
    config["datasets"][_name] = {**DATASET_DEFAULTS, **_settings}
for _name in config["targets"]:
    if _name not in config["datasets"]:
        raise WorkflowError(
            f"targets names '{_name}', which has no entry under datasets in config.yaml"
        )
for _name in config["targets"]:
    try:
        filter_combinations(
            config["datasets"][_name]["mer_combinations"],
            config["datasets"][_name]["aus"],
        )
    except CorrespondenceError as _error:
        raise WorkflowError(f"config key 'datasets.{_name}.mer_combinations': {_error}")
if config["variant"] not in config["variants"]:
    raise WorkflowError(f"variant '{config['variant']}' is not defined under variants")


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    sample=r"[^/]+",
    subject=r"[^/]+",
    variant="(?:" + "|".join(map(re.escape, config["variants"])) + r")(?:/seed\d+)?",


def dataset_settings(dataset):
    return config["datasets"][dataset]


def stage_hash(*sections):
    """Hash of the config sections a stage depends on, so unrelated edits do not rerun it."""
    text = json.dumps([config.get(s) for s in sections], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


CONFIG_HASH = stage_hash(*sorted(config))


def clip_of(dataset):
    return dataset_clip(config, dataset)


def encoder_of(dataset):
    return encoder_id(clip_of(dataset))


ENCODERS = {encoder_of(name): clip_of(name) for name in config["datasets"]}


def clip_of_encoder(wildcards):
    """The CLIP settings behind an {encoder} wildcard (the same for every dataset using it)."""
    if wildcards.encoder not in ENCODERS:
        raise WorkflowError(
            f"no dataset in config.yaml uses the encoder '{wildcards.encoder}' "
            f"(in use: {', '.join(sorted(ENCODERS))})"
        )
    return ENCODERS[wildcards.encoder]


def features_of(wildcards):
    """The feature cache of the dataset's own encoder: changing the encoder retrains its folds."""
    return f"results/features/{wildcards.dataset}/{encoder_of(wildcards.dataset)}.h5"


def bootstrap_options():
    """The `evaluate` section as the flags of every command that writes a table."""
    settings = config["evaluate"]
    return (
        f"--resamples {settings['resamples']} --resample-seed {settings['resample_seed']}"
        f" --confidence {settings['confidence']}"
    )


def dataset_encoder(wildcards):
    """CLIP settings of a features job, whose {encoder} must be its dataset's own."""
    if wildcards.encoder != encoder_of(wildcards.dataset):
        raise WorkflowError(
            f"dataset '{wildcards.dataset}' uses the encoder '{encoder_of(wildcards.dataset)}', "
            f"not '{wildcards.encoder}' (set datasets.{wildcards.dataset}.clip in config.yaml)"
        )
    return clip_of(wildcards.dataset)


def features_hash(dataset):
    """Hash of what a feature cache depends on: preprocessing and the dataset's encoder."""
    sections = [config[s] for s in ("frames", "magnify", "flow")] + [clip_of(dataset)]
    return hashlib.sha256(json.dumps(sections, sort_keys=True).encode()).hexdigest()[
        :12
    ]


def weights_of(wildcards):
    return f"results/weights/{encoder_of(wildcards.dataset)}.json"


def release_root(dataset):
    if dataset == "synthetic":
        return "results/synthetic/release"
    root = dataset_settings(dataset)["root"]
    if not root:
        raise WorkflowError(
            f"dataset '{dataset}' has no data folder: set datasets.{dataset}.root in config.yaml "
            f"(or --config 'datasets={{{dataset}: {{root: /path/to/release}}}}') to your licensed copy"
        )
    return root


def face_rows(dataset):
    """Samples with a face; samples without one stop the run unless frames.on_missing_face is skip."""
    faces = checkpoints.faces.get(dataset=dataset).output
    missing = read_rows(faces.report)[1]
    if missing and config["frames"]["on_missing_face"] == "error":
        listing = "\n  ".join(row["reason"] for row in missing)
        raise WorkflowError(
            f"{len(missing)} sample(s) of {dataset} have no face (listed in {faces.report}):\n  {listing}\n"
            "Set frames.on_missing_face: skip in config.yaml to leave them out of every stage and table."
        )
    if missing and dataset not in _SKIP_WARNED:
        _SKIP_WARNED.add(dataset)
        logger.warning(
            f"frames.on_missing_face: skip leaves out {len(missing)} sample(s) of {dataset} "
            f"without a face (listed in {faces.report})"
        )
    return read_rows(faces.samples)[1]


_SKIP_WARNED = set()


def samples_of(dataset):
    return [row["sample"] for row in face_rows(dataset)]


def subjects_of(dataset):
    return sorted({row["subject"] for row in face_rows(dataset)})


def per_sample(pattern):
    """Input function: `pattern` expanded over every sample of the dataset (after indexing)."""

    def inputs(wildcards):
        return expand(
            pattern, sample=samples_of(wildcards.dataset), **dict(wildcards.items())
        )

    return inputs


def per_subject(pattern):
    def inputs(wildcards):
        return expand(
            pattern, subject=subjects_of(wildcards.dataset), **dict(wildcards.items())
        )

    return inputs


def all_targets(pattern, **extra):
    """Convenience target input: `pattern` for every sample of every target dataset."""

    def inputs(wildcards):
        return [
            path
            for dataset in config["targets"]
            for path in expand(
                pattern, dataset=dataset, sample=samples_of(dataset), **extra
            )
        ]

    return inputs


def index_input(wildcards):
    """The synthetic release is made by a rule; a real one must exist where config says."""
    if wildcards.dataset == "synthetic":
        return rules.synthesize.output.coding
    release_root(wildcards.dataset)
    return []


def index_options(wildcards):
    settings = dataset_settings(wildcards.dataset)
    options = []
    if settings["class3"]:
        options.append(f"--class3 '{json.dumps(settings['class3'])}'")
    if settings["coding_file"]:
        options.append(f"--coding-file '{settings['coding_file']}'")
    return " ".join(options)


def split_variant(variant):
    """The {variant} wildcard is a variant name, or name/seed<N> for a repeat with seed N."""
    name, seed = re.fullmatch(r"(.+?)(?:/seed(\d+))?", variant).groups()
    return name, int(seed) if seed else config["train"]["seed"]


def run_dir(dataset, name, seed):
    """Where the folds of one variant and seed live; train.seed's run has no seed folder."""
    path = f"results/train/{dataset}/{name}"
    return path if seed == config["train"]["seed"] else f"{path}/seed{seed}"


def variant_spec(dataset, name):
    """Every setting of a variant on a dataset, defaults filled in (alpha/beta from the dataset)."""
    spec = {**VARIANT_DEFAULTS, **config["variants"][name]}
    for key in ("alpha", "beta"):
        if spec[key] is None:
            spec[key] = dataset_settings(dataset)[key]
    return spec


def trained_as(dataset, name):
    """The variant whose folds serve `name`: the main variant when the settings are the same,
    else the first variant in config order with the same settings."""
    spec = variant_spec(dataset, name)
    candidates = [config["variant"], *config["variants"]]
    return next(other for other in candidates if variant_spec(dataset, other) == spec)


def train_settings(wildcards):
    """TrainSettings of a fold as JSON: the dataset's schedule, shared optimiser keys, the variant's loss and seed."""
    name, seed = split_variant(wildcards.variant)
    spec = variant_spec(wildcards.dataset, name)
    dataset = dataset_settings(wildcards.dataset)
    settings = {key: dataset[key] for key in ("epochs", "batch_size", "lr_drop_epoch")}
    settings.update(
        {
            key: value
            for key, value in config["train"].items()
            if key not in ("threads", "mem_mb", "runtime", "seeds")
        }
    )
    settings.update(
        alpha=spec["alpha"],
        beta=spec["beta"],
        contrastive=spec["contrastive"],
        seed=seed,
        mer_classes=config["mer"]["classes"],
        mer_combinations=dataset["mer_combinations"],
    )
    return json.dumps(settings, sort_keys=True)


def model_options(wildcards):
    spec = variant_spec(wildcards.dataset, split_variant(wildcards.variant)[0])
    return json.dumps({key: spec[key] for key in MODEL_OPTION_KEYS}, sort_keys=True)


def preprocess_settings():
    """The preprocessing sections as JSON, stored in model.pt so `microau predict` matches training."""
    return json.dumps(
        {
            section: config[section]
            for section in ("frames", "magnify", "flow", "landmarks")
        },
        sort_keys=True,
    )


def variant_folds(filename):
    """Input function: `filename` in every fold directory of the configured variant."""

    def inputs(wildcards):
        return expand(
            "results/train/{dataset}/{variant}/{subject}/{filename}",
            dataset=wildcards.dataset,
            variant=config["variant"],
            subject=subjects_of(wildcards.dataset),
            filename=filename,
        )

    return inputs


def run_benchmarks(wildcards):
    """Benchmark TSVs of the jobs that built a dataset's table (rules with `benchmark:`)."""
    files = [
        f"results/benchmarks/features/{wildcards.dataset}/{encoder_of(wildcards.dataset)}.tsv"
    ]
    files += expand(
        "results/benchmarks/train/{dataset}/{variant}/{subject}.tsv",
        dataset=wildcards.dataset,
        variant=config["variant"],
        subject=subjects_of(wildcards.dataset),
    )
    if wildcards.dataset == "synthetic":
        files.insert(0, "results/benchmarks/synthesize.tsv")
    return files


def report_au(wildcards):
    """The AU of Fig. 6 and 7: config report.au, or the dataset's first AU when it lacks that one."""
    aus = dataset_settings(wildcards.dataset)["aus"]
    return config["report"]["au"] if config["report"]["au"] in aus else aus[0]


def ablation_runs(dataset, group):
    """Each variant of a paper table -> the variant trained for it and its run folder per seed."""
    runs = {}
    for name in PAPER_TABLES[group].variants_needed:
        if name not in config["variants"]:
            raise WorkflowError(
                f"ablation table {group} needs the variant '{name}': add it under variants in "
                f"config.yaml (config.yaml of the repository lists every paper variant)"
            )
        source = trained_as(dataset, name)
        runs[name] = {
            "trained_as": source,
            "seeds": {seed: run_dir(dataset, source, seed) for seed in SEEDS},
        }
    return runs


def ablation_inputs(wildcards):
    runs = ablation_runs(wildcards.dataset, wildcards.group)
    folders = {path for run in runs.values() for path in run["seeds"].values()}
    return expand(
        "{folder}/{subject}/{filename}",
        folder=sorted(folders),
        subject=subjects_of(wildcards.dataset),
        filename=("predictions.csv", "history.csv"),
    )
