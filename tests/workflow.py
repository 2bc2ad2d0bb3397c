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


# A whole-workflow config small enough for a test: tiny data, a 2-layer model,
# few samples. It runs every rule of the real DAG, not a shortcut.
TINY_WORKFLOW = {
    "run": "t",
    "demo": {
        "gsm8k": {"train": 300, "test": 12},
        "math": {"train": 100, "test": 10},
        "prm800k": {"phase1_train": 4, "phase1_test": 4, "phase2_train": 4, "phase2_test": 4},
    },
    "model": {
        "tiny": {
            "vocab_size": 512,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
        }
    },
    "sampling": {"backend": "hf", "shards": 2, "batch_size": 32},
    "gsm8k": {
        "sft": {"epochs": 1, "batch_size": 16, "learning_rate": 3.0e-3},
        "verifier_samples": {"problems": 24, "n": 2, "max_tokens": 96},
        "verifier": {"epochs": 1, "batch_size": 16},
        "test_samples": {"n": 4, "max_tokens": 96},
        "evaluation": {"trials": 50},
    },
    "math": {
        "sft": {"epochs": 1, "batch_size": 16, "learning_rate": 3.0e-3},
        "train_samples": {"problems": 12, "n": 2, "max_tokens": 96},
        "orm": {"epochs": 1, "batch_size": 16},
        "test_samples": {"n": 4, "max_tokens": 96},
        "evaluation": {"trials": 50},
    },
    "prm800k": {"prm": {"epochs": 1, "batch_size": 16}, "active_learning": {"batch_size": 6}},
    # Off here, so the GSM8K and PRM800K tables hold only their own methods; tests/test_workflow_shepherd.py turns it on.
    "shepherd": {"tasks": [], "problems": 4, "completions": 2, "max_tokens": 64, "prm": {"epochs": 1, "batch_size": 16}},
}
