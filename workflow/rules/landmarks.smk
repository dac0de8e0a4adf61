rule landmarks:
    input:
        apex="results/frames/{dataset}/{sample}/apex.png",
        box="results/frames/{dataset}/{sample}/box.json",
    output:
        "results/landmarks/{dataset}/{sample}.csv",
    log:
        "results/logs/landmarks/{dataset}/{sample}.log",
    threads: 1
    params:
        method=config["landmarks"]["method"],
        size=config["flow"]["image_size"],
    shell:
        "microau landmarks --apex {input.apex} --box {input.box} --method {params.method}"
        " --image-size {params.size} --out {output} --threads {threads} > {log} 2>&1"


rule landmarks_all:
    input:
        all_targets("results/landmarks/{dataset}/{sample}.csv"),
