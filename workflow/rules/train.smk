rule train:
    input:
        features=features_of,
    output:
        predictions="results/train/{dataset}/{variant}/seed{seed}/{subject}/predictions.csv",
        features="results/train/{dataset}/{variant}/seed{seed}/{subject}/features.npz",
        model="results/train/{dataset}/{variant}/seed{seed}/{subject}/model.pt",
        history="results/train/{dataset}/{variant}/seed{seed}/{subject}/history.csv",
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
        settings=train_settings,
        options=model_options,
        preprocess=PREPROCESS_JSON,
        out_dir=lambda wc, output: Path(output.predictions).parent,
    shell:
        "microau train --features {input.features} --held-out {wildcards.subject}"
        " --out-dir {params.out_dir} --settings {params.settings:q} --options {params.options:q}"
        " --preprocess {params.preprocess:q} --threads {threads} --device {resources.device}"
        " --checkpoint-seconds {resources.checkpoint_seconds} > {log} 2>&1"


rule train_all:
    input:
        target_run_files("predictions.csv"),
