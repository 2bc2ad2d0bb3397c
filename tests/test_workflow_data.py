"""The workflow's skeleton: config validation and the raw data rules, run for real.

The demo data are the shared tiny run's (tests/conftest.py: ``tiny_run``); tests
that rerun jobs or change the config work on a copy of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from stepwise.data.sources import DATASETS, validate_dataset
from tests.workflow import TINY_CONFIG, deep_update, mirror_data, snakemake, write_config

pytestmark = pytest.mark.slow

# Small demo data for the tests that run only data rules in a fresh folder.
SMALL_DEMO = {"run": "t", "demo": TINY_CONFIG["demo"]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dry_run_lists_a_data_job_per_dataset(tmp_path):
    write_config(tmp_path)
    out = snakemake(tmp_path, "-n", "--quiet", "rules").stdout
    assert re.search(r"raw_dataset\s+8", out), out


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"demo": {"sed": 1}}, "'sed' was unexpected"),
        ({"data": {"gsm8k_test": {"source": "dmeo"}}}, "['data']['gsm8k_test']['source']"),
        ({"data": {"math500": {"source": "url"}}}, "'url' is a required property"),
        (
            {"data": {"math500": {"source": "url", "url": "https://x.org/a", "sha256": "abc"}}},
            "['data']['math500']['sha256']",
        ),
        ({"demo": {"gsm8k": {"train": -3}}}, "['demo']['gsm8k']['train']"),
        ({"demo": {"math": {"test": "ten"}}}, "['demo']['math']['test']"),
        ({"run": "has space"}, "['run']"),
    ],
)
def test_bad_config_stops_with_the_key_named(tmp_path, overrides, named):
    write_config(tmp_path, overrides)
    result = snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    assert "Error validating config file" in result.stderr + result.stdout
    assert named in result.stderr + result.stdout


def test_demo_data_rules_write_every_dataset(tiny_run, tiny_run_copy):
    for name, (kind, split) in DATASETS.items():
        path = tiny_run.results / "data" / f"{name}.jsonl"
        assert validate_dataset(name, path) == tiny_run.config["demo"][kind][split], name
        assert (tiny_run.results / "logs" / "data" / f"{name}.log").exists()
    # Deterministic: the same config regenerates the same bytes.
    data = tiny_run_copy.results / "data"
    before = {path.name: sha256(path) for path in data.glob("*.jsonl")}
    assert len(before) == len(DATASETS)
    snakemake(tiny_run_copy.workdir, "--cores", "2", "raw_data", "--forcerun", "raw_dataset")
    assert all(
        path.stat().st_mtime > (tiny_run.results / "data" / path.name).stat().st_mtime for path in data.glob("*.jsonl")
    )
    assert {path.name: sha256(path) for path in data.glob("*.jsonl")} == before


def rerun_datasets(workdir) -> set[str]:
    out = snakemake(workdir, "-n", "raw_data", "--printshellcmds").stdout
    return set(re.findall(r"--out \S*/data/(\w+)\.jsonl", out))


def test_config_changes_rerun_only_the_datasets_that_use_them(tiny_run_copy):
    workdir, config = tiny_run_copy.workdir, tiny_run_copy.config
    assert rerun_datasets(workdir) == set()
    demo = config["demo"]
    write_config(workdir, deep_update(config, {"demo": {"math": {"train": demo["math"]["train"] + 1}}}))
    assert rerun_datasets(workdir) == {"math_train"}
    # PRM800K demo records are labelled MATH-style solutions: MATH knobs reach them too.
    write_config(workdir, deep_update(config, {"demo": {"math": {"knobs": {"max_number": 9}}}}))
    assert rerun_datasets(workdir) == {"math_train", "math500"} | {n for n in DATASETS if n.startswith("prm800k")}
    write_config(workdir, deep_update(config, {"demo": {"gsm8k": {"knobs": {"distractor_prob": 0.1}}}}))
    assert rerun_datasets(workdir) == {"gsm8k_train", "gsm8k_test"}


@pytest.mark.realdata
def test_path_source_copies_the_real_mirror(tmp_path, shared_data):
    mirror = mirror_data(shared_data)  # the overlay's paths, relative to the repo root, into the mirror
    write_config(tmp_path, {**SMALL_DEMO, "data": mirror})
    targets = [f"results/t/data/{name}.jsonl" for name in mirror]
    snakemake(tmp_path, "--cores", "2", *targets)
    for name, entry in mirror.items():
        copied = tmp_path / "results" / "t" / "data" / f"{name}.jsonl"
        assert sha256(copied) == entry["sha256"] == sha256(Path(entry["path"]))
    assert validate_dataset("gsm8k_train", tmp_path / "results/t/data/gsm8k_train.jsonl") == 7473
    assert validate_dataset("math500", tmp_path / "results/t/data/math500.jsonl") == 500


@pytest.mark.realdata
def test_checksum_mismatch_fails_and_keeps_other_outputs(tmp_path, shared_data):
    source = str(shared_data / "gsm8k" / "test.jsonl")
    write_config(
        tmp_path, {**SMALL_DEMO, "data": {"gsm8k_test": {"source": "path", "path": source, "sha256": "0" * 64}}}
    )
    snakemake(tmp_path, "--cores", "1", "results/t/data/gsm8k_train.jsonl")
    kept = tmp_path / "results/t/data/gsm8k_train.jsonl"
    before = sha256(kept)
    result = snakemake(tmp_path, "--cores", "1", "results/t/data/gsm8k_test.jsonl", check=False)
    assert result.returncode != 0
    log = (tmp_path / "results/t/logs/data/gsm8k_test.log").read_text()
    assert "0" * 64 in log and "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14" in log, log
    assert not (tmp_path / "results/t/data/gsm8k_test.jsonl").exists()
    assert sha256(kept) == before
    assert sha256(Path(source)) == "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"


def test_malformed_local_file_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = json.dumps({"question": "What is 1+1?", "answer": "1+1=<<1+1=2>>2\n#### 2"})
    bad.write_text(good + "\n" + '{"question": "x", "answer": \n')
    write_config(tmp_path, {**SMALL_DEMO, "data": {"gsm8k_test": {"source": "path", "path": str(bad)}}})
    result = snakemake(tmp_path, "--cores", "1", "results/t/data/gsm8k_test.jsonl", check=False)
    assert result.returncode != 0
    log = (tmp_path / "results/t/logs/data/gsm8k_test.log").read_text()
    assert "gsm8k_test.jsonl:2:" in log and "malformed JSON" in log, log
