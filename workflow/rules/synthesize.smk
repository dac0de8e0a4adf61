# The release of a dataset with generated: true (config.generated_release names the folder).


rule synthesize:
    output:
        coding="results/{dataset}/release/CASME2-coding-synthetic.xlsx",
        frames=directory("results/{dataset}/release/CASME2_RAW_selected"),
        truth="results/{dataset}/release/synthesis.json",
    log:
        "results/logs/synthesize/{dataset}.log",
    benchmark:
        "results/benchmarks/synthesize/{dataset}.tsv"
    conda:
        "../../envs/preprocess.yaml"
    threads: 2
    params:
        seed=config["synthetic"]["seed"],
        subjects=config["synthetic"]["subjects"],
        samples=config["synthetic"]["samples_per_subject"],
        out=lambda wc, output: Path(output.truth).parent,
    shell:
        "microau synthesize --out {params.out:q} --seed {params.seed}"
        " --subject-count {params.subjects} --samples-per-subject {params.samples} --threads {threads} > {log} 2>&1"
