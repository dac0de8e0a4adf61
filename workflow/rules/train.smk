# The one training rule: train_composite, train_cross (protocols.smk) and final_model (report.smk)
# reuse it with their own files and split flags. Every run writes training_set.json (the subjects it
# trained on), which the leak checks of the protocol tables read.
rule train:
    input:
        features=features_of,
    output:
        predictions="results/train/{dataset}/{variant}/seed{seed}/{subject}/predictions.csv",
        features="results/train/{dataset}/{variant}/seed{seed}/{subject}/features.npz",
        model="results/train/{dataset}/{variant}/seed{seed}/{subject}/model.pt",
        history="results/train/{dataset}/{variant}/seed{seed}/{subject}/history.csv",
        training_set="results/train/{dataset}/{variant}/seed{seed}/{subject}/training_set.json",
    log:
        "results/logs/train/{dataset}/{variant}/seed{seed}/{subject}.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{variant}/seed{seed}/{subject}.tsv"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        device=config["train"]["device"],
        checkpoint_seconds=config["train"]["checkpoint_seconds"],
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        split=lambda wc: f"--held-out {shlex.quote(wc.subject)}",
        settings=train_settings,
        options=model_options,
        preprocess=PREPROCESS_JSON,
        out_dir=lambda wc, output: Path(output.model).parent,
    shell:
        "microau train --features {input.features} {params.split} --out-dir {params.out_dir:q}"
        " --settings {params.settings:q} --options {params.options:q}"
        " --preprocess {params.preprocess:q} --threads {threads} --device {resources.device}"
        " --checkpoint-seconds {resources.checkpoint_seconds} > {log:q} 2>&1"


rule train_all:
    input:
        target_run_files("predictions.csv"),
