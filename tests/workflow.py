"""Run the workflow in a scratch directory with a config written by the test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config.yaml"


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
        raise AssertionError(f"snakemake {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Jobs per rule that a dry run (``snakemake -n`` with ``args``: targets, options) would run."""
    out = snakemake(workdir, "-n", *args, "--quiet", "rules").stdout
    table = re.search(r"^job\s+count\n-+\s+-+\n(.*?)^total", out, re.S | re.M)
    if table is None:
        assert "Nothing to be done" in out, out
        return {}
    return {rule: int(count) for rule, count in (line.split() for line in table.group(1).splitlines())}


# The checked-in tiny test config (.test/config.yaml): every experiment, run once per session by
# tests/conftest.py (fixture `tiny_run`). TINY_WORKFLOW is the same without Math-Shepherd and the extra
# scorers, for tests that run part of the DAG on their own (other data, a killed run, Slurm).
TINY_CONFIG = yaml.safe_load((ROOT / ".test" / "config.yaml").read_text())
TINY_WORKFLOW = deep_update(TINY_CONFIG, {"shepherd": {"tasks": []}, "scorers": [], "sampling": {"shards": 2}})
