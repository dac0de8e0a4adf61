def index_input(wildcards):
    if wildcards.dataset == "synthetic":
        return rules.synthesize.output.coding
    release_root(wildcards.dataset)
    return []


checkpoint index:
    input:
        index_input,
    output:
        samples="results/index/{dataset}/samples.tsv",
        validation="results/index/{dataset}/validation.tsv",
    params:
        reader=lambda wc: dataset_settings(wc.dataset)["reader"],
        root=lambda wc: release_root(wc.dataset),
        aus=lambda wc: ",".join(map(str, dataset_settings(wc.dataset)["aus"])),
        variant=lambda wc: dataset_settings(wc.dataset)["frames_variant"],
        extra=lambda wc: " ".join(
            [
                f"--class3 '{json.dumps(dataset_settings(wc.dataset)['class3'])}'"
                if dataset_settings(wc.dataset)["class3"]
                else "",
                f"--coding-file '{dataset_settings(wc.dataset)['coding_file']}'"
                if dataset_settings(wc.dataset)["coding_file"]
                else "",
            ]
        ),
    log:
        "results/logs/index/{dataset}.log",
    conda:
        "../../envs/preprocess.yaml"
    shell:
        "microau index --dataset {params.reader} --name {wildcards.dataset} --root {params.root:q}"
        " --aus {params.aus} --frames-variant {params.variant} {params.extra}"
        " --out {output.samples} --validation {output.validation} > {log} 2>&1"


rule index_all:
    input:
        expand("results/index/{dataset}/samples.tsv", dataset=config["targets"]),
