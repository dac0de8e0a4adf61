# The release of a dataset with generated: true (config.generated_release names the folder), in
# its reader's layout (CASME II's or SAMM's).


rule synthesize:
    output:
        release=directory("results/{dataset}/release"),
    log:
        "results/logs/synthesize/{dataset}.log",
    benchmark:
        "results/benchmarks/synthesize/{dataset}.tsv"
    threads: 2
    params:
        seed=lambda wc: synthetic_settings(wc)["seed"],
        subjects=lambda wc: synthetic_settings(wc)["subjects"],
        samples=lambda wc: synthetic_settings(wc)["samples_per_subject"],
        layout=lambda wc: dataset_settings(wc.dataset)["reader"],
    shell:
        "microau synthesize --out {output.release:q} --seed {params.seed} --layout {params.layout}"
        " --subject-count {params.subjects} --samples-per-subject {params.samples} --threads {threads} > {log} 2>&1"
