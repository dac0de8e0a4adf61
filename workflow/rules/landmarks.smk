rule landmarks:
    input:
        apex="results/frames/{dataset}/{sample}/apex.png",
    output:
        "results/landmarks/{dataset}/{sample}.csv",
    log:
        "results/logs/landmarks/{dataset}/{sample}.log",
    conda:
        "../../envs/preprocess.yaml"
    threads: 1
    params:
        size=config["flow"]["image_size"],
    shell:
        "microau landmarks --apex {input.apex} --image-size {params.size} --out {output} --threads {threads} > {log} 2>&1"


rule landmarks_all:
    input:
        all_targets("results/landmarks/{dataset}/{sample}.csv"),
