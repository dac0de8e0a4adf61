localrules:
    weights,


rule weights:
    output:
        paths.WEIGHTS_RECORD,
    log:
        paths.WEIGHTS_JOB.log,
    params:
        clip=from_wildcards(plan.encoder_clip, "encoder"),
    shell:
        "microau weights --model {params.clip[model]} --pretrained {params.clip[pretrained]:q}"
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
        clip=from_wildcards(plan.features_clip, "dataset", "encoder"),
        aus=lambda wc: ",".join(map(str, config["datasets"][wc.dataset]["aus"])),
        config_hash=from_wildcards(plan.features_hash, "dataset"),
        flow_dir=lambda wc, input: Path(input.flow[0]).parent,
        landmarks_dir=lambda wc, input: Path(input.landmarks[0]).parent,
    shell:
        "microau features --samples {input.samples} --flow-dir {params.flow_dir:q}"
        " --landmarks-dir {params.landmarks_dir:q} --model {params.clip[model]}"
        " --pretrained {params.clip[pretrained]:q} --trainable-blocks {params.clip[trainable_blocks]}"
        " --aus {params.aus} --config-hash {params.config_hash} --threads {threads} --device {resources.device}"
        " --out {output} > {log} 2>&1"


rule features_all:
    input:
        [planned(plan.features_path)(dataset) for dataset in config["targets"]],
