# The one training rule: train_composite, train_cross (protocols.smk) and final_model (report.smk)
# reuse it with their own files and split flags. Every run writes training_set.json (the subjects it
# trained on), which the leak checks of the protocol tables read.
rule train:
    input:
        features=from_wildcards(plan.features_path, "dataset"),
    output:
        predictions=paths.TRAIN_PREDICTIONS,
        features=paths.TRAIN_FEATURES,
        model=paths.TRAIN_MODEL,
        history=paths.TRAIN_HISTORY,
        training_set=paths.TRAIN_TRAINING_SET,
    log:
        paths.TRAIN_JOB.log,
    benchmark:
        paths.TRAIN_JOB.benchmark
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        device=config["train"]["device"],
        checkpoint_seconds=config["train"]["checkpoint_seconds"],
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        split=lambda wc: f"--held-out {shlex.quote(wc.subject)}",
        settings=from_wildcards(
            plan.train_settings, "dataset", "variant", "seed", as_json=True
        ),
        options=from_wildcards(plan.model_options, "dataset", "variant", as_json=True),
        preprocess=PREPROCESS_JSON,
        out_dir=lambda wc, output: Path(output.model).parent,
    shell:
        "microau train --features {input.features} {params.split} --out-dir {params.out_dir:q}"
        " --settings {params.settings:q} --options {params.options:q}"
        " --preprocess {params.preprocess:q} --threads {threads} --device {resources.device}"
        " --checkpoint-seconds {resources.checkpoint_seconds} > {log:q} 2>&1"


rule train_all:
    input:
        main_run_inputs(paths.TRAIN_PREDICTIONS, lambda wc: config["targets"]),
