rule aggregate:
    input:
        predictions=main_run_inputs(paths.TRAIN_PREDICTIONS),
        weights=from_wildcards(plan.weights_path, "dataset"),
        faces_report=paths.FACES_REPORT,
    output:
        table=paths.TABLE,
        mer=paths.MER_TABLE,
        folds=paths.FOLDS,
        table_meta=paths.TABLE_META,
        mer_meta=paths.MER_TABLE_META,
        folds_meta=paths.FOLDS_META,
        pooled=paths.POOLED_PREDICTIONS,
        provenance=paths.PROVENANCE,
    log:
        paths.AGGREGATE_JOB.log,
    params:
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
        mer_texts=config["mer"]["texts"],
        bootstrap=BOOTSTRAP_OPTIONS,
    shell:
        "microau aggregate --dataset {wildcards.dataset} --predictions {input.predictions}"
        " --weights {input.weights} --config-json {params.config_json:q} --config-hash {params.config_hash}"
        " --table {output.table} --mer-table {output.mer} --folds {output.folds}"
        " --provenance {output.provenance} --pooled-predictions {output.pooled} --faces-report {input.faces_report}"
        " --mer-texts {params.mer_texts} {params.bootstrap} > {log} 2>&1"


rule tables_all:
    input:
        expand(paths.TABLE, dataset=config["targets"]),
        expand(paths.MER_TABLE, dataset=config["targets"]),
