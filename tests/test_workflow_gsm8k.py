"""The GSM8K verifier experiment of the whole DAG on the tiny test config, run for real by Snakemake.

The run is the session's shared one (tests/conftest.py: ``tiny_run``); tests that
change a config or rerun jobs work on a copy of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pandas as pd
import pytest

from stepwise.config.registry import load_gsm8k_problems
from tests.workflow import ROOT, deep_update, planned_jobs, snakemake, squeezed, write_config

pytestmark = pytest.mark.slow

# The table's rows in order: the votes, the verifier's methods, the Math-Shepherd PRM's (gsm8k.evaluation.aggregations
# in config.yaml), the configured scorer of .test/config.yaml, pass@n.
METHODS = [
    "greedy",
    "majority",
    "weighted_majority",
    "verifier",
    "topk_vote",
    "shepherd_prm_min",
    "shepherd_prm_prod",
    "shepherd_prm_last",
    "chance",
    "pass@n",
]
BEST_OF_N = ["verifier", "shepherd_prm_min", "shepherd_prm_prod", "shepherd_prm_last", "chance"]  # by one score column
POOLED = set(METHODS) - {"greedy", "pass@n"}  # selection methods that draw from the N samples
KEYS = ["problem_id", "sample_id"]


def read_samples(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


def test_accuracy_table_has_the_promised_shape(tiny_run):
    table = pd.read_csv(tiny_run.results / "gsm8k/accuracy.csv")
    assert list(table.columns) == ["method", "n", "accuracy", "std"]
    assert list(dict.fromkeys(table["method"])) == METHODS
    assert sorted(table["n"].unique()) == [1, 2, 4]  # test_samples.n = 4
    assert table.groupby("method").size().eq(3).all()
    assert table["accuracy"].between(0, 1).all() and (table["std"] >= 0).all()
    markdown = squeezed((tiny_run.results / "gsm8k/accuracy.md").read_text())
    assert all(f"| {method} |" in markdown for method in METHODS)


def test_accuracy_table_is_consistent_with_the_samples(tiny_run):
    table = pd.read_csv(tiny_run.results / "gsm8k/accuracy.csv").set_index(["method", "n"])
    samples = read_samples(tiny_run.results / "gsm8k/samples/test.jsonl")
    scores = read_samples(tiny_run.results / "gsm8k/scores/test/verifier.jsonl")
    assert list(scores.columns) == KEYS + ["verifier"]  # a score file: keys and the score
    for scorer in ("verifier", "shepherd_prm", "chance"):
        scores = read_samples(tiny_run.results / f"gsm8k/scores/test/{scorer}.jsonl")
        samples = samples.merge(scores, on=KEYS, validate="one_to_one")
    pooled, greedy = samples[~samples["greedy"]], samples[samples["greedy"]]
    assert len(greedy) == 12 and len(pooled) == 12 * 4
    # Computed here from the samples, independently of the selection library.
    single = pooled.groupby("problem_id")["correct"].mean().mean()
    oracle = pooled.groupby("problem_id")["correct"].any().mean()
    assert table.loc[("pass@n", 1), "accuracy"] == pytest.approx(single)
    for method in BEST_OF_N:  # best-of-1 is one random sample
        assert table.loc[(method, 1), "accuracy"] == pytest.approx(single), method
    assert table.loc[("pass@n", 4), "accuracy"] == pytest.approx(oracle)
    assert table.loc[("greedy", 4), "accuracy"] == pytest.approx(greedy["correct"].mean())
    for method in BEST_OF_N:
        if not pooled.duplicated(["problem_id", method]).any():  # no ties: best-of-4 is that sample
            best = pooled.loc[pooled.groupby("problem_id")[method].idxmax()]
            assert table.loc[(method, 4), "accuracy"] == pytest.approx(best["correct"].mean()), method
    trials = tiny_run.config["gsm8k"]["evaluation"]["trials"]
    for n in (1, 2, 4):
        for method in POOLED:  # best-of-N is exact; the votes are means over Monte Carlo trials, within their noise
            accuracy, std = table.loc[(method, n), ["accuracy", "std"]]
            noise = 0 if method in BEST_OF_N else 4 * std / trials**0.5
            assert accuracy <= table.loc[("pass@n", n), "accuracy"] + noise + 1e-9, (method, n)
    for method in POOLED - set(BEST_OF_N):  # Monte Carlo at N=1: a random single sample, within noise
        accuracy, std = table.loc[(method, 1), ["accuracy", "std"]]
        assert abs(accuracy - single) <= 4 * std / trials**0.5 + 1e-9, method


def test_samples_and_selections_are_complete(tiny_run):
    for split, problems, per_problem in (("train", 24, 2), ("test", 12, 5)):
        samples = read_samples(tiny_run.results / f"gsm8k/samples/{split}.jsonl")
        assert (
            samples.groupby("problem_id").size().eq(per_problem).all() and samples["problem_id"].nunique() == problems
        )
        assert {"problem_id", "sample_id", "greedy", "text", "answer", "correct", "num_tokens", "finish_reason"} <= set(
            samples
        )
    selections = pd.read_csv(tiny_run.results / "gsm8k/selections.csv")
    assert selections.groupby("method").size().eq(12).all() and set(selections["method"]) == set(METHODS)


def test_report_contains_every_table_and_plot(tiny_run, tiny_report):
    archive = zipfile.ZipFile(tiny_report)
    reported = {archive.read(name) for name in archive.namelist() if name.startswith("report/data/raw/")}
    plots = list(tiny_run.results.rglob("*.png"))
    tables = [
        path for path in tiny_run.results.rglob("*.csv") if path.name != "selections.csv"
    ]  # that one: a row per problem
    assert len(plots) >= 3 and len(tables) >= 3  # each task's, and the combined table's
    for path in plots + tables:  # the very file, byte for byte
        assert path.read_bytes() in reported, f"{path.relative_to(tiny_run.workdir)} is not in the report"
    html = archive.read("report/report.html").decode()
    assert "GSM8K, outcome verifier" in html and "accuracy table in long form" in html  # the captions


def test_a_finished_run_has_nothing_left_to_do(tiny_run):
    assert planned_jobs(tiny_run.workdir) == {}
    # Judged by file times alone (README: --rerun-triggers), nothing is stale either.
    assert planned_jobs(tiny_run.workdir, "--rerun-triggers", "mtime") == {}


def test_a_verifier_setting_reruns_only_the_verifier_and_what_follows(tiny_run_copy):
    workdir = tiny_run_copy.workdir
    write_config(workdir, deep_update(tiny_run_copy.config, {"gsm8k": {"verifier": {"learning_rate": 2.0e-3}}}))
    downstream = {"gsm8k_train_verifier": 1, "gsm8k_score_verifier": 1, "evaluate": 1, "gsm8k_verifier": 1}
    assert planned_jobs(workdir, "gsm8k_verifier") == downstream  # not SFT, not sampling, not the other scorers
    everything = {
        "gsm8k_train_verifier": 1,
        "gsm8k_score_verifier": 1,
        "evaluate": 1,
        "combined_accuracy": 1,
        "claims": 1,
        "run_config": 1,
        "all": 1,
    }
    search = tiny_run_copy.config["search"]
    if search["guides"].get("gsm8k") == "verifier" and "gsm8k" in search["tasks"]:  # it guides GSM8K's search too
        everything |= {
            "search_shard": len(search["methods"]) * tiny_run_copy.config["sampling"]["shards"],
            "search_best_of_n": 1,
            "search_evaluate": 1,
        }
    assert planned_jobs(workdir) == everything
    # Judged by file times alone (README: --rerun-triggers), nothing is stale.
    assert planned_jobs(workdir, "gsm8k_verifier", "--rerun-triggers", "mtime") == {}


def test_killed_sampling_reruns_only_the_missing_shards(tiny_run_copy):
    """On a copy of the finished run: its training samples again, in 4 shards, by the run's generator."""
    workdir = tiny_run_copy.workdir
    write_config(workdir, deep_update(tiny_run_copy.config, {"sampling": {"shards": 4}}))
    problems, n = (tiny_run_copy.config["gsm8k"]["verifier_samples"][key] for key in ("problems", "n"))
    target = "results/t/gsm8k/samples/train.jsonl"
    assert planned_jobs(workdir, target) == {"sample_shard": 4, "merge_samples": 1}  # the generator is kept
    shards = [workdir / f"results/t/gsm8k/samples/train/shard-{k}.jsonl" for k in range(4)]
    logs = [workdir / f"results/t/logs/gsm8k/samples/train/shard-{k}.log" for k in range(4)]
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "1",
        target,
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.time_ns()
    run = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )

    def written_now(path) -> bool:  # not the tiny run's shard-0 and shard-1 (of 2 shards), which are stale
        return path.exists() and path.stat().st_mtime_ns >= start

    def finished_one_and_started_next() -> bool:  # one job at a time (--cores 1)
        outputs = sum(written_now(s) for s in shards)
        return outputs >= 1 and sum(written_now(log) for log in logs) > outputs

    deadline = time.time() + 300
    while not finished_one_and_started_next() and run.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)  # the whole job tree, mid-sampling
    run.wait()
    done = {k: s.stat().st_mtime_ns for k, s in enumerate(shards) if written_now(s)}
    assert 1 <= len(done) < 4, "the kill should land while sampling"
    for shard in shards:  # no partial shard files: written atomically or not at all
        if shard.exists():
            [json.loads(line) for line in shard.read_text().splitlines()]
    dry = snakemake(workdir, "-n", "--printshellcmds", target).stdout
    planned = {k for k in range(4) if f"--shard {k} " in dry}
    assert planned == set(range(4)) - set(done)
    snakemake(workdir, "--unlock")  # a SIGKILL leaves Snakemake's lock behind (README: recovering)
    snakemake(workdir, "--cores", "2", target)
    assert {k: shards[k].stat().st_mtime_ns for k in done} == done
    merged = read_samples(workdir / target)
    assert merged["problem_id"].nunique() == problems and len(merged) == problems * n


