rule flow:
    input:
        onset=paths.FRAMES_ONSET,
        apex=paths.MAGNIFY_APEX,
    output:
        npz=paths.FLOW_NPZ,
        image=paths.FLOW_IMAGE,
    log:
        paths.FLOW_JOB.log,
    threads: 1
    params:
        size=config["flow"]["image_size"],
        channel=config["flow"]["third_channel"],
        clip_px=config["flow"]["clip_px"],
        median=(
            "--subtract-median"
            if config["flow"]["subtract_median"]
            else "--no-subtract-median"
        ),
    shell:
        "microau flow --onset {input.onset} --apex {input.apex} --image-size {params.size}"
        " --third-channel {params.channel} --clip-px {params.clip_px} {params.median}"
        " --out-npz {output.npz} --out-image {output.image} --threads {threads} > {log} 2>&1"


rule flow_all:
    input:
        all_targets(paths.FLOW_IMAGE),
