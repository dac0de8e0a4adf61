def train_settings(wildcards):
    dataset = dataset_settings(wildcards.dataset)
    variant = config["variants"][wildcards.variant]
    settings = {
        key: dataset[key]
        for key in ("epochs", "batch_size", "lr_drop_epoch", "alpha", "beta")
    }
    settings.update(
        {k: v for k, v in config["train"].items() if k not in ("threads", "mem_mb", "runtime")}
    )
    settings["contrastive"] = variant.get("contrastive", "miaucl")
    settings["mer_classes"] = config["mer"]["classes"]
    return json.dumps(settings, sort_keys=True)


def model_options(wildcards):
    variant = config["variants"][wildcards.variant]
    return json.dumps({k: v for k, v in variant.items() if k != "contrastive"}, sort_keys=True)


rule train:
    input:
        features=f"results/features/{{dataset}}/{encoder_id()}.h5",
    output:
        predictions="results/train/{dataset}/{variant}/{subject}/predictions.csv",
        features="results/train/{dataset}/{variant}/{subject}/features.npz",
        model="results/train/{dataset}/{variant}/{subject}/model.pt",
        history="results/train/{dataset}/{variant}/{subject}/history.csv",
    params:
        settings=train_settings,
        options=model_options,
        out_dir=lambda wc, output: Path(output.predictions).parent,
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    log:
        "results/logs/train/{dataset}/{variant}/{subject}.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{variant}/{subject}.tsv"
    conda:
        "../../envs/clip.yaml"
    shell:
        "microau train --features {input.features} --held-out {wildcards.subject}"
        " --out-dir {params.out_dir} --settings {params.settings:q} --options {params.options:q}"
        " --threads {threads} > {log} 2>&1"


rule train_all:
    input:
        lambda wc: [
            path
            for dataset in config["targets"]
            for path in expand(
                "results/train/{dataset}/{variant}/{subject}/predictions.csv",
                dataset=dataset,
                variant=config["variant"],
                subject=subjects_of(dataset),
            )
        ],
