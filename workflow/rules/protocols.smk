# Composite (several datasets pooled, LOSO over all their subjects) and cross-dataset (train on one,
# test on another) protocols on the datasets' shared AUs. They read each dataset's own feature
# cache, so no dataset is preprocessed twice (docs/protocols.md).


use rule train as train_composite with:
    input:
        features=composite_features,
    output:
        predictions="results/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}/predictions.csv",
        features="results/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}/features.npz",
        model="results/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}/model.pt",
        history="results/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}/history.csv",
        training_set="results/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}/training_set.json",
    log:
        "results/logs/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}.log",
    benchmark:
        "results/benchmarks/train/composite/{composite}/{variant}/seed{seed}/{dataset}/{subject}.tsv"
    params:
        split=composite_split,
        settings=composite_settings,
        options=composite_options,


use rule train as train_cross with:
    input:
        features=cross_features,
    output:
        predictions="results/train/cross/{train}_to_{test}/{variant}/seed{seed}/predictions.csv",
        features="results/train/cross/{train}_to_{test}/{variant}/seed{seed}/features.npz",
        model="results/train/cross/{train}_to_{test}/{variant}/seed{seed}/model.pt",
        history="results/train/cross/{train}_to_{test}/{variant}/seed{seed}/history.csv",
        training_set="results/train/cross/{train}_to_{test}/{variant}/seed{seed}/training_set.json",
    log:
        "results/logs/train/cross/{train}_to_{test}/{variant}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train/cross/{train}_to_{test}/{variant}/seed{seed}.tsv"
    params:
        split=cross_split,
        settings=cross_settings,
        options=cross_options,


rule aggregate_composite:
    input:
        predictions=composite_files("predictions.csv"),
        training_sets=composite_files("training_set.json"),
        references=reference_files(composite_of),
        weights=protocol_weights(composite_of),
    output:
        table="results/composite_{composite}_table.csv",
        mer="results/composite_{composite}_mer_table.csv",
        folds="results/composite_{composite}_folds.csv",
        table_meta="results/composite_{composite}_table.meta.json",
        mer_meta="results/composite_{composite}_mer_table.meta.json",
        folds_meta="results/composite_{composite}_folds.meta.json",
        provenance="results/composite_{composite}_provenance.json",
    log:
        "results/logs/aggregate/composite_{composite}.log",
    params:
        datasets=lambda wc: " ".join(composite_of(wc)),
        references=reference_options(composite_of),
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
        mer_texts=config["mer"]["texts"],
        bootstrap=BOOTSTRAP_OPTIONS,
    shell:
        "microau aggregate-protocol --protocol composite_{wildcards.composite} --datasets {params.datasets}"
        " --predictions {input.predictions:q} --training-sets {input.training_sets:q} {params.references}"
        " --weights {input.weights} --config-json {params.config_json:q} --config-hash {params.config_hash}"
        " --table {output.table:q} --mer-table {output.mer:q} --folds {output.folds:q}"
        " --provenance {output.provenance:q} --mer-texts {params.mer_texts} {params.bootstrap} > {log:q} 2>&1"


rule aggregate_cross:
    input:
        predictions=lambda wc: f"{planned(plan.cross_run_dir)(wc.train, wc.test)}/predictions.csv",
        training_sets=lambda wc: f"{planned(plan.cross_run_dir)(wc.train, wc.test)}/training_set.json",
        references=reference_files(cross_tested),
        weights=protocol_weights(cross_of),
    output:
        table="results/cross_{train}_to_{test}_table.csv",
        mer="results/cross_{train}_to_{test}_mer_table.csv",
        folds="results/cross_{train}_to_{test}_folds.csv",
        table_meta="results/cross_{train}_to_{test}_table.meta.json",
        mer_meta="results/cross_{train}_to_{test}_mer_table.meta.json",
        folds_meta="results/cross_{train}_to_{test}_folds.meta.json",
        provenance="results/cross_{train}_to_{test}_provenance.json",
    log:
        "results/logs/aggregate/cross_{train}_to_{test}.log",
    params:
        references=reference_options(cross_tested),
        config_json=CONFIG_JSON,
        config_hash=CONFIG_HASH,
        mer_texts=config["mer"]["texts"],
        bootstrap=BOOTSTRAP_OPTIONS,
    shell:
        "microau aggregate-protocol --protocol cross_{wildcards.train}_to_{wildcards.test}"
        " --datasets {wildcards.test} --predictions {input.predictions:q}"
        " --training-sets {input.training_sets:q} {params.references}"
        " --weights {input.weights} --config-json {params.config_json:q} --config-hash {params.config_hash}"
        " --table {output.table:q} --mer-table {output.mer:q} --folds {output.folds:q}"
        " --provenance {output.provenance:q} --mer-texts {params.mer_texts} {params.bootstrap} > {log:q} 2>&1"


rule protocols_all:
    input:
        planned(plan.protocol_tables)(),
