# Composite (several datasets pooled, LOSO over all their subjects) and cross-dataset (train on one,
# test on another) protocols on the datasets' shared AUs. They read each dataset's own feature
# cache, so no dataset is preprocessed twice (docs/protocols.md).


use rule train as train_composite with:
    input:
        features=lambda wc: planned(plan.protocol_features)(composite_of(wc)),
    output:
        predictions=paths.COMPOSITE_PREDICTIONS,
        features=paths.COMPOSITE_FEATURES,
        model=paths.COMPOSITE_MODEL,
        history=paths.COMPOSITE_HISTORY,
        training_set=paths.COMPOSITE_TRAINING_SET,
    log:
        paths.TRAIN_COMPOSITE_JOB.log,
    benchmark:
        paths.TRAIN_COMPOSITE_JOB.benchmark
    params:
        split=from_wildcards(plan.composite_split, "composite", "dataset", "subject"),
        settings=from_wildcards(
            plan.composite_settings,
            "composite",
            "dataset",
            "variant",
            "seed",
            as_json=True,
        ),
        options=from_wildcards(
            plan.composite_options, "composite", "variant", as_json=True
        ),


use rule train as train_cross with:
    input:
        features=lambda wc: planned(plan.protocol_features)(cross_of(wc)),
    output:
        predictions=paths.CROSS_PREDICTIONS,
        features=paths.CROSS_FEATURES,
        model=paths.CROSS_MODEL,
        history=paths.CROSS_HISTORY,
        training_set=paths.CROSS_TRAINING_SET,
    log:
        paths.TRAIN_CROSS_JOB.log,
    benchmark:
        paths.TRAIN_CROSS_JOB.benchmark
    params:
        split=from_wildcards(plan.cross_split, "train", "test"),
        settings=from_wildcards(
            plan.protocol_settings, "train", "test", "variant", "seed", as_json=True
        ),
        options=from_wildcards(plan.model_options, "train", "variant", as_json=True),


rule aggregate_composite:
    input:
        predictions=composite_run_inputs(paths.COMPOSITE_PREDICTIONS),
        training_sets=composite_run_inputs(paths.COMPOSITE_TRAINING_SET),
        references=main_run_inputs(paths.TRAIN_PREDICTIONS, composite_of),
        weights=lambda wc: planned(plan.weights_path)(composite_of(wc)[0]),
    output:
        table=paths.COMPOSITE_TABLE,
        mer=paths.COMPOSITE_MER_TABLE,
        folds=paths.COMPOSITE_FOLDS,
        table_meta=paths.COMPOSITE_TABLE_META,
        mer_meta=paths.COMPOSITE_MER_TABLE_META,
        folds_meta=paths.COMPOSITE_FOLDS_META,
        provenance=paths.COMPOSITE_PROVENANCE,
    log:
        paths.AGGREGATE_COMPOSITE_JOB.log,
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
        predictions=lambda wc: planned(plan.cross_run_file)(
            wc.train, wc.test, paths.CROSS_PREDICTIONS
        ),
        training_sets=lambda wc: planned(plan.cross_run_file)(
            wc.train, wc.test, paths.CROSS_TRAINING_SET
        ),
        references=main_run_inputs(paths.TRAIN_PREDICTIONS, cross_tested),
        weights=lambda wc: planned(plan.weights_path)(cross_of(wc)[0]),
    output:
        table=paths.CROSS_TABLE,
        mer=paths.CROSS_MER_TABLE,
        folds=paths.CROSS_FOLDS,
        table_meta=paths.CROSS_TABLE_META,
        mer_meta=paths.CROSS_MER_TABLE_META,
        folds_meta=paths.CROSS_FOLDS_META,
        provenance=paths.CROSS_PROVENANCE,
    log:
        paths.AGGREGATE_CROSS_JOB.log,
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
