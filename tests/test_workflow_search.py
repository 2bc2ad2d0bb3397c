"""Test-time search in the DAG (rules/search.smk): the tiny run's search outputs, consistent with its
records and samples; the jobs the demo and the paper config plan, on GPUs at paper scale."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest
import yaml

from stepwise.config.registry import search_score_column
from stepwise.io import read_jsonl
from stepwise.search.analysis import ACCURACY_COLUMNS, BINNINGS, CURVE_COLUMNS, DIFFICULTY_COLUMNS
from tests.test_workflow_scale import PAPER, dry_run_jobs, gpus
from tests.workflow import planned_jobs, write_config

pytestmark = pytest.mark.slow


def search_records(run, task) -> pd.DataFrame:
    folder = run.results / "search" / task
    paths = sorted((folder / "shards").glob("*/shard-*.jsonl")) + [folder / "best_of_n.jsonl"]
    return pd.DataFrame([record for path in paths for record in read_jsonl(path)]).astype({"problem_id": str})


def test_every_task_is_searched_by_every_method_at_every_budget(tiny_run):
    search = tiny_run.config["search"]
    assert search["tasks"] and search["methods"]
    for task in search["tasks"]:
        folder = tiny_run.results / "search" / task
        records = search_records(tiny_run, task)
        samples = pd.read_json(
            tiny_run.results / task / "samples" / "test.jsonl", lines=True, dtype={"problem_id": str}
        )
        problems = set(samples["problem_id"])
        # One record per problem, method and budget, over exactly the sampled test problems.
        expected = {(method, n) for method in ["best_of_n", *search["methods"]] for n in search["budgets"]}
        assert set(zip(records["method"], records["n"])) == expected
        assert len(records) == len(expected) * len(problems)
        assert not records.duplicated(["problem_id", "method", "n"]).any()
        assert records.groupby(["method", "n"])["problem_id"].apply(set).eq(problems).all()
        # A search's answer only from a finished solution (best-of-N's samples keep theirs, as in the task's
        # table); every problem's search generated something, and every method's guide scored something.
        searched = records[records["method"] != "best_of_n"]
        assert searched.loc[searched["finished"] == 0, "answer"].isna().all()
        assert not records.loc[records["answer"].isna(), "correct"].any()
        assert (records["generated_tokens"] > 0).all() and records.groupby("method")["scored_tokens"].sum().gt(0).all()

        # The table is the records' per-problem means.
        table = pd.read_csv(folder / "accuracy.csv")
        assert list(table.columns) == ACCURACY_COLUMNS and len(table) == len(expected)
        means = records.groupby(["method", "n"])[["correct", "generated_tokens", "scored_tokens"]].mean()
        for _, row in table.iterrows():
            mean = means.loc[(row["method"], row["n"])]
            assert row["accuracy"] == pytest.approx(mean["correct"])
            assert row["generated_tokens"] == pytest.approx(mean["generated_tokens"])
            assert row["scored_tokens"] == pytest.approx(mean["scored_tokens"])

        # Every problem in one level of each binning; oracle levels follow pass@1 of the sampled solutions.
        levels = pd.read_csv(folder / "levels.csv", dtype={"problem_id": str}).set_index("problem_id")
        assert set(levels.index) == problems and levels[list(BINNINGS)].isin(range(1, search["bins"] + 1)).all().all()
        pass_at_1 = samples[~samples["greedy"]].groupby("problem_id")["correct"].mean()
        assert levels["pass_at_1"].to_dict() == pytest.approx(pass_at_1.to_dict())
        easier = levels.sort_values("pass_at_1", ascending=False)
        assert easier["oracle"].is_monotonic_increasing
        scores = pd.read_json(
            tiny_run.results / task / "scores" / "test" / f"{search['guides'][task]}.jsonl",
            lines=True,
            dtype={"problem_id": str},
        )
        column = search_score_column(tiny_run.config, task)
        pooled = samples[~samples["greedy"]].merge(scores, on=["problem_id", "sample_id"], validate="one_to_one")
        mean_score = pooled.groupby("problem_id")[column].mean()
        assert levels["mean_score"].to_dict() == pytest.approx(mean_score.to_dict())

        difficulty = pd.read_csv(folder / "difficulty.csv")
        assert list(difficulty.columns) == DIFFICULTY_COLUMNS
        assert difficulty.groupby(["binning", "method", "n"])["problems"].sum().eq(len(problems)).all()
        curve = pd.read_csv(folder / "compute_optimal.csv")
        assert list(curve.columns) == CURVE_COLUMNS
        assert sorted(zip(curve["binning"], curve["n"])) == sorted((b, n) for b in BINNINGS for n in search["budgets"])
        assert (curve["problems"] == len(problems)).all()

        summary = json.loads((folder / "summary.json").read_text())
        best_of_n = table[table["method"] == "best_of_n"].set_index("n").loc[max(search["budgets"])]
        assert summary["best_of_n"]["accuracy"] == pytest.approx(best_of_n["accuracy"])
        for binning in BINNINGS:
            point = summary[binning]
            if point["reached"]:
                assert point["accuracy"] >= best_of_n["accuracy"]
                assert point["token_ratio"] == pytest.approx(point["generated_tokens"] / best_of_n["generated_tokens"])
            else:
                assert (
                    point["token_ratio"] is None
                    and (curve[curve["binning"] == binning]["accuracy"] < best_of_n["accuracy"]).all()
                )
        for name in ("accuracy.md", "difficulty.md", "compute_optimal.md", "accuracy.png"):
            assert (folder / name).stat().st_size > 0


def test_the_report_has_the_search_pages(tiny_run, tiny_report):
    archive = zipfile.ZipFile(tiny_report)
    reported = {archive.read(name) for name in archive.namelist() if name.startswith("report/data/raw/")}
    for task in tiny_run.config["search"]["tasks"]:
        for name in ("accuracy.csv", "accuracy.png", "difficulty.md", "compute_optimal.md", "summary.json"):
            assert (tiny_run.results / "search" / task / name).read_bytes() in reported, (task, name)
    html = archive.read("report/report.html").decode()
    assert "Test-time search" in html and "Compute-optimal test-time search" in html


def test_a_missing_search_shard_reruns_alone(tiny_run_copy):
    """As after a run killed during one search shard: that shard and the task's evaluation are missing."""
    method = tiny_run_copy.config["search"]["methods"][0]
    folder = tiny_run_copy.results / "search" / tiny_run_copy.config["search"]["tasks"][0]
    (folder / "shards" / method / "shard-0.jsonl").unlink()
    for name in ("accuracy.csv", "summary.json"):
        (folder / name).unlink()
    assert planned_jobs(tiny_run_copy.workdir) == {"search_shard": 1, "search_evaluate": 1, "claims": 1, "all": 1}


