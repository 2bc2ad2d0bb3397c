"""The whole GSM8K verifier DAG on a tiny config, run for real by Snakemake."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pandas as pd
import pytest

from tests.workflow import ROOT, TINY_CONFIG, deep_update, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.slow

OWN_METHODS = {"greedy", "majority", "verifier", "weighted_majority", "topk_vote", "pass@n"}
# The shared tiny run (tests/conftest.py) also has the Math-Shepherd PRM and the `chance` scorer.
METHODS = OWN_METHODS | {"shepherd_prm_min", "shepherd_prm_prod", "shepherd_prm_last", "chance"}
POOLED = METHODS - {"greedy", "pass@n"}  # selection methods that draw from the N samples


@pytest.fixture(scope="module")
def gsm8k_run(tiny_run):
    return tiny_run[0]


def read_samples(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


def test_accuracy_table_has_the_promised_shape(gsm8k_run):
    table = pd.read_csv(gsm8k_run / "results/t/gsm8k/accuracy.csv")
    assert list(table.columns) == ["method", "n", "accuracy", "std"]
    assert set(table["method"]) == METHODS
    assert sorted(table["n"].unique()) == [1, 2, 4]  # test_samples.n = 4
    assert table["accuracy"].between(0, 1).all() and (table["std"] >= 0).all()
    markdown = (gsm8k_run / "results/t/gsm8k/accuracy.md").read_text()
    assert all(f"| {method} |" in markdown for method in METHODS)


def test_accuracy_table_is_consistent_with_the_samples(gsm8k_run):
    table = pd.read_csv(gsm8k_run / "results/t/gsm8k/accuracy.csv").set_index(["method", "n"])
    samples = read_samples(gsm8k_run / "results/t/gsm8k/samples/test.jsonl")
    scores = read_samples(gsm8k_run / "results/t/gsm8k/scores/test/verifier.jsonl")
    assert list(scores.columns) == ["problem_id", "sample_id", "verifier"]  # a score file: keys and the score
    samples = samples.merge(scores, on=["problem_id", "sample_id"], validate="one_to_one")
    pooled, greedy = samples[~samples["greedy"]], samples[samples["greedy"]]
    assert len(greedy) == 12 and len(pooled) == 12 * 4
    # Computed here from the samples, independently of the selection library.
    single = pooled.groupby("problem_id")["correct"].mean().mean()
    oracle = pooled.groupby("problem_id")["correct"].any().mean()
    assert table.loc[("pass@n", 1), "accuracy"] == pytest.approx(single)
    assert table.loc[("verifier", 1), "accuracy"] == pytest.approx(single)  # best-of-1 is one random sample
    assert table.loc[("pass@n", 4), "accuracy"] == pytest.approx(oracle)
    assert table.loc[("greedy", 4), "accuracy"] == pytest.approx(greedy["correct"].mean())
    best = pooled.loc[pooled.groupby("problem_id")["verifier"].idxmax()]
    if not pooled.duplicated(["problem_id", "verifier"]).any():  # no ties: best-of-4 is that sample
        assert table.loc[("verifier", 4), "accuracy"] == pytest.approx(best["correct"].mean())
    for n in (1, 2, 4):
        for method in POOLED:
            assert table.loc[(method, n), "accuracy"] <= table.loc[("pass@n", n), "accuracy"] + 1e-9
    for method in POOLED - {"verifier"}:  # Monte Carlo at N=1: a random single sample, within noise
        accuracy, std = table.loc[(method, 1), ["accuracy", "std"]]
        assert abs(accuracy - single) <= 4 * std / (50**0.5) + 1e-9


def test_samples_and_selections_are_complete(gsm8k_run):
    for split, problems, per_problem in (("train", 24, 2), ("test", 12, 5)):
        samples = read_samples(gsm8k_run / f"results/t/gsm8k/samples/{split}.jsonl")
        assert samples.groupby("problem_id").size().eq(per_problem).all() and samples["problem_id"].nunique() == problems
        assert {"problem_id", "sample_id", "greedy", "text", "answer", "correct", "num_tokens", "finish_reason"} <= set(samples)
    selections = pd.read_csv(gsm8k_run / "results/t/gsm8k/selections.csv")
    assert selections.groupby("method").size().eq(12).all() and set(selections["method"]) == METHODS


def test_report_contains_every_table_and_plot(gsm8k_run):
    snakemake(gsm8k_run, "--report", "report.zip", "gsm8k_verifier")
    archive = zipfile.ZipFile(gsm8k_run / "report.zip")
    reported = {archive.read(name) for name in archive.namelist() if name.startswith("report/data/raw/")}
    results = gsm8k_run / "results/t/gsm8k"  # the shared run also holds the other experiments' outputs
    plots = list(results.rglob("*.png"))
    tables = [path for path in results.rglob("*.csv") if path.name != "selections.csv"]  # that one: a row per problem
    assert plots and tables
    for path in plots + tables:  # the very file, byte for byte
        assert path.read_bytes() in reported, f"{path.relative_to(gsm8k_run)} is not in the report"
    html = archive.read("report/report.html").decode()
    assert "GSM8K, outcome verifier" in html and "accuracy table in long form" in html  # the captions


def test_a_verifier_setting_reruns_only_the_verifier_and_what_follows(gsm8k_run, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(gsm8k_run, workdir, symlinks=True)  # outputs with their times, and Snakemake's records
    assert planned_jobs(workdir, "gsm8k_verifier") == {}
    write_config(workdir, deep_update(TINY_CONFIG, {"gsm8k": {"verifier": {"learning_rate": 2.0e-3}}}))
    downstream = {"gsm8k_train_verifier": 1, "gsm8k_score_verifier": 1, "evaluate": 1, "gsm8k_verifier": 1}
    assert planned_jobs(workdir, "gsm8k_verifier") == downstream  # not SFT, not sampling
    # Judged by file times alone (README: --rerun-triggers), nothing is stale.
    assert planned_jobs(workdir, "gsm8k_verifier", "--rerun-triggers", "mtime") == {}


def test_killed_sampling_reruns_only_the_missing_shards(gsm8k_run, tmp_path):
    tmp_path = tmp_path / "run"
    shutil.copytree(gsm8k_run, tmp_path, symlinks=True)  # the shared run's generator: no SFT here
    shutil.rmtree(tmp_path / "results/t/gsm8k/samples/train")
    config = deep_update(TINY_CONFIG, {"sampling": {"shards": 4}, "gsm8k": {"verifier_samples": {"problems": 80, "n": 4}}})
    write_config(tmp_path, config)
    assert planned_jobs(tmp_path, "results/t/gsm8k/samples/train.jsonl") == {
        "sample_shard": 4, "merge_samples": 1}  # not the generator
    shards = [tmp_path / f"results/t/gsm8k/samples/train/shard-{k}.jsonl" for k in range(4)]
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
               "--cores", "1", "results/t/gsm8k/samples/train.jsonl"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    logs = [tmp_path / f"results/t/logs/gsm8k/samples/train/shard-{k}.log" for k in range(4)]

    def finished_one_and_started_next() -> bool:  # one job at a time (--cores 1)
        outputs = sum(s.exists() for s in shards)
        return outputs >= 1 and sum(log.exists() for log in logs) > outputs

    deadline = time.time() + 300
    while not finished_one_and_started_next() and run.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)  # the whole job tree, mid-sampling
    run.wait()
    done = {k: s.stat().st_mtime_ns for k, s in enumerate(shards) if s.exists()}
    assert 1 <= len(done) < 4, "the kill should land while sampling"
    for shard in shards:  # no partial shard files: written atomically or not at all
        if shard.exists():
            [json.loads(line) for line in shard.read_text().splitlines()]
    dry = snakemake(tmp_path, "-n", "--printshellcmds", "results/t/gsm8k/samples/train.jsonl").stdout
    planned = {k for k in range(4) if f"--shard {k} " in dry}
    assert planned == set(range(4)) - set(done)
    snakemake(tmp_path, "--unlock")  # a SIGKILL leaves Snakemake's lock behind (README: recovering)
    snakemake(tmp_path, "--cores", "2", "results/t/gsm8k/samples/train.jsonl")
    assert {k: shards[k].stat().st_mtime_ns for k in done} == done
    merged = read_samples(tmp_path / "results/t/gsm8k/samples/train.jsonl")
    assert merged["problem_id"].nunique() == 80 and len(merged) == 80 * 4


@pytest.mark.realdata
def test_gsm8k_rules_run_on_real_gsm8k(real_data_run):
    workdir, subsets = real_data_run  # tests/conftest.py: small subsets of the real files
    table = pd.read_csv(workdir / "results/t/gsm8k/accuracy.csv")
    assert set(table["method"]) == OWN_METHODS and table["accuracy"].between(0, 1).all()
    samples = read_samples(workdir / "results/t/gsm8k/samples/test.jsonl")
    real_questions = [json.loads(line)["question"] for line in subsets["gsm8k_test"]]
    assert samples["problem_id"].nunique() == len(real_questions)
