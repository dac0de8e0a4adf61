from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/synthesize.smk"
include: "workflow/rules/index.smk"
include: "workflow/rules/frames.smk"
include: "workflow/rules/magnify.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/landmarks.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    default_target: True
    input:
        expand("results/{dataset}_table.csv", dataset=config["targets"]),
        expand("results/{dataset}_mer_table.csv", dataset=config["targets"]),
