# Spotting expressions in long videos (docs/spotting.md): index a long-video release, spot each
# video in its own job, score the dataset as MEGC does.


wildcard_constraints:
    long_dataset="|".join(map(re.escape, config["spotting_datasets"])) or "^$",
    video=r"[^/]+",


rule synthesize_long:
    output:
        truth="results/spotting/{long_dataset}/release/truth.csv",
        record="results/spotting/{long_dataset}/release/synthesis.json",
        videos=directory("results/spotting/{long_dataset}/release/videos"),
    log:
        "results/logs/synthesize_long/{long_dataset}.log",
    benchmark:
        "results/benchmarks/synthesize_long/{long_dataset}.tsv"
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
        spot_index_input,
    output:
        videos="results/spotting/{long_dataset}/videos.tsv",
        truth="results/spotting/{long_dataset}/truth.csv",
        skipped="results/spotting/{long_dataset}/skipped.tsv",
    log:
        "results/logs/spot_index/{long_dataset}.log",
    params:
        reader=lambda wc: config["spotting_datasets"][wc.long_dataset]["reader"],
        root=lambda wc: spotting_release_root(wc.long_dataset),
        extra=lambda wc: planned(plan.spot_index_options)(wc.long_dataset),
        out=lambda wc, output: Path(output.videos).parent,
    shell:
        "microau spot-index --reader {params.reader} --root {params.root:q} {params.extra}"
        " --out-dir {params.out:q} > {log} 2>&1"


rule spot:
    input:
        videos="results/spotting/{long_dataset}/videos.tsv",
        truth="results/spotting/{long_dataset}/truth.csv",
    output:
        intervals="results/spotting/{long_dataset}/spotted/{video}.csv",
        review=report(
            "results/spotting/{long_dataset}/review/{video}.html",
            caption="../report/spotting_review.rst",
            category="spotting {long_dataset}",
            labels={"video": "{video}"},
        ),
    log:
        "results/logs/spot/{long_dataset}/{video}.log",
    benchmark:
        "results/benchmarks/spot/{long_dataset}/{video}.tsv"
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
        videos="results/spotting/{long_dataset}/videos.tsv",
        spotted="results/spotting/{long_dataset}/spotted/{video}.csv",
        model=lambda wc: recogniser_of(wc)["model"],
    output:
        "results/spotting/{long_dataset}/recognised/{video}.csv",
    log:
        "results/logs/recognise_spotted/{long_dataset}/{video}.log",
    benchmark:
        "results/benchmarks/recognise_spotted/{long_dataset}/{video}.tsv"
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
        videos="results/spotting/{long_dataset}/videos.tsv",
        truth="results/spotting/{long_dataset}/truth.csv",
        spotted=spotted_videos,
        recognised=recognised_videos,
        training_sets=recognisers_training_sets,
    output:
        table="results/{long_dataset}_spotting_table.csv",
        table_meta="results/{long_dataset}_spotting_table.meta.json",
    log:
        "results/logs/spotting_table/{long_dataset}.log",
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
            "results/{long_dataset}_spotting_table.csv",
            long_dataset=config["spotting_targets"],
        ),
