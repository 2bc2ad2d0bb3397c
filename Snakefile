# Verifying math reasoning step by step, from raw data to a report: outcome
# verifiers (GSM8K), process reward models (PRM800K), Math-Shepherd,
# ProcessBench, public PRMs as scorers and test-time search.
#
#   snakemake --cores 2                       # the embedded demo (config.yaml)
#   snakemake --cores 2 --configfile configs/<other>.yaml

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/inputs.smk"


wildcard_constraints:
    dataset="|".join(config["data"]),
    task="|".join(registry.TASK_NAMES),
    split="|".join(registry.SPLITS),
    shard=r"\d+",
    rep=one_of([re.escape(directory) for directory in REPLICATE_DIRS]),


include: "rules/data.smk"
include: "rules/model.smk"
include: "rules/sampling.smk"
include: "rules/generator.smk"
include: "rules/outcome_verifier.smk"
include: "rules/evaluation.smk"
include: "rules/prm.smk"
include: "rules/gsm8k.smk"
include: "rules/prm800k.smk"
include: "rules/shepherd.smk"
include: "rules/scorers.smk"
include: "rules/processbench.smk"
include: "rules/search.smk"


rule all:
    input:
        raw_datasets(),
        rules.gsm8k_verifier.input,
        rules.prm800k.input,
        rules.math_shepherd.input,
        rules.processbench.input,
        rules.test_time_search.input,
        rules.combined_accuracy.output,
        rules.claims.output,
        rules.run_config.output,
    default_target: True
