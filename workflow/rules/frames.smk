checkpoint faces:
    input:
        samples="results/index/{dataset}/samples.tsv",
        validation="results/index/{dataset}/validation.tsv",
    output:
        samples="results/faces/{dataset}/samples.tsv",
        report="results/faces/{dataset}/report.tsv",
        validation="results/faces/{dataset}/validation.tsv",
    log:
        "results/logs/faces/{dataset}.log",
    benchmark:
        "results/benchmarks/faces/{dataset}.tsv"
    threads: 1
    params:
        on_missing_face=config["frames"]["on_missing_face"],
    shell:
        "microau faces --samples {input.samples} --out {output.samples}"
        " --report {output.report} --index-validation {input.validation}"
        " --validation {output.validation} --on-missing-face {params.on_missing_face}"
        " --threads {threads} > {log} 2>&1"


rule frames:
    input:
        faces="results/faces/{dataset}/samples.tsv",
    output:
        onset="results/frames/{dataset}/{sample}/onset.png",
        apex="results/frames/{dataset}/{sample}/apex.png",
        box="results/frames/{dataset}/{sample}/box.json",
    log:
        "results/logs/frames/{dataset}/{sample}.log",
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
        all_targets("results/frames/{dataset}/{sample}/apex.png"),