@pytest.mark.realdata
def test_gsm8k_rules_run_on_real_gsm8k(real_data_run, shared_data):
    """The real GSM8K test problems, sampled, scored and selected by the tiny run's models."""
    copied = real_data_run.results / "data/gsm8k_test.jsonl"
    assert copied.read_bytes() == (shared_data / "gsm8k/test.jsonl").read_bytes()  # the mirror's file
    table = pd.read_csv(real_data_run.results / "gsm8k/accuracy.csv")
    own = [method for method in METHODS if not method.startswith("shepherd_prm") and method != "chance"]
    assert list(dict.fromkeys(table["method"])) == own and table["accuracy"].between(0, 1).all()
    samples = read_samples(real_data_run.results / "gsm8k/samples/test.jsonl")
    problems = load_gsm8k_problems(shared_data / "gsm8k/test.jsonl")[
        : real_data_run.config["gsm8k"]["test_samples"]["problems"]
    ]
    assert list(dict.fromkeys(samples["problem_id"])) == [p.problem_id for p in problems]
    assert samples.groupby("problem_id").size().eq(5).all()  # greedy and test_samples.n = 4
    scores = read_samples(real_data_run.results / "gsm8k/scores/test/verifier.jsonl")  # rescored
    assert scores[KEYS].equals(samples[KEYS])
