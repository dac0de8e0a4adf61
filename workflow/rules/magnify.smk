rule magnify:
    input:
        onset=paths.FRAMES_ONSET,
        apex=paths.FRAMES_APEX,
    output:
        paths.MAGNIFY_APEX,
    log:
        paths.MAGNIFY_JOB.log,
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
        all_targets(paths.MAGNIFY_APEX),
