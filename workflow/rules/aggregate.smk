rule aggregate:
    input:
        predictions=main_run_files("predictions.csv"),
        weights=weights_of,
        faces_report="results/faces/{dataset}/report.tsv",
    output:
        table="results/{dataset}_table.csv",
        mer="results/{dataset}_mer_table.csv",
        folds="results/{dataset}_folds.csv",
        table_meta="results/{dataset}_table.meta.json",
        mer_meta="results/{dataset}_mer_table.meta.json",
        folds_meta="results/{dataset}_folds.meta.json",
        pooled="results/{dataset}_predictions.csv",
        provenance="results/{dataset}_provenance.json",
    log:
        "results/logs/aggregate/{dataset}.log",
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
        expand("results/{dataset}_table.csv", dataset=config["targets"]),
        expand("results/{dataset}_mer_table.csv", dataset=config["targets"]),
