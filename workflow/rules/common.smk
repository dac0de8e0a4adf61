import json
import re
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from microau.plan import workflow as plan
from microau.plan.paper_tables import PAPER_TABLES
from microau.errors import MicroauError
from microau.io.sample_table import read_rows


def planned(decide):
    """A `microau.plan.workflow` function of the loaded config, called with the rest of its
    arguments; an error the user can fix becomes the WorkflowError Snakemake reports."""

    def call(*args):
        try:
            return decide(config, *args)
        except MicroauError as error:
            raise WorkflowError(str(error)) from None

    return call


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    sample=r"[^/]+",
    subject=r"[^/]+",
    variant="|".join(map(re.escape, config["variants"])),
    seed=r"\d+",
    composite="|".join(map(re.escape, config["composites"])),
    train="|".join(map(re.escape, config["datasets"])),
    test="|".join(map(re.escape, config["datasets"])),


CONFIG_HASH = plan.config_hash(config)
CONFIG_JSON = json.dumps(config, sort_keys=True)
BOOTSTRAP_OPTIONS = plan.bootstrap_options(config)
PREPROCESS_JSON = json.dumps(plan.preprocess_settings(config), sort_keys=True)
release_root = planned(plan.release_root)
ablation_runs = planned(plan.ablation_runs)
paper_dataset_option = planned(plan.paper_dataset_option)
encoder_of = planned(plan.dataset_encoder)


def dataset_settings(dataset):
    return config["datasets"][dataset]


def clip_of_encoder(wildcards):
    """The CLIP settings behind an {encoder} wildcard (the same for every dataset using it)."""
    return planned(plan.encoder_clip)(wildcards.encoder)


def dataset_encoder(wildcards):
    """CLIP settings of a features job, whose {encoder} must be its dataset's own."""
    return planned(plan.features_clip)(wildcards.dataset, wildcards.encoder)


def features_of(wildcards):
    """The feature cache of the dataset's own encoder: changing the encoder retrains its folds."""
    return planned(plan.features_path)(wildcards.dataset)


def weights_path(dataset):
    """The weights record of the dataset's own encoder."""
    return f"results/weights/{encoder_of(dataset)}.json"


def weights_of(wildcards):
    return weights_path(wildcards.dataset)


