"""Replicates: folders, seeds shifted in the random parts only, summaries over replicates."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from stepwise.config.replicates import SEED_STRIDE, replicate_config, replicate_dirs, replicate_number, seed_paths
from stepwise.evaluation.replicate_summary import MEAN, gaps, mean_rows, replicate_count, summarise, summary_markdown
from tests.workflow import ROOT, squeezed


@pytest.fixture(scope="module")
def demo_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_replicate_one_is_the_run_folder_and_the_others_nest_below_it():
    assert replicate_dirs("results/demo", 1) == ["results/demo"]
    dirs = replicate_dirs("results/demo", 3)
    assert dirs == ["results/demo", "results/demo/replicates/2", "results/demo/replicates/3"]
    assert [replicate_number("results/demo", d) for d in dirs] == [1, 2, 3]
    for bad in ("results/demo/replicates/1", "results/other", "results/demo/replicates/x"):
        with pytest.raises(ValueError, match="not a replicate folder"):
            replicate_number("results/demo", bad)
    for count in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="replicates must be"):
            replicate_dirs("results/demo", count)


def test_a_replicate_shifts_the_seeds_of_training_and_sampling_only(demo_config):
    config = {**demo_config, "scorers": [{"name": "chance", "kind": "random", "tasks": ["gsm8k"], "seed": 5}]}
    paths = seed_paths(config)
    shifted = {".".join(map(str, p)) for p in paths}
    for expected in (
        "gsm8k.sft.seed",
        "gsm8k.verifier_samples.seed",
        "gsm8k.verifier.seed",
        "gsm8k.test_samples.seed",
        "math.sft.seed",
        "math.train_samples.seed",
        "math.orm.seed",
        "math.test_samples.seed",
        "prm800k.prm.seed",
        "shepherd.seed",
        "shepherd.prm.seed",
        "scorers.0.seed",
    ):
        assert expected in shifted
    for fixed in (
        "demo.seed",
        "model.tiny.seed",
        "gsm8k.evaluation.seed",
        "math.evaluation.seed",
        "math.generator_data.seed",
    ):
        assert fixed not in shifted
    third = replicate_config(config, 3)
    assert third["gsm8k"]["sft"]["seed"] == config["gsm8k"]["sft"]["seed"] + 2 * SEED_STRIDE
    assert third["scorers"][0]["seed"] == 5 + 2 * SEED_STRIDE
    assert third["demo"] == config["demo"] and third["model"] == config["model"]
    assert replicate_config(config, 1) == config
    assert config["gsm8k"]["sft"]["seed"] == demo_config["gsm8k"]["sft"]["seed"]  # the original is untouched


def _table(values: dict[tuple[str, int], float]) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, "n": n, "accuracy": a, "std": 0.01} for (m, n), a in values.items()])


def test_summary_rows_are_the_mean_and_the_spread_over_replicates():
    tables = [
        _table({("greedy", 1): 0.2, ("greedy", 4): 0.2, ("verifier", 1): 0.2, ("verifier", 4): 0.5}),
        _table({("greedy", 1): 0.4, ("greedy", 4): 0.4, ("verifier", 1): 0.3, ("verifier", 4): 0.3}),
        _table({("verifier", 1): 0.1, ("verifier", 4): 0.7, ("greedy", 1): 0.3, ("greedy", 4): 0.3}),
    ]
    summary = summarise(tables)
    assert list(summary.columns) == ["method", "n", "replicate", "accuracy", "std"]
    assert replicate_count(summary) == 3
    per_replicate = summary[summary["replicate"] != MEAN]
    assert len(per_replicate) == 12 and set(per_replicate["replicate"]) == {"1", "2", "3"}
    means = mean_rows(summary).set_index(["method", "n"])
    assert list(dict.fromkeys(mean_rows(summary)["method"])) == ["greedy", "verifier"]
    assert means.loc[("verifier", 4), "accuracy"] == pytest.approx(0.5)
    assert means.loc[("verifier", 4), "std"] == pytest.approx(0.2)  # sd of 0.5, 0.3, 0.7 (ddof 1)
    assert means.loc[("greedy", 1), "std"] == pytest.approx(0.1)
    gap = gaps(summary, ["greedy", "majority"], 4).set_index(["method", "baseline"])
    assert list(gap.index) == [("verifier", "greedy")]  # no majority in these tables
    assert gap.loc[("verifier", "greedy"), "mean"] == pytest.approx(0.2)
    assert gap.loc[("verifier", "greedy"), "wins"] == 2  # +0.3, -0.1, +0.4
    # A later baseline is not compared with itself or an earlier one (that row is already there, negated).
    assert list(
        gaps(summary, ["greedy", "verifier"], 4)[["method", "baseline"]].itertuples(index=False, name=None)
    ) == [("verifier", "greedy")]
    text = summary_markdown(summary, ["greedy", "majority"])
    assert "over 3 replicates" in text and "| verifier | greedy | +20.0 (±26.5) | 2/3 |" in squeezed(text)


def test_one_replicate_has_no_spread_and_mismatched_tables_are_refused():
    one = summarise([_table({("greedy", 1): 0.25})])
    assert mean_rows(one).loc[0, "std"] == 0.0
    with pytest.raises(ValueError, match="replicate 2's table has other methods"):
        summarise([_table({("greedy", 1): 0.2}), _table({("majority", 1): 0.2})])
