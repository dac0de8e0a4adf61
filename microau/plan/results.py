"""The map of `results/`: every file the workflow writes, as a named pattern (Snakemake wildcards in
braces) with the rule that writes it and the module that owns its format.

The rules (`workflow/rules/*.smk`, as `paths.<NAME>`) and the plan functions build every path from
these patterns, so a file moves by changing one line here; ARCHITECTURE.md's Stages tables list
the same patterns, rules and owners (`tests/plan/test_results.py` holds the tables to this map).
Each job's log is `results/logs/<job>.log` and, for the rules timed, its benchmark
`results/benchmarks/<job>.tsv`, with `<job>` the rule's folder and wildcards (`JOBS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from microau.io.fold_files import FEATURES_NPZ, HISTORY_CSV, MODEL_PT, PREDICTIONS_CSV, TRAINING_SET_JSON


@dataclass(frozen=True)
class Result:
    """One result file (or folder): its pattern, the rule that writes it, the module owning its format."""

    pattern: str
    rule: str
    owner: str


@dataclass(frozen=True)
class Job:
    """The log and (for the rules timed) the Snakemake benchmark of one rule's jobs."""

    rule: str
    job: str
    timed: bool

    @property
    def log(self) -> str:
        return f"results/logs/{self.job}.log"

    @property
    def benchmark(self) -> str:
        return f"results/benchmarks/{self.job}.tsv"


RESULTS: dict[str, Result] = {}
"""pattern -> its Result, for every file a rule writes (logs and benchmarks apart, in JOBS)."""
JOBS: dict[str, Job] = {}
"""rule -> its Job (log and benchmark)."""


def _result(pattern: str, rule: str, owner: str) -> str:
    RESULTS[pattern] = Result(pattern, rule, owner)
    return pattern


def _job(rule: str, job: str, timed: bool = False) -> Job:
    JOBS[rule] = Job(rule, job, timed)
    return JOBS[rule]


def _fold(folder: str, rule: str) -> tuple[str, str, str, str, str]:
    """The five files of a training run in `folder` (io/fold_files.py's names)."""
    names = (PREDICTIONS_CSV, FEATURES_NPZ, MODEL_PT, HISTORY_CSV, TRAINING_SET_JSON)
    return tuple(_result(f"{folder}/{name}", rule, "io/fold_files.py") for name in names)


def _tables(stem: str, rule: str) -> tuple[str, ...]:
    """An AU table, MER table and folds table with their `.meta.json` sidecars, and the provenance."""
    names = ("table.csv", "mer_table.csv", "folds.csv", "table.meta.json", "mer_table.meta.json")
    names += ("folds.meta.json", "provenance.json")
    return tuple(_result(f"{stem}_{name}", rule, "io/result_tables.py") for name in names)


# Short clips: synthesis, index, preprocessing, features.
RELEASE = _result("results/{dataset}/release", "synthesize", "datasets/generators/synthetic.py")
SYNTHESIZE_JOB = _job("synthesize", "synthesize/{dataset}", timed=True)
INDEX_SAMPLES = _result("results/index/{dataset}/samples.tsv", "index", "io/sample_table.py")
INDEX_VALIDATION = _result("results/index/{dataset}/validation.tsv", "index", "io/sample_table.py")
INDEX_CLIPS = _result("results/index/{dataset}/clips", "index", "datasets/index.py")
INDEX_JOB = _job("index", "index/{dataset}")
FACES_SAMPLES = _result("results/faces/{dataset}/samples.tsv", "faces", "io/sample_table.py")
FACES_REPORT = _result("results/faces/{dataset}/report.tsv", "faces", "io/sample_table.py")
FACES_JOB = _job("faces", "faces/{dataset}", timed=True)
FRAMES_ONSET = _result("results/frames/{dataset}/{sample}/onset.png", "frames", "preprocess/images.py")
FRAMES_APEX = _result("results/frames/{dataset}/{sample}/apex.png", "frames", "preprocess/images.py")
FRAMES_BOX = _result("results/frames/{dataset}/{sample}/box.json", "frames", "preprocess/crop.py")
FRAMES_JOB = _job("frames", "frames/{dataset}/{sample}")
MAGNIFY_APEX = _result("results/magnify/{dataset}/{sample}.png", "magnify", "preprocess/images.py")
MAGNIFY_JOB = _job("magnify", "magnify/{dataset}/{sample}")
FLOW_NPZ = _result("results/flow/{dataset}/{sample}.npz", "flow", "preprocess/flow.py")
FLOW_IMAGE = _result("results/flow/{dataset}/{sample}.png", "flow", "preprocess/images.py")
FLOW_JOB = _job("flow", "flow/{dataset}/{sample}")
LANDMARKS_CSV = _result("results/landmarks/{dataset}/{sample}.csv", "landmarks", "io/landmarks_csv.py")
LANDMARKS_JOB = _job("landmarks", "landmarks/{dataset}/{sample}")
WEIGHTS_RECORD = _result("results/weights/{encoder}.json", "weights", "io/weights_record.py")
WEIGHTS_JOB = _job("weights", "weights/{encoder}")
FEATURE_CACHE = _result("results/features/{dataset}/{encoder}.h5", "features", "io/feature_cache.py")
FEATURES_JOB = _job("features", "features/{dataset}/{encoder}", timed=True)

