# Snakemake plumbing only: the config's decisions are functions of microau/plan/workflow.py, the
# paths patterns of microau/plan/results.py; this file turns wildcards into their arguments and
# reads the checkpoints (faces, spot_index), whose tables name the per-sample and per-video jobs.
import json
import re
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from microau.errors import MicroauError
from microau.io.sample_table import read_rows
from microau.io.video_table import read_videos
from microau.plan import results as paths
from microau.plan import workflow as plan
from microau.plan.paper_tables import PAPER_TABLES


def planned(decide):
    """`decide` (a `microau.plan.workflow` function) of the loaded config and the rest of its
    arguments; an error the user can fix becomes the WorkflowError Snakemake reports."""

    def call(*args):
        try:
            return decide(config, *args)
        except MicroauError as error:
            raise WorkflowError(str(error)) from None

    return call


def from_wildcards(decide, *names, as_json=False):
    """Input or params function: `planned(decide)` of the job's wildcards `names` ({seed} as the
    number it is), as JSON where the command takes the dict whole."""

    def call(wildcards):
        args = [int(wildcards[n]) if n == "seed" else wildcards[n] for n in names]
        value = planned(decide)(*args)
        return json.dumps(value, sort_keys=True) if as_json else value

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
SPOTTING_JSON = plan.spotting_settings_json(config)
_SKIP_WARNED = set()


def face_rows(dataset):
    """Samples with a face (the faces checkpoint); frames.on_missing_face decides the others."""
    faces = checkpoints.faces.get(dataset=dataset).output
    missing = read_rows(faces.report)[1]
    warning = planned(plan.missing_faces)(dataset, missing, faces.report)
    if warning and dataset not in _SKIP_WARNED:
        _SKIP_WARNED.add(dataset)
        logger.warning(warning)
    return read_rows(faces.samples)[1]


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


def main_run_inputs(pattern, datasets_of=lambda wildcards: [wildcards.dataset]):
    """Input function: a fold file's `pattern` in every fold of the run behind the main tables of
    each dataset `datasets_of` names (the job's own by default)."""

    def inputs(wildcards):
        return [
            path
            for dataset in datasets_of(wildcards)
            for path in planned(plan.main_run_files)(
                dataset, subjects_of(dataset), pattern
            )
        ]

    return inputs


def run_benchmark_inputs(wildcards):
    """Benchmark TSVs of the jobs that built a dataset's table (rules with `benchmark:`)."""
    subjects = subjects_of(wildcards.dataset)
    return planned(plan.run_benchmarks)(wildcards.dataset, subjects)


def ablation_run_inputs(wildcards):
    subjects = subjects_of(wildcards.dataset)
    return planned(plan.ablation_inputs)(wildcards.dataset, wildcards.group, subjects)


# Composite and cross-dataset protocols (protocols.smk): the datasets a job pools or tests.
def composite_of(wildcards):
    return planned(plan.composite_datasets)(wildcards.composite)


def cross_of(wildcards):
    return planned(plan.cross_pair)(wildcards.train, wildcards.test)


def cross_tested(wildcards):
    return cross_of(wildcards)[1:]


def protocol_subjects(datasets):
    return {dataset: subjects_of(dataset) for dataset in datasets}


def composite_run_inputs(pattern):
    """Input function: a fold file's `pattern` of every composite fold (main variant, train.seed)."""

    def inputs(wildcards):
        subjects = protocol_subjects(composite_of(wildcards))
        return planned(plan.composite_run_files)(wildcards.composite, subjects, pattern)

    return inputs


def reference_options(datasets_of):
    def options(wildcards):
        datasets = datasets_of(wildcards)
        return planned(plan.reference_options)(datasets, protocol_subjects(datasets))

    return options


# Spotting (spotting.smk): the videos of the spot_index checkpoint.
def long_videos(dataset):
    """Rows of a spotting dataset's videos.tsv (after its index checkpoint has run)."""
    return read_videos(checkpoints.spot_index.get(long_dataset=dataset).output.videos)


def long_video(wildcards):
    """The videos.tsv row of one {video} of a spotting dataset, as a dict."""
    for row in long_videos(wildcards.long_dataset):
        if row.video == wildcards.video:
            return row.__dict__
    videos = paths.SPOT_VIDEOS.format(long_dataset=wildcards.long_dataset)
    raise WorkflowError(f"video {wildcards.video} is not in {videos}")


def recogniser(long_dataset, subject):
    """model.pt (and training_set.json) recognising `subject`'s micro-expressions in
    `long_dataset` (plan.recogniser_files), with the subjects of spotting_model's folds where the
    release holds that dataset's people."""
    subjects = []
    if plan.recognises_held_out(config, long_dataset):
        subjects = subjects_of(config["spotting_model"])
        long_subjects = [row.subject for row in long_videos(long_dataset)]
        planned(plan.check_shared_subjects)(long_dataset, long_subjects, subjects)
    return planned(plan.recogniser_files)(long_dataset, subject, subjects)


def spotted_videos(wildcards):
    """The spotted intervals of every video of a spotting dataset."""
    videos = [row.video for row in long_videos(wildcards.long_dataset)]
    return expand(paths.SPOTTED, long_dataset=wildcards.long_dataset, video=videos)


def recognised_videos(wildcards):
    """Spot-then-recognise: the analysis CSV of every video (none without a spotting_model)."""
    if not plan.spots_then_recognises(config):
        return []
    videos = [row.video for row in long_videos(wildcards.long_dataset)]
    return expand(paths.RECOGNISED, long_dataset=wildcards.long_dataset, video=videos)


def recognisers_training_sets(wildcards):
    """The training_set.json of each video's recogniser, in recognised_videos' order (none for a
    model.pt given by path)."""
    if not plan.recogniser_trained_here(config):
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
