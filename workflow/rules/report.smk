# Figures of the Snakemake report (`snakemake --report results/report.html figures_all`), and the
# final model that `microau predict` uses.


rule figures:
    input:
        table=paths.TABLE,
        mer_table=paths.MER_TABLE,
        provenance=paths.PROVENANCE,
        cache=from_wildcards(plan.features_path, "dataset"),
        predictions=main_run_inputs(paths.TRAIN_PREDICTIONS),
        features=main_run_inputs(paths.TRAIN_FEATURES),
        histories=main_run_inputs(paths.TRAIN_HISTORY),
        apex=per_sample(paths.FRAMES_APEX),
        landmarks=per_sample(paths.LANDMARKS_CSV),
        benchmarks=run_benchmark_inputs,
    output:
        au_scores=report(
            paths.FIGURES["au_scores.png"],
            caption="../report/au_scores.rst",
            category="{dataset}",
            subcategory="1 scores",
            labels={"figure": "AU detection: F1 and ACC"},
        ),
        mer_confusion=report(
            paths.FIGURES["mer_confusion.png"],
            caption="../report/mer_confusion.rst",
            category="{dataset}",
            subcategory="1 scores",
            labels={"figure": "zero-shot MER confusion matrix"},
        ),
        attention=report(
            paths.FIGURES["attention.png"],
            caption="../report/attention.rst",
            category="{dataset}",
            subcategory="2 what the model sees",
            labels={"figure": "PTA weights on apex frames (Fig. 5)"},
        ),
        similarity=report(
            paths.FIGURES["similarity.png"],
            caption="../report/similarity.rst",
            category="{dataset}",
            subcategory="2 what the model sees",
            labels={"figure": "similarity matrix (Fig. 6)"},
        ),
        tsne=report(
            paths.FIGURES["tsne.png"],
            caption="../report/tsne.rst",
            category="{dataset}",
            subcategory="2 what the model sees",
            labels={"figure": "t-SNE of AU features (Fig. 7)"},
        ),
        loss_curves=report(
            paths.FIGURES["loss_curves.png"],
            caption="../report/loss_curves.rst",
            category="{dataset}",
            subcategory="3 training and provenance",
            labels={"figure": "training losses"},
        ),
        runtimes=report(
            paths.FIGURES["runtimes.png"],
            caption="../report/runtimes.rst",
            category="{dataset}",
            subcategory="3 training and provenance",
            labels={"figure": "run times"},
        ),
        provenance=report(
            paths.FIGURES["provenance.html"],
            caption="../report/provenance.rst",
            category="{dataset}",
            subcategory="3 training and provenance",
            labels={"figure": "provenance"},
        ),
        tables=report(
            paths.FIGURES["tables.html"],
            caption="../report/tables.rst",
            category="{dataset}",
            subcategory="1 scores",
            labels={"figure": "AU and MER tables"},
        ),
    log:
        paths.FIGURES_JOB.log,
    params:
        folds=lambda wc, input: [str(Path(path).parent) for path in input.predictions],
        au=from_wildcards(plan.report_au, "dataset"),
        samples=config["report"]["samples"],
        mer_texts=config["mer"]["texts"],
        out_dir=lambda wc, output: Path(output.au_scores).parent,
        frames_dir=lambda wc, input: Path(input.apex[0]).parent.parent,
        landmarks_dir=lambda wc, input: Path(input.landmarks[0]).parent,
    shell:
        "microau figures --table {input.table} --mer-table {input.mer_table} --provenance {input.provenance} --cache {input.cache}"
        " --fold-dirs {params.folds} --frames-dir {params.frames_dir:q}"
        " --landmarks-dir {params.landmarks_dir:q} --benchmarks {input.benchmarks}"
        " --au {params.au} --sample-count {params.samples} --mer-texts {params.mer_texts}"
        " --out-dir {params.out_dir} > {log} 2>&1"


rule figures_all:
    input:
        expand(rules.figures.output, dataset=config["targets"]),


use rule train as final_model with:
    output:
        model=paths.FINAL_MODEL,
        history=paths.FINAL_HISTORY,
        training_set=paths.FINAL_TRAINING_SET,
    log:
        paths.FINAL_MODEL_JOB.log,
    benchmark:
        paths.FINAL_MODEL_JOB.benchmark
    params:
        split="--all-subjects",
