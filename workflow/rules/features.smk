localrules:
    weights,


rule weights:
    output:
        paths.WEIGHTS_RECORD,
    log:
        paths.WEIGHTS_JOB.log,
    params:
        model=lambda wc: planned(plan.encoder_clip)(wc.encoder)["model"],
        pretrained=lambda wc: planned(plan.encoder_clip)(wc.encoder)["pretrained"],
    shell:
        "microau weights --model {params.model} --pretrained {params.pretrained:q}"
        " --out {output} > {log} 2>&1"


rule features:
    input:
        samples=paths.FACES_SAMPLES,
        weights=paths.WEIGHTS_RECORD,
        flow=per_sample(paths.FLOW_IMAGE),
        landmarks=per_sample(paths.LANDMARKS_CSV),
    output:
        paths.FEATURE_CACHE,
    log:
        paths.FEATURES_JOB.log,
    benchmark:
        paths.FEATURES_JOB.benchmark
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        device=config["train"]["device"],
    params:
        model=lambda wc: planned(plan.features_clip)(wc.dataset, wc.encoder)["model"],
        pretrained=lambda wc: planned(plan.features_clip)(wc.dataset, wc.encoder)[
            "pretrained"
        ],
        k=lambda wc: planned(plan.features_clip)(wc.dataset, wc.encoder)[
            "trainable_blocks"
        ],
        aus=lambda wc: ",".join(map(str, config["datasets"][wc.dataset]["aus"])),
        config_hash=from_wildcards(plan.features_hash, "dataset"),
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
        [planned(plan.features_path)(dataset) for dataset in config["targets"]],
