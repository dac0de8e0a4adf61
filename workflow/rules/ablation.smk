wildcard_constraints:
    group="|".join(PAPER_TABLES),


rule ablation_group:
    input:
        runs=ablation_inputs,
        weights=weights_of,
    output:
        table="results/ablation/{dataset}/table_{group}.csv",
        folds="results/ablation/{dataset}/table_{group}_folds.csv",
        table_meta="results/ablation/{dataset}/table_{group}.meta.json",
        folds_meta="results/ablation/{dataset}/table_{group}_folds.meta.json",
    log:
        "results/logs/ablation/{dataset}/table_{group}.log",
    benchmark:
        "results/benchmarks/ablation/{dataset}/table_{group}.tsv"
    params:
        runs=lambda wc: json.dumps(ablation_runs(wc.dataset, wc.group), sort_keys=True),
        subjects=lambda wc: " ".join(map(shlex.quote, subjects_of(wc.dataset))),
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
        paper=lambda wc: paper_dataset_option(wc.dataset),
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
            "results/ablation/{dataset}/table_{group}.csv",
            dataset=wc.dataset,
            group=config["ablation"]["tables"],
        ),
        weights=weights_of,
    output:
        table="results/{dataset}_ablation_table.csv",
        table_meta="results/{dataset}_ablation_table.meta.json",
        provenance="results/{dataset}_ablation_provenance.json",
    log:
        "results/logs/ablation/{dataset}.log",
    benchmark:
        "results/benchmarks/ablation/{dataset}.tsv"
    params:
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
    shell:
        "microau ablation-table --groups {input.groups} --out {output.table}"
        " --weights {input.weights} --config-json {params.config_json:q} --config-hash {params.config_hash}"
        " --provenance {output.provenance} > {log} 2>&1"


rule ablation_all:
    input:
        expand("results/{dataset}_ablation_table.csv", dataset=config["targets"]),


for _group in PAPER_TABLES:

    rule:
        name:
            f"ablation_{_group}"
        input:
            expand(
                "results/ablation/{dataset}/table_{group}.csv",
                dataset=config["targets"],
                group=_group,
            ),
