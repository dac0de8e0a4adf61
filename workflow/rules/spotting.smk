# Spotting expressions in long videos (docs/spotting.md): index a long-video release, spot each
# video in its own job, score the dataset as MEGC does.


wildcard_constraints:
    long_dataset="|".join(map(re.escape, config["spotting_datasets"])) or "^$",
    video=r"[^/]+",


rule synthesize_long:
    output:
        truth=paths.LONG_RELEASE_TRUTH,
        record=paths.LONG_RELEASE_RECORD,
        videos=directory(paths.LONG_RELEASE_VIDEOS),
    log:
        paths.SYNTHESIZE_LONG_JOB.log,
    benchmark:
        paths.SYNTHESIZE_LONG_JOB.benchmark
    params:
        seed=config["synthetic_long"]["seed"],
        subjects=config["synthetic_long"]["subjects"],
        fps=config["synthetic_long"]["fps"],
        duration=config["synthetic_long"]["duration_s"],
        per_minute=config["synthetic_long"]["expressions_per_minute"],
        head=config["synthetic_long"]["head_motion"],
        expressions=config["synthetic_long"]["expression_set"],
        out=lambda wc, output: Path(output.record).parent,
    shell:
        "microau synthesize-long --out {params.out:q} --seed {params.seed} --subject-count {params.subjects}"
        " --fps {params.fps} --duration-s {params.duration} --expressions-per-minute {params.per_minute}"
        " --head-motion {params.head} --expression-set {params.expressions} > {log} 2>&1"


checkpoint spot_index:
    input:
        from_wildcards(plan.spot_index_inputs, "long_dataset"),
    output:
        videos=paths.SPOT_VIDEOS,
        truth=paths.SPOT_TRUTH,
        skipped=paths.SPOT_SKIPPED,
    log:
        paths.SPOT_INDEX_JOB.log,
    params:
        reader=lambda wc: config["spotting_datasets"][wc.long_dataset]["reader"],
        root=from_wildcards(plan.spotting_release_root, "long_dataset"),
        extra=from_wildcards(plan.spot_index_options, "long_dataset"),
        out=lambda wc, output: Path(output.videos).parent,
    shell:
        "microau spot-index --reader {params.reader} --root {params.root:q} {params.extra}"
        " --out-dir {params.out:q} > {log} 2>&1"


rule spot:
    input:
        videos=paths.SPOT_VIDEOS,
        truth=paths.SPOT_TRUTH,
    output:
        intervals=paths.SPOTTED,
        review=report(
            paths.SPOT_REVIEW,
            caption="../report/spotting_review.rst",
            category="spotting {long_dataset}",
            labels={"video": "{video}"},
        ),
    log:
        paths.SPOT_JOB.log,
    benchmark:
        paths.SPOT_JOB.benchmark
    threads: 1
    params:
        source=lambda wc: long_video(wc)["source"],
        fps=lambda wc: long_video(wc)["fps"],
        subject=lambda wc: long_video(wc)["subject"],
        kinds=lambda wc: " ".join(planned(plan.spotting_kinds)(wc.long_dataset)),
        settings=SPOTTING_JSON,
        review_dir=lambda wc, output: Path(output.review).parent,
    shell:
        "microau spot --video {params.source:q} --fps {params.fps} --name {wildcards.video}"
        " --subject {params.subject} --kinds {params.kinds} --settings-json {params.settings:q}"
        " --out {output.intervals} --review {params.review_dir:q} --truth {input.truth}"
        " --threads {threads} --quiet > {log} 2>&1"


rule recognise_spotted:
    input:
        videos=paths.SPOT_VIDEOS,
        spotted=paths.SPOTTED,
        model=lambda wc: recogniser(wc.long_dataset, long_video(wc)["subject"])["model"],
    output:
        paths.RECOGNISED,
    log:
        paths.RECOGNISE_SPOTTED_JOB.log,
    benchmark:
        paths.RECOGNISE_SPOTTED_JOB.benchmark
    threads: 1
    resources:
        device=config["train"]["device"],
    params:
        source=lambda wc: long_video(wc)["source"],
        fps=lambda wc: long_video(wc)["fps"],
        settings=SPOTTING_JSON,
    shell:
        "microau spot --video {params.source:q} --fps {params.fps} --name {wildcards.video}"
        " --intervals {input.spotted} --model {input.model} --device {resources.device}"
        " --settings-json {params.settings:q} --out {output} --threads {threads} --jobs {threads}"
        " --quiet > {log} 2>&1"


rule spotting_table:
    input:
        videos=paths.SPOT_VIDEOS,
        truth=paths.SPOT_TRUTH,
        spotted=spotted_videos,
        recognised=recognised_videos,
        training_sets=recognisers_training_sets,
    output:
        table=paths.SPOTTING_TABLE,
        table_meta=paths.SPOTTING_TABLE_META,
    log:
        paths.SPOTTING_TABLE_JOB.log,
    params:
        kinds=lambda wc: " ".join(planned(plan.spotting_kinds)(wc.long_dataset)),
        settings=SPOTTING_JSON,
        config_hash=CONFIG_HASH,
        bootstrap=BOOTSTRAP_OPTIONS,
        recognition=recognition_options,
    shell:
        "microau spotting-table --dataset {wildcards.long_dataset} --videos {input.videos} --truth {input.truth}"
        " --spotted {input.spotted} --kinds {params.kinds} --settings-json {params.settings:q}"
        " --config-hash {params.config_hash} {params.bootstrap} {params.recognition} --table {output.table} > {log} 2>&1"


rule spotting_all:
    input:
        expand(
            paths.SPOTTING_TABLE,
            long_dataset=config["spotting_targets"],
        ),
