# Shared by every .smk file -- config validation, the paths every stage agrees on,
# the replicates, the resources of each class of job, and settings(), the one
# way rules hand settings to scripts: every config value a job uses as one JSON
# object (`--settings {params.settings:q}`), built from exactly the keys the rule
# depends on, so a config change reruns only the jobs that use it. What a task or
# a scorer is lives in stepwise/config/registry.py; rules/inputs.smk says which files
# each job reads.

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


# Scripts import the `stepwise` package from this checkout, so that rules also work inside
# per-rule conda environments where it is not pip-installed. Every job's shell finds the scripts
# in $STEPWISE_SCRIPTS (`python "$STEPWISE_SCRIPTS/x.py"`, or `python -m stepwise.launch`), so
# shell commands name no variable of the Snakefile (snakemake --lint). Snakemake formats the
# prefix: hence the doubled braces.
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


# Replicates (stepwise/config/replicates.py): the random parts of the DAG once per
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


@functools.cache
def _replicate_config(directory):
    return replicates.replicate_config(config, replicates.replicate_number(results(), directory))


def rep_config(w):
    """The config of job ``w``'s replicate: the run's, with the replicate's seeds."""
    return _replicate_config(w.rep)


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
