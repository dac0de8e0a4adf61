wildcard_constraints:
    group="|".join(PAPER_TABLES),


rule ablation_group:
    input:
        runs=ablation_run_inputs,
        weights=from_wildcards(plan.weights_path, "dataset"),
    output:
        table=paths.ABLATION_GROUP_TABLE,
        folds=paths.ABLATION_GROUP_FOLDS,
        table_meta=paths.ABLATION_GROUP_TABLE_META,
        folds_meta=paths.ABLATION_GROUP_FOLDS_META,
    log:
        paths.ABLATION_GROUP_JOB.log,
    benchmark:
        paths.ABLATION_GROUP_JOB.benchmark
    params:
        runs=from_wildcards(plan.ablation_runs, "dataset", "group", as_json=True),
        subjects=lambda wc: " ".join(map(shlex.quote, subjects_of(wc.dataset))),
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
        paper=from_wildcards(plan.paper_dataset_option, "dataset"),
        temperature=config["train"]["temperature"],
        bootstrap=BOOTSTRAP_OPTIONS,
    shell:
        "microau ablation --dataset {wildcards.dataset} --group {wildcards.group} --runs {params.runs:q}"
        " --subjects {params.subjects} --weights {input.weights} --config-json {params.config_json:q}"
        " --config-hash {params.config_hash} {params.paper} --temperature {params.temperature}"
        " --table {output.table} --folds {output.folds} {params.bootstrap} > {log} 2>&1"


rule ablation_table:
    input:
        groups=lambda wc: expand(
            paths.ABLATION_GROUP_TABLE,
            dataset=wc.dataset,
            group=config["ablation"]["tables"],
        ),
        weights=from_wildcards(plan.weights_path, "dataset"),
    output:
        table=paths.ABLATION_TABLE,
        table_meta=paths.ABLATION_TABLE_META,
        provenance=paths.ABLATION_PROVENANCE,
    log:
        paths.ABLATION_TABLE_JOB.log,
    benchmark:
        paths.ABLATION_TABLE_JOB.benchmark
    params:
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
    shell:
        "microau ablation-table --groups {input.groups} --out {output.table}"
        " --weights {input.weights} --config-json {params.config_json:q} --config-hash {params.config_hash}"
        " --provenance {output.provenance} > {log} 2>&1"


rule ablation_all:
    input:
        expand(paths.ABLATION_TABLE, dataset=config["targets"]),


for _group in PAPER_TABLES:

    rule:
        name:
            f"ablation_{_group}"
        input:
            expand(
                paths.ABLATION_GROUP_TABLE,
                dataset=config["targets"],
                group=_group,
            ),
