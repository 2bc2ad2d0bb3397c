"""A scorer added by config alone: the seeded random scorer `chance` of .test/config.yaml.

Its entry under ``scorers:`` is all the tiny run was given (no rule, script or
registry entry of its own): the test reads the session's shared run
(tests/conftest.py: ``tiny_run``), and adds a second such scorer to a copy of it
by writing a config.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from stepwise.config.registry import evaluation_methods
from tests.workflow import TINY_CONFIG, deep_update, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.slow

TASKS = ("gsm8k", "math")
KEYS = ["problem_id", "sample_id"]
CHANCE = {"name": "chance", "kind": "random", "tasks": list(TASKS), "seed": 0}


def read(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True, dtype={"problem_id": str})


def chance_rows(table: pd.DataFrame, name: str = "chance") -> pd.DataFrame:
    return table[table["method"] == name].drop(columns="method").set_index("n")


def test_a_configured_scorer_joins_the_tables(tiny_run, tiny_run_copy):
    assert CHANCE in TINY_CONFIG["scorers"]
    # What the run was given: its config, nothing else (the rest of its folder is Snakemake's and the outputs).
    assert {path.name for path in tiny_run.workdir.iterdir()} == {"config.yaml", ".snakemake", "results"}
    combined = pd.read_csv(tiny_run.results / "combined_accuracy.csv")
    for task in TASKS:
        samples = read(tiny_run.results / f"{task}/samples/test.jsonl")
        scores = read(tiny_run.results / f"{task}/scores/test/chance.jsonl")
        assert list(scores.columns) == KEYS + ["chance"]
        assert scores[KEYS].equals(samples[KEYS])  # one score per sample, in the samples' order
        assert scores["chance"].between(0, 1, inclusive="left").all()
        assert scores["chance"].nunique() == len(scores)  # drawn per sample, not one constant

        assert "chance" in [method["label"] for method in evaluation_methods(tiny_run.config, task)]
        table = pd.read_csv(tiny_run.results / f"{task}/accuracy.csv")
        rows = chance_rows(table)
        assert list(rows.index) == sorted(table["n"].unique())  # a row for every N
        pass_at = table[table["method"] == "pass@n"].set_index("n")["accuracy"]
        assert rows.loc[1, "accuracy"] == pytest.approx(pass_at[1])  # best-of-1: one sample
        in_combined = chance_rows(combined[combined["task"] == task].drop(columns="task"))
        pd.testing.assert_frame_equal(in_combined, rows)

        # Best-of-N by random scores is a random pick: at the largest N (every sample), its accuracy is the
        # single-sample accuracy (pass@1) in expectation, within the binomial noise of a few problems.
        pooled = samples[~samples["greedy"]].merge(scores, on=KEYS, validate="one_to_one")
        largest = pooled.groupby("problem_id").size().max()
        assert largest == rows.index.max()
        picked = pooled.loc[pooled.groupby("problem_id")["chance"].idxmax()]
        accuracy = rows.loc[largest, "accuracy"]
        assert accuracy == pytest.approx(picked["correct"].mean())
        single = pooled.groupby("problem_id")["correct"].mean().mean()
        assert single == pytest.approx(pass_at[1])
        problems = len(picked)
        assert abs(accuracy - single) <= 3 * math.sqrt(single * (1 - single) / problems) + 1 / problems
        selections = pd.read_csv(tiny_run.results / f"{task}/selections.csv", dtype={"problem_id": str})
        chosen = selections[selections["method"] == "chance"].set_index("problem_id")["sample_id"]
        assert chosen.to_dict() == picked.set_index("problem_id")["sample_id"].to_dict()

    # Another one, for MATH only, by writing the config alone: its scores and rows, and nothing retrained.
    workdir = tiny_run_copy.workdir
    coin = {"name": "coin", "kind": "random", "tasks": ["math"], "seed": 1}
    write_config(workdir, deep_update(tiny_run_copy.config, {"scorers": [CHANCE, coin]}))
    assert planned_jobs(workdir) == {
        "random_scores": 1,
        "evaluate": 1,
        "combined_accuracy": 1,
        "claims": 1,
        "run_config": 1,
        "all": 1,
    }
    snakemake(workdir, "--cores", "2")
    results = tiny_run_copy.results
    coin_scores = read(results / "math/scores/test/coin.jsonl")
    assert not coin_scores["coin"].equals(read(results / "math/scores/test/chance.jsonl")["chance"])  # its own seed
    math_table = pd.read_csv(results / "math/accuracy.csv")
    assert list(dict.fromkeys(math_table["method"]))[-3:] == ["chance", "coin", "pass@n"]
    assert "coin" not in set(pd.read_csv(results / "gsm8k/accuracy.csv")["method"])
    assert not (results / "gsm8k/scores/test/coin.jsonl").exists()
    assert set(pd.read_csv(results / "combined_accuracy.csv").query("method == 'coin'")["task"]) == {"math"}