def test_the_demo_searches_both_tasks_by_both_methods(tmp_path):
    config = write_config(tmp_path)
    search, shards = config["search"], config["sampling"]["shards"]
    planned = planned_jobs(tmp_path, "test_time_search")
    tasks = len(search["tasks"])
    assert {
        "search_shard": tasks * len(search["methods"]) * shards,
        "search_best_of_n": tasks,
        "search_evaluate": tasks,
        "test_time_search": 1,
    }.items() <= planned.items(), planned
    everything = planned_jobs(tmp_path)  # `all` asks for the same outputs
    assert {
        rule: planned[rule] for rule in ("search_shard", "search_best_of_n", "search_evaluate")
    }.items() <= everything.items()


def test_paper_config_searches_math500_on_gpus(tmp_path):
    write_config(tmp_path)
    paper = yaml.safe_load(PAPER.read_text())
    search, shards = paper["search"], paper["sampling"]["shards"]
    assert search["tasks"] == ["math"] and max(search["budgets"]) == 256 and search["beam_width"] == 4
    assert paper["math"]["test_samples"]["n"] >= 256  # best-of-256 draws from them
    jobs = dry_run_jobs(tmp_path, "test_time_search", "--configfile", str(PAPER))
    shard_jobs = [(resources, shell) for rule, resources, shell in jobs if rule == "search_shard"]
    assert len(shard_jobs) == len(search["methods"]) * shards
    for resources, shell in shard_jobs:  # generator and PRM on the job's one GPU, vLLM taking its share
        assert (
            gpus(resources) == 1
            and "stepwise.launch --gpus 1" in shell
            and "--guide results/paper-qwen2.5-1.5b/models/prm800k_prm" in shell
        )
        settings = json.loads(shell.split("--settings '")[1].split("'")[0])
        assert settings["sampling"]["backend"] == "vllm"
        assert settings["sampling"]["gpu_memory_utilization"] == search["gpu_memory_utilization"] < 1
        assert settings["search"]["budgets"] == search["budgets"] and settings["guide"]["kind"] == "prm"
    assert all(gpus(resources) == 0 for rule, resources, _ in jobs if rule in ("search_best_of_n", "search_evaluate"))
    assert not (tmp_path / "results").exists()
