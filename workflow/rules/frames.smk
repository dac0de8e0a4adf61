checkpoint faces:
    input:
        samples=paths.INDEX_SAMPLES,
    output:
        samples=paths.FACES_SAMPLES,
        report=paths.FACES_REPORT,
    log:
        paths.FACES_JOB.log,
    benchmark:
        paths.FACES_JOB.benchmark
    threads: 1
    shell:
        "microau faces --samples {input.samples} --out {output.samples}"
        " --report {output.report} --threads {threads} > {log} 2>&1"


rule frames:
    input:
        faces=paths.FACES_SAMPLES,
    output:
        onset=paths.FRAMES_ONSET,
        apex=paths.FRAMES_APEX,
        box=paths.FRAMES_BOX,
    log:
        paths.FRAMES_JOB.log,
    threads: 1
    params:
        size=config["frames"]["size"],
        margin=config["frames"]["margin"],
        out_dir=lambda wc, output: Path(output.onset).parent,
    shell:
        "microau frames --faces {input.faces} --sample {wildcards.sample}"
        " --size {params.size} --margin {params.margin}"
        " --out-dir {params.out_dir:q} --threads {threads} > {log} 2>&1"


rule frames_all:
    input:
        all_targets(paths.FRAMES_APEX),
