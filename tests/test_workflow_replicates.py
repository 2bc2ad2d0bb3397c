"""Replicates on a copy of the tiny run: raising `replicates` runs only the new replicate's random
parts, under other seeds, and the summaries over replicates are the mean and spread of its tables."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from tests.workflow import deep_update, planned_jobs, snakemake, squeezed, write_config

pytestmark = pytest.mark.slow


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_second_replicate_reruns_only_the_random_parts_and_is_summarised(tiny_run_copy):
    run = tiny_run_copy
    first = run.results
    second = first / "replicates" / "2"
    kept = {path: _digest(path) for path in [*first.glob("models/*/*.safetensors"), *first.glob("*/accuracy.csv")]}
    write_config(run.workdir, deep_update(run.config, {"replicates": 2}))

    planned = planned_jobs(run.workdir)
    tasks = len(run.config["shepherd"]["tasks"])
    # Replicate 2's generators, samples, verifiers, PRMs and labels; not the data, the base model,
    # the SFT data or PRM800K's preprocessing, and nothing of replicate 1.
    assert (
        planned["sft_generator"] == 2 and planned["prm800k_train_prm"] == 1 and planned["shepherd_train_prm"] == tasks
    )
    assert planned["evaluate"] == 2 and planned["replicate_accuracy"] == 2 and planned["combined_accuracy"] == 1
    assert planned["claims"] == 1  # over both replicates
    for shared in ("raw_dataset", "tiny_model", "pretrain_tiny_model", "base_model", "sft_data", "prm800k_preprocess"):
        assert shared not in planned

    snakemake(run.workdir, "--cores", "2", timeout=1800)
    assert {path: _digest(path) for path in kept} == kept  # replicate 1 untouched
    for model in ("gsm8k_generator", "math_generator", "gsm8k_verifier", "prm800k_prm"):
        weights = next((second / "models" / model).glob("*.safetensors"))
        assert _digest(weights) != _digest(first / "models" / model / weights.name), f"{model}: same seeds?"

    for task in ("gsm8k", "math"):
        tables = [pd.read_csv(folder / task / "accuracy.csv") for folder in (first, second)]
        summary = pd.read_csv(first / task / "accuracy_replicates.csv", dtype={"replicate": str})
        assert list(summary.columns) == ["method", "n", "replicate", "accuracy", "std"]
        for number, table in enumerate(tables, start=1):
            rows = summary[summary["replicate"] == str(number)].drop(columns="replicate").reset_index(drop=True)
            pd.testing.assert_frame_equal(rows, table)
        means = summary[summary["replicate"] == "mean"].set_index(["method", "n"])
        joined = tables[0].merge(tables[1], on=["method", "n"], suffixes=("", "_2")).set_index(["method", "n"])
        assert means["accuracy"].to_numpy() == pytest.approx(joined[["accuracy", "accuracy_2"]].mean(axis=1).to_numpy())
        spread = (joined["accuracy"] - joined["accuracy_2"]).abs() / 2**0.5  # sd of two values
        assert means["std"].to_numpy() == pytest.approx(spread.to_numpy())
        text = squeezed((first / task / "accuracy_replicates.md").read_text())
        assert "over 2 replicates" in text
        assert ("| verifier | greedy |" if task == "gsm8k" else "| orm | greedy |") in text
    combined = pd.read_csv(first / "combined_accuracy.csv", dtype={"replicate": str})
    assert list(combined.columns) == ["task", "method", "n", "replicate", "accuracy", "std"]
    assert set(combined["replicate"]) == {"1", "2", "mean"}
    claims = pd.read_csv(first / "claims.csv", dtype={"replicate": str})
    assert set(claims["replicate"]) == {"1", "2", "mean"}
    assert set(claims.loc[claims["replicate"] == "mean", "replicates"]) == {2}
    accuracy = [
        pd.read_csv(folder / "gsm8k" / "accuracy.csv").set_index(["method", "n"])["accuracy"]
        for folder in (first, second)
    ]
    n = run.config["claims"]["n"]
    verifier = claims[claims["claim"] == "verifier_vs_greedy"].set_index("replicate")
    for number, table in enumerate(accuracy, start=1):  # each replicate's own table
        assert verifier.loc[str(number), "measured"] == pytest.approx(table[("verifier", n)] - table[("greedy", n)])
    assert planned_jobs(run.workdir) == {}
