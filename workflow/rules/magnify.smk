rule magnify:
    input:
        onset="results/frames/{dataset}/{sample}/onset.png",
        apex="results/frames/{dataset}/{sample}/apex.png",
    output:
        "results/magnify/{dataset}/{sample}.png",
    log:
        "results/logs/magnify/{dataset}/{sample}.log",
    threads: 1
    params:
        method=config["magnify"]["method"],
        factor=config["magnify"]["factor"],
        levels=config["magnify"]["levels"],
    shell:
        "microau magnify --onset {input.onset} --apex {input.apex} --method {params.method}"
        " --factor {params.factor} --levels {params.levels} --out {output} --threads {threads} > {log} 2>&1"


rule magnify_all:
    input:
        all_targets("results/magnify/{dataset}/{sample}.png"),
