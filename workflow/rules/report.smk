# Figures of the Snakemake report (`snakemake --report results/report.html figures_all`), and the
# final model that `microau predict` uses.


rule figures:
    input:
        table="results/{dataset}_table.csv",
        mer_table="results/{dataset}_mer_table.csv",
        provenance="results/{dataset}_provenance.json",
        cache=features_of,
        predictions=main_run_files("predictions.csv"),
        features=main_run_files("features.npz"),
        histories=main_run_files("history.csv"),
        apex=per_sample("results/frames/{dataset}/{sample}/apex.png"),
        landmarks=per_sample("results/landmarks/{dataset}/{sample}.csv"),
        benchmarks=run_benchmarks,
    output:
        au_scores=report(
            "results/figures/{dataset}/au_scores.png",
            caption="../report/au_scores.rst",
            category="{dataset}",
            subcategory="1 scores",
            labels={"figure": "AU detection: F1 and ACC"},
        ),
        mer_confusion=report(
            "results/figures/{dataset}/mer_confusion.png",
            caption="../report/mer_confusion.rst",
            category="{dataset}",
            subcategory="1 scores",
            labels={"figure": "zero-shot MER confusion matrix"},
        ),
        attention=report(
            "results/figures/{dataset}/attention.png",
            caption="../report/attention.rst",
            category="{dataset}",
            subcategory="2 what the model sees",
            labels={"figure": "PTA weights on apex frames (Fig. 5)"},
        ),
        similarity=report(
            "results/figures/{dataset}/similarity.png",
            caption="../report/similarity.rst",
            category="{dataset}",
            subcategory="2 what the model sees",
            labels={"figure": "similarity matrix (Fig. 6)"},
        ),
        tsne=report(
            "results/figures/{dataset}/tsne.png",
            caption="../report/tsne.rst",
            category="{dataset}",
            subcategory="2 what the model sees",
            labels={"figure": "t-SNE of AU features (Fig. 7)"},
        ),
        loss_curves=report(
            "results/figures/{dataset}/loss_curves.png",
            caption="../report/loss_curves.rst",
            category="{dataset}",
            subcategory="3 training and provenance",
            labels={"figure": "training losses"},
        ),
        runtimes=report(
            "results/figures/{dataset}/runtimes.png",
            caption="../report/runtimes.rst",
            category="{dataset}",
            subcategory="3 training and provenance",
            labels={"figure": "run times"},
        ),
        provenance=report(
            "results/figures/{dataset}/provenance.html",
            caption="../report/provenance.rst",
            category="{dataset}",
            subcategory="3 training and provenance",
            labels={"figure": "provenance"},
        ),
        tables=report(
            "results/figures/{dataset}/tables.html",
            caption="../report/tables.rst",
            category="{dataset}",
            subcategory="1 scores",
            labels={"figure": "AU and MER tables"},
        ),
    log:
        "results/logs/figures/{dataset}.log",
    params:
        folds=lambda wc, input: [str(Path(path).parent) for path in input.predictions],
        au=report_au,
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
        model="results/final/{dataset}/{variant}/seed{seed}/model.pt",
        history="results/final/{dataset}/{variant}/seed{seed}/history.csv",
        training_set="results/final/{dataset}/{variant}/seed{seed}/training_set.json",
    log:
        "results/logs/final/{dataset}/{variant}/seed{seed}.log",
    benchmark:
        "results/benchmarks/final/{dataset}/{variant}/seed{seed}.tsv"
    params:
        split="--all-subjects",
