import csv
import hashlib
import json
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError

with open(workflow.source_path("../schemas/config.schema.yaml")) as _schema:
    _dataset_schema = yaml.safe_load(_schema)["definitions"]["dataset"]["properties"]
DATASET_DEFAULTS = {
    key: spec["default"] for key, spec in _dataset_schema.items() if "default" in spec
}
for _name, _settings in config["datasets"].items():
    config["datasets"][_name] = {**DATASET_DEFAULTS, **_settings}
for _name in config["targets"]:
    if _name not in config["datasets"]:
        raise WorkflowError(
            f"targets names '{_name}', which has no entry under datasets in config.yaml"
        )
if config["variant"] not in config["variants"]:
    raise WorkflowError(f"variant '{config['variant']}' is not defined under variants")


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    sample=r"[^/]+",
    subject=r"[^/]+",
    variant="|".join(config["variants"]),


def dataset_settings(dataset):
    return config["datasets"][dataset]


def stage_hash(*sections):
    """Hash of the config sections a stage depends on, so unrelated edits do not rerun it."""
    text = json.dumps([config.get(s) for s in sections], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


CONFIG_HASH = stage_hash(*sorted(config))


def encoder_id():
    """Names the feature cache after model and weights: a file counts by its name."""
    pretrained = config["clip"]["pretrained"]
    if "/" in pretrained or Path(pretrained).suffix:
        pretrained = f"file-{Path(pretrained).stem}"
    return f"{config['clip']['model']}__{pretrained}"


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


def index_rows(dataset):
    samples_tsv = checkpoints.index.get(dataset=dataset).output.samples
    with open(samples_tsv, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def samples_of(dataset):
    return [row["sample"] for row in index_rows(dataset)]


def subjects_of(dataset):
    return sorted({row["subject"] for row in index_rows(dataset)})


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


def train_settings(wildcards):
    """TrainSettings of a fold as JSON: the dataset's schedule, shared optimiser keys, the variant's loss."""
    dataset = dataset_settings(wildcards.dataset)
    variant = config["variants"][wildcards.variant]
    settings = {
        key: dataset[key]
        for key in ("epochs", "batch_size", "lr_drop_epoch", "alpha", "beta")
    }
    settings.update(
        {
            key: value
            for key, value in config["train"].items()
            if key not in ("threads", "mem_mb", "runtime")
        }
    )
    settings["contrastive"] = variant.get("contrastive", "miaucl")
    settings["mer_classes"] = config["mer"]["classes"]
    return json.dumps(settings, sort_keys=True)


def model_options(wildcards):
    variant = config["variants"][wildcards.variant]
    return json.dumps(
        {key: value for key, value in variant.items() if key != "contrastive"},
        sort_keys=True,
    )


def preprocess_settings():
    """The preprocessing sections as JSON, stored in model.pt so `microau predict` matches training."""
    return json.dumps(
        {section: config[section] for section in ("frames", "magnify", "flow")},
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
    files = [f"results/benchmarks/features/{wildcards.dataset}/{encoder_id()}.tsv"]
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
