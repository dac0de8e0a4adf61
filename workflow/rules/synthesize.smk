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
        seed=lambda wc: planned(plan.synthetic_settings)(wc.dataset)["seed"],
        subjects=lambda wc: planned(plan.synthetic_settings)(wc.dataset)["subjects"],
        samples=lambda wc: planned(plan.synthetic_settings)(wc.dataset)[
            "samples_per_subject"
        ],
        layout=lambda wc: config["datasets"][wc.dataset]["reader"],
    shell:
        "microau synthesize --out {output.release:q} --seed {params.seed} --layout {params.layout}"
        " --subject-count {params.subjects} --samples-per-subject {params.samples} --threads {threads} > {log} 2>&1"
