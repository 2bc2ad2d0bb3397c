"""Run the workflow in a scratch directory with a config written by the test.

The tests' tiny whole-workflow config is the checked-in overlay .test/config.yaml
(``TINY_CONFIG``); tests/conftest.py runs it once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config.yaml"
TEST_CONFIG = ROOT / ".test" / "config.yaml"
MIRROR_CONFIG = ROOT / "configs" / "data-shared-mirror.yaml"


def squeezed(markdown: str) -> str:
    """A Markdown table's text with its cells' padding squeezed to one space: ``| a | b |`` whatever the widths."""
    return re.sub(r" {2,}", " ", markdown)


def deep_update(base: dict, overrides: dict) -> dict:
    """Recursively merge ``overrides`` into a copy of ``base`` (as --configfile does)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_update(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_config(workdir: Path, overrides: dict | None = None) -> dict:
    """Write ``config.yaml`` into ``workdir``: the default config plus overrides."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config = deep_update(config, overrides or {})
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return config


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run Snakemake on this repository's Snakefile inside ``workdir``."""
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Jobs per rule that a dry run (``snakemake -n`` with ``args``: targets, options) would run."""
    out = snakemake(workdir, "-n", *args, "--quiet", "rules").stdout
    table = re.search(r"^job\s+count\n-+\s+-+\n(.*?)^total", out, re.S | re.M)
    if table is None:
        assert "Nothing to be done" in out, out
        return {}
    return {rule: int(count) for rule, count in (line.split() for line in table.group(1).splitlines())}


def mirror_data(shared_data: Path) -> dict:
    """The data sources of configs/data-shared-mirror.yaml, their paths (../shared/data/... from the
    repository root) pointing into ``shared_data``, so that they hold from any working directory."""
    data = yaml.safe_load(MIRROR_CONFIG.read_text())["data"]
    for entry in data.values():
        entry["path"] = str(Path(shared_data) / Path(entry["path"]).relative_to("../shared/data"))
    return data


@dataclass(frozen=True)
class Run:
    """A workflow run: its working directory and the config it ran with (config.yaml's, merged)."""

    workdir: Path
    config: dict

    @property
    def results(self) -> Path:
        """``results/<run>/`` of this run."""
        return self.workdir / "results" / self.config["run"]


def copy_run(run: Run, destination: Path) -> Run:
    """A copy of a finished run: its outputs with their times and Snakemake's records (.snakemake/)."""
    shutil.copytree(run.workdir, destination, symlinks=True)
    return Run(destination, yaml.safe_load((destination / "config.yaml").read_text()))


# The checked-in tiny test config (.test/config.yaml), an overlay on config.yaml (write_config merges
# it): tiny data, a 2-layer model, few samples, every experiment and a configured scorer -- every rule
# of the real DAG, not a shortcut. tests/conftest.py runs it once per session (fixture `tiny_run`).
# TINY_WORKFLOW is the same without Math-Shepherd and the extra scorers, for tests that run a part of
# the DAG on their own.
TINY_CONFIG = yaml.safe_load(TEST_CONFIG.read_text())
TINY_WORKFLOW = deep_update(TINY_CONFIG, {"shepherd": {"tasks": []}, "scorers": [], "sampling": {"shards": 2}})
