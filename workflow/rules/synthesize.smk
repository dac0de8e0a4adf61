rule synthesize:
    output:
        coding="results/synthetic/release/CASME2-coding-synthetic.xlsx",
        frames=directory("results/synthetic/release/CASME2_RAW_selected"),
        truth="results/synthetic/release/synthesis.json",
    log:
        "results/logs/synthesize.log",
    benchmark:
        "results/benchmarks/synthesize.tsv"
    conda:
        "../../envs/preprocess.yaml"
    threads: 2
    params:
        seed=config["synthetic"]["seed"],
        subjects=config["synthetic"]["subjects"],
        samples=config["synthetic"]["samples_per_subject"],
    shell:
        "microau synthesize --out results/synthetic/release --seed {params.seed}"
        " --subjects {params.subjects} --samples-per-subject {params.samples} --threads {threads} > {log} 2>&1"
