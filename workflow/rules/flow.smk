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
        scales=config["flow"]["tvl1_scales"],
        warps=config["flow"]["tvl1_warps"],
        epsilon=config["flow"]["tvl1_epsilon"],
        inner=config["flow"]["tvl1_inner_iterations"],
        outer=config["flow"]["tvl1_outer_iterations"],
        tvl1_size=config["flow"]["tvl1_size"] or "none",
        tvl1_start=config["flow"]["tvl1_start"],
    shell:
        "microau flow --onset {input.onset} --apex {input.apex} --image-size {params.size}"
        " --third-channel {params.channel} --clip-px {params.clip_px} {params.median}"
        " --tvl1-scales {params.scales} --tvl1-warps {params.warps} --tvl1-epsilon {params.epsilon}"
        " --tvl1-inner-iterations {params.inner} --tvl1-outer-iterations {params.outer}"
        " --tvl1-size {params.tvl1_size} --tvl1-start {params.tvl1_start}"
        " --out-npz {output.npz} --out-image {output.image} --threads {threads} > {log} 2>&1"


rule flow_all:
    input:
        all_targets(paths.FLOW_IMAGE),
