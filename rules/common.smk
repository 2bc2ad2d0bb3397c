# Shared helpers: config validation and the paths every stage agrees on.

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
# work inside per-rule conda environments where it is not pip-installed.
PYTHON = f"PYTHONPATH={workflow.basedir}${{PYTHONPATH:+:$PYTHONPATH}} python"


def results(*parts):
    """A path under results/<run>/."""
    return "/".join(["results", RUN, *parts])


def raw_dataset(name):
    return results("data", f"{name}.jsonl")


def raw_datasets():
    return [raw_dataset(name) for name in DATASETS]
