# Shared by the rule files -- config validation, the paths every stage agrees
# on, the resources of each class of job, and the one way rules hand settings
# to scripts. What a task or a scorer is lives in the package
# (stepwise/registry.py); rules only wire files.
#
# How rules call scripts -- files, wildcards and resources as flags; every
# config value the job uses as one JSON object, `--settings {params.settings:q}`,
# built by settings() from exactly the keys the rule depends on (so a config
# change reruns only the jobs that use it).

import functools
import json
import os
import re
import shlex
import sys

from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from stepwise import job_settings, registry, replicates
from stepwise.settings import config_entries


validate(config, "../schemas/config.schema.yaml")  # fills the schema's defaults
registry.check_config(config)

RUN = config["run"]


# Scripts import the `stepwise` package from this checkout, so that rules also
# work inside per-rule conda environments where it is not pip-installed. Every
# job's shell finds the scripts in $STEPWISE_SCRIPTS: rules call
# `python "$STEPWISE_SCRIPTS/x.py"` (or the GPU launcher, `python -m
# stepwise.launch`) and so name no variable of the Snakefile in their shell
# commands (snakemake --lint). Snakemake formats the prefix: hence the doubled braces.
JOB_SHELL_PREFIX = (
    "set -euo pipefail; "
    f"export STEPWISE_SCRIPTS={shlex.quote(os.path.join(workflow.basedir, 'scripts'))}; "
    f'export PYTHONPATH={shlex.quote(workflow.basedir)}"${{PYTHONPATH:+:$PYTHONPATH}}"; '
)
shell.prefix(JOB_SHELL_PREFIX.replace("{", "{{").replace("}", "}}"))


def settings(value):
    """A job's settings as the JSON its script reads with --settings (keys sorted: a stable rerun trigger)."""
    return json.dumps(value, sort_keys=True)


def results(*parts):
    """A path under results/<run>/."""
    return os.path.join("results", RUN, *parts)


# Replicates (stepwise/replicates.py): the random parts of the DAG once per
# replicate, in its results folder -- results/<run> for replicate 1,
# results/<run>/replicates/<k> for the others -- under the `rep` wildcard, with
# the replicate's seeds (rep_config). Data, base model and PRM800K preprocessing
# are shared by all of them (results()).
REPLICATE_DIRS = replicates.replicate_dirs(results(), config["replicates"])


def rep(*parts):
    """A path pattern under a replicate's results folder (the `rep` wildcard)."""
    return os.path.join("{rep}", *parts)


def in_rep(w, *parts):
    """A path under the results folder of job ``w``'s replicate."""
    return os.path.join(w.rep, *parts)


def every_rep(*parts):
    """A path in every replicate's results folder."""
    return [os.path.join(directory, *parts) for directory in REPLICATE_DIRS]


def each_task_every_rep(tasks, *parts):
    """A path of each of ``tasks`` (``parts``, with a ``{task}`` field) in every replicate's results
    folder: task by task, replicate 1 first."""
    return [path for task in tasks for path in every_rep(*(part.format(task=task) for part in parts))]


@functools.cache
def _replicate_config(directory):
    return replicates.replicate_config(config, replicates.replicate_number(results(), directory))


def rep_config(w):
    """The config of job ``w``'s replicate: the run's, with the replicate's seeds."""
    return _replicate_config(w.rep)


def rep_title(w):
    """The run's name, and the replicate of job ``w`` after the first (for titles; replicate 1's
    stays the run's name, so that adding replicates reruns none of its jobs)."""
    number = replicates.replicate_number(results(), w.rep)
    return RUN if number == 1 else f"{RUN}, replicate {number}"


def stage_threads(stage):
    """Threads of a class of job (`light`, `train`, `sample`, `score`: the config's `resources:`)."""
    return config["resources"][stage]["threads"]


def stage_resources(stage):
    """Snakemake resources of a class of job (`resources: **stage_resources("train")`)."""
    wanted = {key: value for key, value in config["resources"][stage].items() if key != "threads"}
    if not wanted["gpu"]:
        wanted.pop("gpu_model", None)  # the Slurm executor would ask for MODEL:0 GPUs
    return wanted


def raw_dataset(name):
    return results("data", f"{name}.jsonl")


def raw_datasets():
    return [raw_dataset(name) for name in config["data"]]


def sample_set(w, task, split):
    """The config section of one of a task's sample sets (stepwise.registry) in job ``w``'s replicate."""
    return rep_config(w)[task][registry.get_task(task).sample_set(split).section]


def problems_of(task, split):
    """The raw dataset whose problems a task's sample set solves."""
    return raw_dataset(registry.get_task(task).sample_set(split).dataset)


def shard_files(w, *parts):
    """The shard files of a sharded job's output folder in job ``w``'s replicate, one per sampling shard."""
    return [in_rep(w, *parts, f"shard-{k}.jsonl") for k in range(config["sampling"]["shards"])]


def one_of(names):
    """A wildcard constraint matching exactly these names (none: matches nothing)."""
    return "|".join(names) or "(?!)"


def evaluation_outputs(task):
    """A task's accuracy table (CSV, Markdown), selections and plot in every replicate, and their
    summary over replicates when there are several."""
    outputs = [path for name in ("accuracy.csv", "accuracy.md", "selections.csv", "accuracy.png")
               for path in every_rep(task, name)]
    if len(REPLICATE_DIRS) > 1:
        outputs += [results(task, f"accuracy_replicates.{ext}") for ext in ("csv", "md", "png")]
    return outputs


def processbench_set(w):
    """The ProcessBench subset file the PRMs of job ``w`` score: the demo's, built in the job's
    replicate from its samples, or the benchmark's, shared by the replicates."""
    if config["processbench"]["source"] == "demo":
        return in_rep(w, "processbench", "sets", f"{w.subset}.json")
    return results("processbench", "sets", f"{w.subset}.json")


def public_prm_folder(w):
    """A public PRM given as a local folder is an input (a hub id is fetched by the job)."""
    model = job_settings.configured_scorer(config, w.scorer)["model"]
    return [model] if os.path.isdir(model) else []


def processbench_scores(w):
    """Every PRM's ProcessBench scores of every subset (rules/processbench.smk), as job ``w``'s replicate
    sees them: a public PRM's on the benchmark are shared by the replicates."""
    def path(entry):
        parts = ("processbench", "scores", entry["subset"], f"{entry['prm']}.jsonl")
        if entry["prm"] in PROCESSBENCH_PUBLIC_PRMS and not PROCESSBENCH_ON_DEMO:
            return results(*parts)
        return in_rep(w, *parts)

    return [path(entry) for entry in PROCESSBENCH_ENTRIES]


def search_guide_model(w):
    """The model folder of the guide of job ``w``'s task search (rules/search.smk), in the job's replicate."""
    return in_rep(w, "models", registry.search_guide(config, w.task).model)


def search_guide_scores(w):
    """The guide's score file of the test samples of job ``w``'s task, in the job's replicate."""
    return in_rep(w, w.task, "scores", "test", f"{registry.search_guide(config, w.task).name}.jsonl")
