# Shared helpers: config validation, the paths every stage agrees on, the
# resources of each class of job, and the functions the rule files use.

import json
import os
import shlex
import sys

from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from stepwise.data.sources import dataset_kind


validate(config, "../schemas/config.schema.yaml")

RUN = config["run"]
DATASETS = list(config["data"])


wildcard_constraints:
    dataset="|".join(DATASETS),


# Scripts import the `stepwise` package from this checkout, so that rules also
# work inside per-rule conda environments where it is not pip-installed. Every
# job's shell finds the scripts in $STEPWISE_SCRIPTS: rules call
# `python "$STEPWISE_SCRIPTS/x.py"` (or the GPU launcher, `python -m
# stepwise.launch`) and so name no variable of the Snakefile in their shell
# commands (snakemake --lint). Snakemake formats the prefix: hence the doubled
# braces.
JOB_SHELL_PREFIX = (
    "set -euo pipefail; "
    f"export STEPWISE_SCRIPTS={shlex.quote(os.path.join(workflow.basedir, 'scripts'))}; "
    f'export PYTHONPATH={shlex.quote(workflow.basedir)}"${{PYTHONPATH:+:$PYTHONPATH}}"; '
)
shell.prefix(JOB_SHELL_PREFIX.replace("{", "{{").replace("}", "}}"))


def results(*parts):
    """A path under results/<run>/."""
    return os.path.join("results", RUN, *parts)


def stage_threads(stage):
    """Threads of a class of job (`light`, `train`, `sample`, `score`: the config's `resources:`)."""
    return config["resources"][stage]["threads"]


def stage_resources(stage):
    """Snakemake resources of a class of job, from the config's `resources:` section.

    Rules take them with `resources: **stage_resources("train")`; shell
    commands read the GPU count as `{resources.gpu}`.
    """
    wanted = {key: value for key, value in config["resources"][stage].items() if key != "threads"}
    if not wanted["gpu"]:
        wanted.pop("gpu_model", None)  # the Slurm executor would ask for MODEL:0 GPUs
    return wanted


def raw_dataset(name):
    return results("data", f"{name}.jsonl")


def raw_datasets():
    return [raw_dataset(name) for name in DATASETS]


# ---------------------------------------------------------------- raw data (rules/data.smk)


def dataset_spec(name):
    """The config that one dataset depends on, and nothing else.

    It travels to the script as a rule parameter, so editing, say, the MATH demo
    knobs reruns the MATH datasets but not GSM8K.
    """
    source = config["data"][name]
    spec = {"dataset": name, "source": source}
    if source["source"] == "demo":
        kind, split = dataset_kind(name)
        demo = config["demo"]
        spec.update(seed=demo["seed"], n=demo[kind][split])
        spec[f"{kind}_knobs"] = demo[kind].get("knobs", {})
        if kind == "prm800k":  # PRM800K demo records are labelled MATH-style solutions
            spec["math_knobs"] = demo["math"].get("knobs", {})
    return json.dumps(spec, sort_keys=True)


def local_source(wildcards):
    """A `path` source is an input, so a changed local file reruns the copy."""
    source = config["data"][wildcards.dataset]
    return [source["path"]] if source["source"] == "path" else []


# ---------------------------------------------------------------- sampling (rules/sampling.smk)


def sample_set(wildcards):
    """The raw dataset and the config section of a sample set (SAMPLE_SETS in rules/sampling.smk)."""
    dataset, section = SAMPLE_SETS[(wildcards.task, wildcards.split)]
    return dataset, config[wildcards.task][section]


def sample_shards(task, split):
    shards = range(config["sampling"]["shards"])
    return [results(task, "samples", split, f"shard-{k}.jsonl") for k in shards]



# ---------------------------------------------------------------- generator (rules/generator.smk)


def math_fewshot():
    return config["math"]["generator_data"]["source"] == "fewshot"


def sft_data_stage(wildcards):
    """MATH few-shot generator data is a sampling job; every other task's SFT data is a light one."""
    return "sample" if wildcards.task == "math" and math_fewshot() else "light"


def sft_data_resources():
    """The resources of the sft_data rule, those of its stage (sft_data_stage), key by key."""
    names = ("gpu", "gpu_model", "mem_mb", "runtime", "cpus_per_task", "slurm_partition")
    return {name: (lambda w, name=name: stage_resources(sft_data_stage(w)).get(name)) for name in names}


def sft_data_launcher(wildcards, resources):
    """Few-shot sampling runs through the GPU launcher on the job's GPUs; other SFT data needs no GPU."""
    return f"-m stepwise.launch --gpus {resources.gpu}" if sft_data_stage(wildcards) == "sample" else ""


def sft_data_sampling(wildcards):
    """The `sampling` keys few-shot sampling uses (none for other SFT data, and never the shard count)."""
    if sft_data_stage(wildcards) != "sample":
        return {}
    keys = ("backend", "batch_size", "gpu_memory_utilization", "max_model_len")
    return {key: config["sampling"].get(key) for key in keys}


