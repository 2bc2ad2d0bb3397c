"""A scorer added through the registry with nothing but a config entry: the shared tiny run's `chance`
scorer (.test/config.yaml, kind `random`) joins every task's table and the combined table."""

from __future__ import annotations

import pandas as pd
import pytest

from stepwise.registry import evaluation_methods

pytestmark = pytest.mark.slow

KEYS = ["problem_id", "sample_id"]


@pytest.mark.parametrize("task", ["gsm8k", "math"])
def test_a_configured_scorer_joins_the_tables(tiny_run, task):
    workdir, config = tiny_run
    entry = next(entry for entry in config["scorers"] if entry["name"] == "chance")
    assert entry["kind"] == "random" and task in entry["tasks"]  # declared in the config alone
    results = workdir / "results" / "t"
    samples = pd.read_json(results / task / "samples/test.jsonl", lines=True)
    scores = pd.read_json(results / task / "scores/test/chance.jsonl", lines=True)
    assert list(scores.columns) == [*KEYS, "chance"] and scores[KEYS].equals(samples[KEYS])
    assert scores["chance"].between(0, 1, inclusive="left").all() and scores["chance"].nunique() == len(scores)

    table = pd.read_csv(results / task / "accuracy.csv").set_index(["method", "n"])
    assert "chance" in table.index.get_level_values("method")
    assert "chance" in [m["label"] for m in evaluation_methods(config, task)]
    # Best-of-N by the random score is one sample of the N picked at random: the same expected accuracy as a
    # single sample. Computed here from the samples, independently of the selection library.
    pooled = samples[~samples["greedy"]].merge(scores, on=KEYS, validate="one_to_one")
    n = config[task]["test_samples"]["n"]
    picked = pooled.loc[pooled.groupby("problem_id")["chance"].idxmax()]
    assert table.loc[("chance", n), "accuracy"] == pytest.approx(picked["correct"].mean())
    assert table.loc[("chance", 1), "accuracy"] == pytest.approx(table.loc[("pass@n", 1), "accuracy"])

    combined = pd.read_csv(results / "combined_accuracy.csv")
    assert set(combined.loc[combined["method"] == "chance", "task"]) == {"gsm8k", "math"}
