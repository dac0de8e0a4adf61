rule landmarks:
    input:
        apex=paths.FRAMES_APEX,
        box=paths.FRAMES_BOX,
    output:
        paths.LANDMARKS_CSV,
    log:
        paths.LANDMARKS_JOB.log,
    threads: 1
    params:
        method=config["landmarks"]["method"],
        size=config["flow"]["image_size"],
    shell:
        "microau landmarks --apex {input.apex} --box {input.box} --method {params.method}"
        " --image-size {params.size} --out {output} --threads {threads} > {log} 2>&1"


rule landmarks_all:
    input:
        all_targets(paths.LANDMARKS_CSV),
