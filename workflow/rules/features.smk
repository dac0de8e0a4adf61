localrules:
    weights,


rule weights:
    output:
        "results/weights/{encoder}.json",
    log:
        "results/logs/weights/{encoder}.log",
    conda:
        "../../envs/clip.yaml"
    params:
        model=config["clip"]["model"],
        pretrained=config["clip"]["pretrained"],
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
    conda:
        "../../envs/clip.yaml"
    threads: config["train"]["threads"]
    params:
        model=config["clip"]["model"],
        pretrained=config["clip"]["pretrained"],
        k=config["clip"]["trainable_blocks"],
        aus=lambda wc: ",".join(map(str, dataset_settings(wc.dataset)["aus"])),
        config_hash=stage_hash("frames", "magnify", "flow", "clip"),
    shell:
        "microau features --samples {input.samples} --flow-dir results/flow/{wildcards.dataset}"
        " --landmarks-dir results/landmarks/{wildcards.dataset} --model {params.model}"
        " --pretrained {params.pretrained:q} --trainable-blocks {params.k} --aus {params.aus}"
        " --config-hash {params.config_hash} --threads {threads} --out {output} > {log} 2>&1"


rule features_all:
    input:
        expand(
            "results/features/{dataset}/{encoder}.h5",
            dataset=config["targets"],
            encoder=encoder_id(),
        ),