# Training runs: the LOSO folds, the pooled protocols' runs and the final model.
TRAIN_RUN_DIR = "results/train/{dataset}/{variant}/seed{seed}"
"""The folder of one variant and seed (a fold folder per held-out subject below): not a file."""
TRAIN_FOLD_DIR = f"{TRAIN_RUN_DIR}/{{subject}}"
TRAIN_PREDICTIONS, TRAIN_FEATURES, TRAIN_MODEL, TRAIN_HISTORY, TRAIN_TRAINING_SET = _fold(TRAIN_FOLD_DIR, "train")
TRAIN_JOB = _job("train", "train/{dataset}/{variant}/seed{seed}/{subject}", timed=True)
COMPOSITE_RUN_DIR = "results/train/composite/{composite}/{variant}/seed{seed}"
"""The folder of a composite's run (`<dataset>/<subject>/` below): not a file."""
(
    COMPOSITE_PREDICTIONS,
    COMPOSITE_FEATURES,
    COMPOSITE_MODEL,
    COMPOSITE_HISTORY,
    COMPOSITE_TRAINING_SET,
) = _fold(f"{COMPOSITE_RUN_DIR}/{{dataset}}/{{subject}}", "train_composite")
TRAIN_COMPOSITE_JOB = _job(
    "train_composite", "train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}", timed=True
)
CROSS_RUN_DIR = "results/train/cross/{train}_to_{test}/{variant}/seed{seed}"
CROSS_PREDICTIONS, CROSS_FEATURES, CROSS_MODEL, CROSS_HISTORY, CROSS_TRAINING_SET = _fold(CROSS_RUN_DIR, "train_cross")
TRAIN_CROSS_JOB = _job("train_cross", "train/cross/{train}_to_{test}/{variant}/seed{seed}", timed=True)
FINAL_RUN_DIR = "results/final/{dataset}/{variant}/seed{seed}"
FINAL_MODEL = _result(f"{FINAL_RUN_DIR}/{MODEL_PT}", "final_model", "io/fold_files.py")
FINAL_HISTORY = _result(f"{FINAL_RUN_DIR}/{HISTORY_CSV}", "final_model", "io/fold_files.py")
FINAL_TRAINING_SET = _result(f"{FINAL_RUN_DIR}/{TRAINING_SET_JSON}", "final_model", "io/fold_files.py")
FINAL_MODEL_JOB = _job("final_model", "final/{dataset}/{variant}/seed{seed}", timed=True)

