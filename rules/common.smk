# Shared by every .smk file -- config validation, the paths every stage agrees on,
# the replicates, the resources of each class of job, and the one route from the
# config to a job: a rule's params are `settings(job_settings.<name>(job_config(w), ...))`,
# every config value the job uses as one JSON object (`--settings {params.settings:q}`),
# picked by a function of stepwise/config/job_settings.py, so a config change reruns
# only the jobs that use it. Which config: a job in a replicate's folder (the `rep`
# wildcard) reads its replicate's, whose seeds are shifted; a job that all replicates
# share reads the run's (job_config). What a task or a scorer is lives in
# stepwise/config/registry.py; rules/inputs.smk says which files each job reads.

import functools
import json
import os
import re
import shlex
import sys

from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from stepwise.config import job_settings, registry, replicates
from stepwise.config.decoding import config_entries


validate(config, "../schemas/config.schema.yaml")  # fills the schema's defaults
registry.check_config(config)

RUN = config["run"]


# Jobs import `stepwise` from this checkout (also in per-rule conda envs, where it is not installed)
# and find the scripts in $STEPWISE_SCRIPTS, so shell commands name no variable of the Snakefile
# (snakemake --lint). Snakemake formats the prefix: hence the doubled braces.
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


# Replicates (stepwise/config/replicates.py): the random parts of the DAG once per replicate, in
# its folder (the `rep` wildcard: results/<run>, results/<run>/replicates/<k>), with its seeds
# (job_config). Data, base model and PRM800K preprocessing are shared by all (results()).
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


@functools.cache
def _replicate_config(directory):
    return replicates.replicate_config(config, replicates.replicate_number(results(), directory))


def job_config(w):
    """The config job ``w`` reads: in a replicate's folder its replicate's (the run's, with the replicate's
    seeds), else the run's."""
    return _replicate_config(w.rep) if "rep" in w.keys() else config


def stage_threads(stage):
    """Threads of a class of job (`light`, `train`, `sample`, `score`: the config's `resources:`)."""
    return config["resources"][stage]["threads"]


def stage_resources(stage):
    """Snakemake resources of a class of job (`resources: **stage_resources("train")`)."""
    wanted = {key: value for key, value in config["resources"][stage].items() if key != "threads"}
    if not wanted["gpu"]:
        wanted.pop("gpu_model", None)  # the Slurm executor would ask for MODEL:0 GPUs
    return wanted


def one_of(names):
    """A wildcard constraint matching exactly these names (none: matches nothing)."""
    return "|".join(names) or "(?!)"