def face_rows(dataset):
    """Samples with a face; those without one are left out (frames.on_missing_face: skip;
    with error the faces job fails), each a row of the dataset's validation.tsv"""
    faces = checkpoints.faces.get(dataset=dataset).output
    missing = read_rows(faces.report)[1]
    if missing and dataset not in _SKIP_WARNED:
        _SKIP_WARNED.add(dataset)
        logger.warning(
            f"frames.on_missing_face: skip leaves out {len(missing)} sample(s) of {dataset} "
            f"without a face (listed in {faces.validation})"
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
    """A generated release is made by a rule; a user's copy must exist where config says."""
    if dataset_settings(wildcards.dataset)["generated"]:
        return expand(rules.synthesize.output.release, dataset=wildcards.dataset)
    release_root(wildcards.dataset)
    return []


def synthetic_settings(wildcards):
    return planned(plan.synthetic_settings)(wildcards.dataset)


def index_options(wildcards):
    return planned(plan.index_options)(wildcards.dataset)


def train_settings(wildcards):
    """TrainSettings of a run as JSON: the dataset's schedule, shared optimiser keys, the variant's loss and seed."""
    settings = planned(plan.train_settings)(
        wildcards.dataset, wildcards.variant, int(wildcards.seed)
    )
    return json.dumps(settings, sort_keys=True)


def model_options(wildcards):
    options = planned(plan.model_options)(wildcards.dataset, wildcards.variant)
    return json.dumps(options, sort_keys=True)


def main_run_files(filename):
    """Input function: `filename` in every fold of the run behind the main tables."""

    def inputs(wildcards):
        subjects = subjects_of(wildcards.dataset)
        return planned(plan.main_run_files)(wildcards.dataset, subjects, filename)

    return inputs


def target_run_files(filename):
    """Target input: `filename` in every fold of the main run of every target dataset."""

    def inputs(wildcards):
        return [
            path
            for dataset in config["targets"]
            for path in planned(plan.main_run_files)(
                dataset, subjects_of(dataset), filename
            )
        ]

    return inputs


def run_benchmarks(wildcards):
    """Benchmark TSVs of the jobs that built a dataset's table (rules with `benchmark:`)."""
    subjects = subjects_of(wildcards.dataset)
    return planned(plan.run_benchmarks)(wildcards.dataset, subjects)


def report_au(wildcards):
    return planned(plan.report_au)(wildcards.dataset)


def ablation_inputs(wildcards):
    subjects = subjects_of(wildcards.dataset)
    return planned(plan.ablation_inputs)(wildcards.dataset, wildcards.group, subjects)


# Composite and cross-dataset protocols (protocols.smk).
composite_datasets = planned(plan.composite_datasets)
cross_pair = planned(plan.cross_pair)


def protocol_subjects(datasets):
    return {dataset: subjects_of(dataset) for dataset in datasets}


def composite_features(wildcards):
    return planned(plan.protocol_features)(composite_datasets(wildcards.composite))


def cross_features(wildcards):
    return planned(plan.protocol_features)(cross_pair(wildcards.train, wildcards.test))


def composite_files(filename):
    """Input function: `filename` of every fold of a composite (main variant, train.seed)."""

    def inputs(wildcards):
        datasets = composite_datasets(wildcards.composite)
        return planned(plan.composite_run_files)(
            wildcards.composite, protocol_subjects(datasets), filename
        )

    return inputs


def reference_files(datasets_of):
    """Input function: the predictions of each tested dataset's own LOSO run (paired comparison)."""

    def inputs(wildcards):
        return [
            path
            for dataset in datasets_of(wildcards)
            for path in planned(plan.main_run_files)(
                dataset, subjects_of(dataset), "predictions.csv"
            )
        ]

    return inputs


def reference_options(datasets_of):
    def options(wildcards):
        datasets = datasets_of(wildcards)
        return planned(plan.reference_options)(datasets, protocol_subjects(datasets))

    return options


def protocol_weights(datasets_of):
    return lambda wildcards: weights_path(datasets_of(wildcards)[0])


def composite_of(wildcards):
    return composite_datasets(wildcards.composite)


def cross_tested(wildcards):
    return [cross_pair(wildcards.train, wildcards.test)[1]]


def cross_of(wildcards):
    return cross_pair(wildcards.train, wildcards.test)


def composite_split(wildcards):
    """The train flags of a composite fold: its pooled datasets and the `<dataset>/<subject>` left out."""
    held_out = shlex.quote(f"{wildcards.dataset}/{wildcards.subject}")
    return f"{planned(plan.protocol_train_flags)(composite_of(wildcards))} --held-out {held_out}"


def cross_split(wildcards):
    """The train flags of a cross-dataset run: its pooled datasets and the dataset tested."""
    return f"{planned(plan.protocol_train_flags)(cross_of(wildcards))} --held-out-dataset {shlex.quote(wildcards.test)}"


def composite_settings(wildcards):
    schedule = planned(plan.composite_schedule)(wildcards.composite)
    settings = planned(plan.protocol_settings)(
        schedule, wildcards.dataset, wildcards.variant, int(wildcards.seed)
    )
    return json.dumps(settings, sort_keys=True)


def composite_options(wildcards):
    schedule = planned(plan.composite_schedule)(wildcards.composite)
    return json.dumps(
        planned(plan.model_options)(schedule, wildcards.variant), sort_keys=True
    )


def cross_settings(wildcards):
    settings = planned(plan.protocol_settings)(
        wildcards.train, wildcards.test, wildcards.variant, int(wildcards.seed)
    )
    return json.dumps(settings, sort_keys=True)


def cross_options(wildcards):
    options = planned(plan.model_options)(wildcards.train, wildcards.variant)
    return json.dumps(options, sort_keys=True)


SPOTTING_JSON = plan.spotting_settings_json(config)
spotting_release_root = planned(plan.spotting_release_root)


def spot_index_input(wildcards):
    """A synthetic_long release is made by a rule; a user's copy must exist where config says."""
    reader = config["spotting_datasets"][wildcards.long_dataset]["reader"]
    if reader == "synthetic_long":
        return expand(
            rules.synthesize_long.output.record, long_dataset=wildcards.long_dataset
        )
    spotting_release_root(wildcards.long_dataset)
    return []


def long_videos(dataset):
    """Rows of a spotting dataset's videos.tsv (after its index checkpoint has run)."""
    from microau.io.video_table import read_videos

    return read_videos(checkpoints.spot_index.get(long_dataset=dataset).output.videos)


def long_video(wildcards):
    """The videos.tsv row of one {video} of a spotting dataset, as a dict."""
    for row in long_videos(wildcards.long_dataset):
        if row.video == wildcards.video:
            return row.__dict__
    raise WorkflowError(
        f"video {wildcards.video} is not in results/spotting/{wildcards.long_dataset}/videos.tsv"
    )


def recogniser(long_dataset, subject):
    """model.pt (and training_set.json) recognising the micro-expressions of `subject` in
    `long_dataset`: the fold of spotting_model that held the subject out where the release holds
    that dataset's people."""
    subjects = []
    if plan.recognises_held_out(config, long_dataset):
        subjects = subjects_of(config["spotting_model"])
        long_subjects = [row.subject for row in long_videos(long_dataset)]
        planned(plan.check_shared_subjects)(long_dataset, long_subjects, subjects)
    return planned(plan.recogniser_files)(long_dataset, subject, subjects)


def recogniser_of(wildcards):
    return recogniser(wildcards.long_dataset, long_video(wildcards)["subject"])


def recognised_videos(wildcards):
    """Spot-then-recognise: the analysis CSV of every video (none without a spotting_model)."""
    if not config["spotting_model"]:
        return []
    return [
        f"results/spotting/{wildcards.long_dataset}/recognised/{row.video}.csv"
        for row in long_videos(wildcards.long_dataset)
    ]


def recognisers_training_sets(wildcards):
    """The training_set.json of each video's recogniser, in recognised_videos' order (none for a
    model.pt given by path)."""
    if config["spotting_model"] not in config["datasets"]:
        return []
    return [
        recogniser(wildcards.long_dataset, row.subject)["training_set"]
        for row in long_videos(wildcards.long_dataset)
    ]


def recognition_options(wildcards, input):
    """The spotting table's spot-then-recognise flags (none without a spotting_model)."""
    if not input.recognised:
        return ""
    flags = planned(plan.spotting_recognition_options)(wildcards.long_dataset)
    training_sets = (
        f" --training-sets {' '.join(input.training_sets)}"
        if input.training_sets
        else ""
    )
    return f"--recognised {' '.join(input.recognised)}{training_sets} {flags}"


def spotted_videos(wildcards):
    """The spotted intervals of every video of a spotting dataset."""
    return [
        f"results/spotting/{wildcards.long_dataset}/spotted/{row.video}.csv"
        for row in long_videos(wildcards.long_dataset)
    ]
