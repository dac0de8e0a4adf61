from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from microau.config import ConfigError, load_config, load_schema

CONFIG_SCHEMA = "workflow/schemas/config.schema.yaml"

min_version("9.0")


configfile: "config.yaml"


try:
    config.update(load_config(config, load_schema(workflow.source_path(CONFIG_SCHEMA))))
except ConfigError as error:
    raise WorkflowError(str(error)) from None


report: "workflow/report/workflow.rst"


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
include: "workflow/rules/ablation.smk"
include: "workflow/rules/protocols.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/spotting.smk"


rule all:
    default_target: True
    input:
        expand("results/{dataset}_table.csv", dataset=config["targets"]),
        expand("results/{dataset}_mer_table.csv", dataset=config["targets"]),
        expand(rules.figures.output, dataset=config["targets"]),
        rules.protocols_all.input,