def prompts_the_base_model(wildcards):
    return wildcards.task == "math" and math_fewshot() and config["math"]["generator_data"]["model"] == "base"


def sft_data_inputs(wildcards):
    """The training problems, and the base model when it is the prompted model."""
    inputs = {"dataset": raw_dataset(f"{wildcards.task}_train")}
    if prompts_the_base_model(wildcards):
        inputs["base"] = results("models", "base.json")
    return inputs


def sft_data_settings(wildcards):
    """The config the task's SFT data depends on: none for GSM8K, `source` and `problems` for MATH references."""
    if wildcards.task != "math":
        return {}
    settings = config["math"]["generator_data"]
    return settings if math_fewshot() else {key: settings[key] for key in ("source", "problems")}


def sft_data_model(wildcards, input):
    """The prompted model of MATH few-shot data: the base model's pointer, or the configured folder / hub id."""
    if prompts_the_base_model(wildcards):
        return f"--base {shlex.quote(input.base)}"
    if wildcards.task == "math" and math_fewshot():
        return f"--model {shlex.quote(config['math']['generator_data']['model'])}"
    return ""


# ---------------------------------------------------------------- evaluation (rules/evaluation.smk)


def evaluation_outputs(task):
    """A task's accuracy table (CSV, Markdown), selections and plot."""
    return [results(task, name) for name in ("accuracy.csv", "accuracy.md", "selections.csv", "accuracy.png")]


def prm_methods(scorer, aggregations):
    """Best-of-N by each solution score of a PRM, labelled <scorer>_<aggregation> (its score column)."""
    return [{"method": "best_of_n", "score": f"{scorer}_{a}", "label": f"{scorer}_{a}"} for a in aggregations]


def shepherd_prm_methods(task):
    """Best-of-N by the Math-Shepherd PRM (rules/shepherd.smk), when the task's Shepherd experiment runs."""
    if task not in config["shepherd"]["tasks"]:
        return []
    return prm_methods("shepherd_prm", config[task]["evaluation"]["aggregations"])


def evaluation_methods(task):
    """The selection methods of a task's table, under the names the table uses."""
    evaluation = config[task]["evaluation"]
    if task == "gsm8k":
        return [
            {"method": "greedy", "label": "greedy"},
            {"method": "majority", "label": "majority"},
            {"method": "best_of_n", "score": "verifier", "label": "verifier"},
            {"method": "weighted_majority", "score": "verifier", "label": "weighted_majority"},
            {"method": "top_k_vote", "score": "verifier", "k": evaluation["top_k"], "label": "topk_vote"},
            *shepherd_prm_methods(task),
            {"method": "pass_at_n", "label": "pass@n"},
        ]
    return [
        {"method": "greedy", "label": "greedy"},
        {"method": "majority", "label": "majority"},
        {"method": "weighted_majority", "score": evaluation["weighted_majority"], "label": "weighted_majority"},
        {"method": "best_of_n", "score": "orm", "label": "orm"},
        *prm_methods("prm800k_prm", evaluation["aggregations"]),
        *shepherd_prm_methods(task),
        {"method": "pass_at_n", "label": "pass@n"},
    ]


def check_math_score_columns():
    """The scores MATH's weighted majority and active learning use must be columns the MATH scorers write."""
    aggregations = config["math"]["evaluation"]["aggregations"]
    columns = {"orm", *(f"prm800k_prm_{a}" for a in aggregations)}
    weighted = config["math"]["evaluation"]["weighted_majority"]
    if weighted not in columns:
        raise ValueError(f"math.evaluation.weighted_majority: {weighted!r} is not a score column; choose one of "
                         f"{sorted(columns)} (a PRM aggregation must be in math.evaluation.aggregations)")
    ranked_by = config["prm800k"]["active_learning"]["aggregation"]
    if ranked_by not in aggregations:
        raise ValueError(f"prm800k.active_learning.aggregation: {ranked_by!r} is not one of "
                         f"math.evaluation.aggregations {aggregations}")


# ---------------------------------------------------------------- Math-Shepherd (rules/shepherd.smk)


def shepherd_problems(task):
    """The raw dataset of the task's training samples: their problems and golden answers."""
    return SAMPLE_SETS[(task, "train")][0]


def shepherd_on_demo(task):
    """Label quality is measured against the demo's ground truth, which only demo problems carry."""
    return config["data"][shepherd_problems(task)]["source"] == "demo"


def shepherd_completer(wildcards):
    """Settings of the completions (JSON): shepherd's, with the calculator of the samples they continue."""
    shepherd = config["shepherd"]
    settings = {key: shepherd[key] for key in ("temperature", "top_p", "max_tokens", "seed")}
    samples = config[wildcards.task][SAMPLE_SETS[(wildcards.task, "train")][1]]
    return json.dumps({**settings, "n": shepherd["completions"], "calculator": samples["calculator"]}, sort_keys=True)


def shepherd_label_shards(wildcards):
    """The label shards of a task: one per sampling shard."""
    shards = range(config["sampling"]["shards"])
    return [results("shepherd", wildcards.task, "labels", f"shard-{k}.jsonl") for k in shards]