# Tables: a dataset's own, the protocols', the ablations'.
(TABLE, MER_TABLE, FOLDS, TABLE_META, MER_TABLE_META, FOLDS_META, PROVENANCE) = _tables(
    "results/{dataset}", "aggregate"
)
POOLED_PREDICTIONS = _result("results/{dataset}_predictions.csv", "aggregate", "io/fold_files.py")
AGGREGATE_JOB = _job("aggregate", "aggregate/{dataset}")
(
    COMPOSITE_TABLE,
    COMPOSITE_MER_TABLE,
    COMPOSITE_FOLDS,
    COMPOSITE_TABLE_META,
    COMPOSITE_MER_TABLE_META,
    COMPOSITE_FOLDS_META,
    COMPOSITE_PROVENANCE,
) = _tables("results/composite_{composite}", "aggregate_composite")
AGGREGATE_COMPOSITE_JOB = _job("aggregate_composite", "aggregate/composite_{composite}")
(
    CROSS_TABLE,
    CROSS_MER_TABLE,
    CROSS_FOLDS,
    CROSS_TABLE_META,
    CROSS_MER_TABLE_META,
    CROSS_FOLDS_META,
    CROSS_PROVENANCE,
) = _tables("results/cross_{train}_to_{test}", "aggregate_cross")
AGGREGATE_CROSS_JOB = _job("aggregate_cross", "aggregate/cross_{train}_to_{test}")
ABLATION_GROUP_TABLE = _result("results/ablation/{dataset}/table_{group}.csv", "ablation_group", "io/result_tables.py")
ABLATION_GROUP_FOLDS = _result(
    "results/ablation/{dataset}/table_{group}_folds.csv", "ablation_group", "io/result_tables.py"
)
ABLATION_GROUP_TABLE_META = _result(
    "results/ablation/{dataset}/table_{group}.meta.json", "ablation_group", "io/result_tables.py"
)
ABLATION_GROUP_FOLDS_META = _result(
    "results/ablation/{dataset}/table_{group}_folds.meta.json", "ablation_group", "io/result_tables.py"
)
ABLATION_GROUP_JOB = _job("ablation_group", "ablation/{dataset}/table_{group}", timed=True)
ABLATION_TABLE = _result("results/{dataset}_ablation_table.csv", "ablation_table", "io/result_tables.py")
ABLATION_TABLE_META = _result("results/{dataset}_ablation_table.meta.json", "ablation_table", "io/result_tables.py")
ABLATION_PROVENANCE = _result("results/{dataset}_ablation_provenance.json", "ablation_table", "io/result_tables.py")
ABLATION_TABLE_JOB = _job("ablation_table", "ablation/{dataset}", timed=True)

# The report's figures (report.smk).
FIGURES_DIR = "results/figures/{dataset}"
FIGURE_NAMES = ("au_scores.png", "mer_confusion.png", "attention.png", "similarity.png", "tsne.png")
FIGURE_NAMES += ("loss_curves.png", "runtimes.png", "provenance.html", "tables.html")
FIGURES: dict[str, str] = {
    name: _result(f"{FIGURES_DIR}/{name}", "figures", "evaluation/report.py") for name in FIGURE_NAMES
}
"""File name -> pattern of each figure of a dataset's report."""
FIGURES_JOB = _job("figures", "figures/{dataset}")

# Spotting in long videos (spotting.smk).
LONG_RELEASE_DIR = "results/spotting/{long_dataset}/release"
LONG_RELEASE_TRUTH = _result(f"{LONG_RELEASE_DIR}/truth.csv", "synthesize_long", "io/intervals.py")
LONG_RELEASE_RECORD = _result(
    f"{LONG_RELEASE_DIR}/synthesis.json", "synthesize_long", "datasets/generators/synthetic_long.py"
)
LONG_RELEASE_VIDEOS = _result(f"{LONG_RELEASE_DIR}/videos", "synthesize_long", "preprocess/video.py")
SYNTHESIZE_LONG_JOB = _job("synthesize_long", "synthesize_long/{long_dataset}", timed=True)
SPOT_VIDEOS = _result("results/spotting/{long_dataset}/videos.tsv", "spot_index", "io/video_table.py")
SPOT_TRUTH = _result("results/spotting/{long_dataset}/truth.csv", "spot_index", "io/intervals.py")
SPOT_SKIPPED = _result("results/spotting/{long_dataset}/skipped.tsv", "spot_index", "io/video_table.py")
SPOT_INDEX_JOB = _job("spot_index", "spot_index/{long_dataset}")
SPOTTED = _result("results/spotting/{long_dataset}/spotted/{video}.csv", "spot", "io/intervals.py")
SPOT_REVIEW = _result("results/spotting/{long_dataset}/review/{video}.html", "spot", "inference/review.py")
SPOT_JOB = _job("spot", "spot/{long_dataset}/{video}", timed=True)
RECOGNISED = _result("results/spotting/{long_dataset}/recognised/{video}.csv", "recognise_spotted", "spotting/spot.py")
RECOGNISE_SPOTTED_JOB = _job("recognise_spotted", "recognise_spotted/{long_dataset}/{video}", timed=True)
SPOTTING_TABLE = _result("results/{long_dataset}_spotting_table.csv", "spotting_table", "io/result_tables.py")
SPOTTING_TABLE_META = _result(
    "results/{long_dataset}_spotting_table.meta.json", "spotting_table", "io/result_tables.py"
)
SPOTTING_TABLE_JOB = _job("spotting_table", "spotting_table/{long_dataset}")
