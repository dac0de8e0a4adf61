# The release of a dataset with generated: true (paths.RELEASE, which plan.config.generated_release
# formats), in its reader's layout (CASME II's or SAMM's).


rule synthesize:
    output:
        release=directory(paths.RELEASE),
    log:
        paths.SYNTHESIZE_JOB.log,
    benchmark:
        paths.SYNTHESIZE_JOB.benchmark
    threads: 2
    params:
        synthetic=from_wildcards(plan.synthetic_settings, "dataset"),
        layout=lambda wc: config["datasets"][wc.dataset]["reader"],
    shell:
        "microau synthesize --out {output.release:q} --seed {params.synthetic[seed]} --layout {params.layout}"
        " --subject-count {params.synthetic[subjects]} --samples-per-subject {params.synthetic[samples_per_subject]}"
        " --threads {threads} > {log} 2>&1"
