localrules:
    weights,


rule weights:
    output:
        "results/weights/{encoder}.json",
    log:
        "results/logs/weights/{encoder}.log",
    params:
        model=lambda wc: clip_of_encoder(wc)["model"],
        pretrained=lambda wc: clip_of_encoder(wc)["pretrained"],
    shell:
        "microau weights --model {params.model} --pretrained {params.pretrained:q}"
        " --out {output} > {log} 2>&1"


rule features:
    input:
        samples="results/faces/{dataset}/samples.tsv",
        weights="results/weights/{encoder}.json",
        flow=per_sample("results/flow/{dataset}/{sample}.png"),
        landmarks=per_sample("results/landmarks/{dataset}/{sample}.csv"),
    output:
        "results/features/{dataset}/{encoder}.h5",
    log:
        "results/logs/features/{dataset}/{encoder}.log",
    benchmark:
        "results/benchmarks/features/{dataset}/{encoder}.tsv"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        device=config["train"]["device"],
    params:
        model=lambda wc: dataset_encoder(wc)["model"],
        pretrained=lambda wc: dataset_encoder(wc)["pretrained"],
        k=lambda wc: dataset_encoder(wc)["trainable_blocks"],
        aus=lambda wc: ",".join(map(str, dataset_settings(wc.dataset)["aus"])),
        config_hash=lambda wc: planned(plan.features_hash)(wc.dataset),
        flow_dir=lambda wc, input: Path(input.flow[0]).parent,
        landmarks_dir=lambda wc, input: Path(input.landmarks[0]).parent,
        precision=config["train"]["precision"],
    shell:
        "microau features --samples {input.samples} --flow-dir {params.flow_dir:q}"
        " --landmarks-dir {params.landmarks_dir:q} --model {params.model}"
        " --pretrained {params.pretrained:q} --trainable-blocks {params.k} --aus {params.aus}"
        " --config-hash {params.config_hash} --threads {threads} --device {resources.device}"
        " --precision {params.precision} --out {output} > {log} 2>&1"


rule features_all:
    input:
        [
            f"results/features/{dataset}/{encoder_of(dataset)}.h5"
            for dataset in config["targets"]
        ],
