"""The Math-Shepherd experiment (target `math_shepherd`) of the whole DAG on the tiny test config, run by Snakemake.

The run is the session's shared one (tests/conftest.py: ``tiny_run``), with the
experiment on for both tasks and the strategy comparison (.test/config.yaml).
"""

from __future__ import annotations

import json
import math
import zipfile

import datasets
import pandas as pd
import pytest

from stepwise.data.stepwise_formats import read_math_shepherd, read_trl
from stepwise.formats.steps import split_steps
from stepwise.scoring.marked import steps_to_score
from tests.workflow import TINY_CONFIG, deep_update, planned_jobs, snakemake, squeezed, write_config

TASKS = ("gsm8k", "math")
STEP_FORMATS = {"gsm8k": "gsm8k", "math": "prm800k"}
KEYS = ["problem_id", "sample_id"]
SHEPHERD = TINY_CONFIG["shepherd"]
COMBINED = "combined_accuracy.csv"

pytestmark = pytest.mark.slow


def read(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


@pytest.mark.parametrize("task", TASKS)
def test_table_ranks_by_the_shepherd_prm_with_each_aggregation(tiny_run, task):
    workdir, config = tiny_run.workdir, tiny_run.config
    aggregations = config[task]["evaluation"]["aggregations"]
    table = pd.read_csv(workdir / f"results/t/{task}/accuracy.csv")
    methods = [f"shepherd_prm_{a}" for a in aggregations]
    assert set(methods) <= set(table["method"])
    assert table["accuracy"].between(0, 1).all()
    table = table.set_index(["method", "n"])
    for method in methods:  # best-of-N never beats pass@N
        for n in table.loc[method].index:
            assert table.loc[(method, n), "accuracy"] <= table.loc[("pass@n", n), "accuracy"] + 1e-9

    samples = read(workdir / f"results/t/{task}/samples/test.jsonl")
    scores = read(workdir / f"results/t/{task}/scores/test/shepherd_prm.jsonl")
    assert list(scores.columns) == KEYS + ["shepherd_prm", *methods] and scores[KEYS].equals(samples[KEYS])
    for text, steps, *solution in samples[["text"]].join(scores[["shepherd_prm", *methods]]).itertuples(index=False):
        assert len(steps) == len(steps_to_score(text, STEP_FORMATS[task])) and all(0 <= p <= 1 for p in steps)
        if steps:
            expected = {"prod": math.prod(steps), "min": min(steps), "last": steps[-1], "mean": sum(steps) / len(steps)}
            assert solution == pytest.approx([expected[a] for a in aggregations])


@pytest.mark.parametrize("task", TASKS)
def test_labels_load_in_both_formats_and_cover_the_configured_problems(tiny_run, task):
    workdir = tiny_run.workdir
    out = workdir / f"results/t/shepherd/{task}"
    trl, shepherd = read_trl(out / "trl.jsonl"), read_math_shepherd(out / "math_shepherd.jsonl")
    assert [(e.prompt, e.steps, e.labels) for e in trl] == [(e.prompt, e.steps, e.labels) for e in shepherd]
    for name in ("trl.jsonl", "math_shepherd.jsonl"):
        loaded = datasets.load_dataset("json", data_files=str(out / name), split="train")
        assert len(loaded) == len(trl)
    assert datasets.load_dataset("json", data_files=str(out / "trl.jsonl"), split="train")["labels"] == [
        list(e.labels) for e in trl
    ]

    # Every sample of the first shepherd.problems training problems, split into its steps.
    samples = read(workdir / f"results/t/{task}/samples/train.jsonl")
    first = list(dict.fromkeys(samples["problem_id"]))[: SHEPHERD["problems"]]
    expected = {
        (p, s): tuple(split_steps(text, STEP_FORMATS[task]))
        for p, s, text in samples[KEYS + ["text"]].itertuples(index=False)
        if p in first
    }
    expected = {key: steps for key, steps in expected.items() if steps}
    assert {(e.extra["problem_id"], e.extra["sample_id"]): e.steps for e in trl} == expected


@pytest.mark.parametrize("task", TASKS)
def test_stats_count_the_labels_and_measure_their_quality_on_the_demo(tiny_run, task):
    workdir, config = tiny_run.workdir, tiny_run.config
    trl = read_trl(workdir / f"results/t/shepherd/{task}/trl.jsonl")
    stats = json.loads((workdir / f"results/t/shepherd/{task}/stats.json").read_text())
    labels = [label for e in trl for label in e.labels]
    assert stats["labels"] == config["shepherd"]["labels"] and stats["strategies"] == [config["shepherd"]["strategy"]]
    assert stats["n_solutions"] == len(trl) and stats["n_steps"] == len(labels)
    assert stats["positive_rate"] == pytest.approx(sum(labels) / len(labels))
    assert stats["completions"] > 0 and stats["tokens"] > 0
    for kind in ("hard", "soft"):  # the demo's ground truth judges every labelled step
        quality = stats["quality"][kind]
        assert 0 <= quality["accuracy"] <= 1 and quality["n_steps"] == len(labels)


@pytest.mark.parametrize("task", TASKS)
def test_the_other_strategy_relabels_the_first_problems_for_the_comparison(tiny_run, task):
    workdir, config = tiny_run.workdir, tiny_run.config
    out = workdir / f"results/t/shepherd/{task}"
    comparison = json.loads((out / "strategies.json").read_text())
    assert comparison["labelled_by_workflow"] == config["shepherd"]["strategy"] == "binary"
    trl = read_trl(out / "trl.jsonl")
    first = list(dict.fromkeys(e.extra["problem_id"] for e in trl))[: SHEPHERD["compare_problems"]]
    compared = [e for e in trl if e.extra["problem_id"] in first]
    overall = comparison["all"]
    assert comparison["problems"] == len(first) and overall["solutions"] == len(compared)
    assert overall["steps"] == sum(len(e.steps) for e in compared)
    # linear completes every prefix but the last, N times each
    assert overall["linear_completions"] == SHEPHERD["completions"] * sum(len(e.steps) - 1 for e in compared)
    assert overall["binary_completions"] <= overall["linear_completions"]
    assert 0 <= overall["agreement"] <= 1
    assert set(comparison["quality"]) == {"linear", "binary"}  # demo data: both strategies judged against the truth
    table = squeezed((out / "strategies.md").read_text())
    assert "| all |" in table and "| linear | hard |" in table


def test_combined_table_holds_every_task_table(tiny_run):
    combined = pd.read_csv(tiny_run.results / COMBINED)
    assert list(combined.columns) == ["task", "method", "n", "accuracy", "std"]
    assert list(dict.fromkeys(combined["task"])) == list(TASKS)
    for task in TASKS:
        table = pd.read_csv(tiny_run.results / f"{task}/accuracy.csv")
        assert combined[combined["task"] == task].drop(columns="task").reset_index(drop=True).equals(table)
    assert (tiny_run.results / "combined_accuracy.png").stat().st_size > 0


def test_prm_starts_from_the_task_generator_and_the_report_has_the_stats(tiny_run, tiny_report):
    for task in TASKS:
        prm = json.loads((tiny_run.results / f"models/{task}_shepherd_prm/prm.json").read_text())
        assert prm["settings"]["epochs"] == SHEPHERD["prm"]["epochs"]
        generator = json.loads((tiny_run.results / f"models/{task}_generator/config.json").read_text())
        assert prm["step_marker_id"] == generator["vocab_size"]
    archive = zipfile.ZipFile(tiny_report)
    reported = {archive.read(name) for name in archive.namelist() if name.startswith("report/data/raw/")}
    for task in TASKS:  # the very files
        for name in ("stats.json", "strategies.md"):
            assert (tiny_run.results / f"shepherd/{task}/{name}").read_bytes() in reported, (task, name)
    names = archive.namelist()
    # each task's label stats, and the PRM800K preprocessing stats the MATH table depends on
    assert sum(name.endswith("/stats.json") for name in names) == len(TASKS) + 1, names
    assert any(name.endswith("/combined_accuracy.png") for name in names), names
    assert sum(name.endswith("/strategies.md") for name in names) == len(TASKS), names
    html = archive.read("report/report.html").decode()
    assert "Math-Shepherd" in html and "shepherd_prm_" in html


def test_only_the_configured_tasks_run_the_experiment(tmp_path):
    write_config(tmp_path, deep_update(TINY_CONFIG, {"shepherd": {"tasks": ["math"]}}))
    jobs = planned_jobs(tmp_path, "math_shepherd")
    shards = TINY_CONFIG["sampling"]["shards"]  # one label shard per sampling shard
    assert jobs["shepherd_label_shard"] == shards and jobs["shepherd_train_prm"] == 1 and jobs["evaluate"] == 1
    printed = snakemake(tmp_path, "-n", "-p", "results/t/gsm8k/accuracy.csv").stdout
    assert "shepherd" not in printed
    write_config(tmp_path, deep_update(TINY_CONFIG, {"shepherd": {"labels": "soft_targets"}}))
    result = snakemake(tmp_path, "-n", "math_shepherd", check=False)
    assert result.returncode != 0 and "['shepherd']['labels']" in result.stdout + result.stderr
