checkpoint index:
    input:
        from_wildcards(plan.index_inputs, "dataset"),
    output:
        samples=paths.INDEX_SAMPLES,
        validation=paths.INDEX_VALIDATION,
        clips=directory(paths.INDEX_CLIPS),
    log:
        paths.INDEX_JOB.log,
    params:
        reader=lambda wc: config["datasets"][wc.dataset]["reader"],
        root=from_wildcards(plan.release_root, "dataset"),
        aus=lambda wc: ",".join(map(str, config["datasets"][wc.dataset]["aus"])),
        layout=lambda wc: config["datasets"][wc.dataset]["frames_layout"],
        missing_apex=config["frames"]["missing_apex"],
        extra=from_wildcards(plan.index_options, "dataset"),
    shell:
        "microau index --reader {params.reader} --dataset {wildcards.dataset} --root {params.root:q}"
        " --aus {params.aus} --frames-layout {params.layout}"
        " --missing-apex {params.missing_apex} {params.extra}"
        " --out {output.samples} --validation {output.validation}"
        " --clips-dir {output.clips} > {log} 2>&1"


rule index_all:
    input:
        expand(paths.INDEX_SAMPLES, dataset=config["targets"]),
