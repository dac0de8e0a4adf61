checkpoint index:
    input:
        index_input,
    output:
        samples="results/index/{dataset}/samples.tsv",
        validation="results/index/{dataset}/validation.tsv",
        clips=directory("results/index/{dataset}/clips"),
    log:
        "results/logs/index/{dataset}.log",
    params:
        reader=lambda wc: dataset_settings(wc.dataset)["reader"],
        root=lambda wc: release_root(wc.dataset),
        aus=lambda wc: ",".join(map(str, dataset_settings(wc.dataset)["aus"])),
        layout=lambda wc: dataset_settings(wc.dataset)["frames_layout"],
        missing_apex=config["frames"]["missing_apex"],
        extra=index_options,
    shell:
        "microau index --reader {params.reader} --dataset {wildcards.dataset} --root {params.root:q}"
        " --aus {params.aus} --frames-layout {params.layout}"
        " --missing-apex {params.missing_apex} {params.extra}"
        " --out {output.samples} --validation {output.validation}"
        " --clips-dir {output.clips} > {log} 2>&1"


rule index_all:
    input:
        expand("results/index/{dataset}/samples.tsv", dataset=config["targets"]),
