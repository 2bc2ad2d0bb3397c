"""A public PRM joins the demo DAG by config alone: a tiny Math-Shepherd-style PRM (tests/public_prm_fixtures.py),
given as a model folder, scores the MATH test samples and the demo's ProcessBench subsets, and its
best-of-N rows join the MATH table and the combined table. Nothing but the config changes."""

from __future__ import annotations

import pandas as pd
import pytest

from stepwise.config.registry import get_task
from stepwise.io import read_jsonl
from stepwise.scoring.public_prm import PublicPRM
from stepwise.scoring.public_prm_settings import PublicPRMSettings
from tests.public_prm_fixtures import build_step_tag_prm
from tests.workflow import deep_update, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.slow


def test_a_public_prm_scores_the_demo_by_config_alone(tiny_run_copy, tmp_path):
    run, results = tiny_run_copy, tiny_run_copy.results
    folder = build_step_tag_prm(tmp_path / "math-shepherd-style-prm")
    entry = {
        "name": "tagged_prm",
        "kind": "public_prm",
        "tasks": ["math"],
        "model": str(folder),
        "convention": "step_tag",
        "batch_size": 16,
    }
    config = write_config(run.workdir, deep_update(run.config, {"scorers": [*run.config["scorers"], entry]}))
    assert planned_jobs(run.workdir) == {
        "public_prm_step_scores": 1,
        "aggregate_step_scores": 1,
        "evaluate": 1,
        "combined_accuracy": 1,
        "claims": 1,
        "processbench_public_score": 2,
        "processbench_evaluate": 1,
        "run_config": 1,
        "all": 1,
    }
    snakemake(run.workdir, "--cores", "2")

    # Its step scores are the adapter's, on the problems' own texts and the samples split in MATH's step format.
    samples = read_jsonl(results / "math/samples/test.jsonl")
    problems = get_task("math").problem_texts(results / "data/math500.jsonl")
    expected = PublicPRM.load(PublicPRMSettings.from_entry(entry)).score(
        [problems[s["problem_id"]] for s in samples], [s["text"] for s in samples], "prm800k"
    )
    written = read_jsonl(results / "math/step_scores/test/tagged_prm.jsonl")
    assert [(r["problem_id"], r["sample_id"]) for r in written] == [(s["problem_id"], s["sample_id"]) for s in samples]
    for record, want in zip(written, expected, strict=True):
        assert record["tagged_prm"] == pytest.approx(want, abs=1e-5)

    # A best-of-N row per aggregation in the MATH table, the same rows in the combined table, none for GSM8K.
    columns = [f"tagged_prm_{a}" for a in config["math"]["evaluation"]["aggregations"]]
    table = pd.read_csv(results / "math/accuracy.csv")
    pass_at_1 = table[(table["method"] == "pass@n") & (table["n"] == 1)]["accuracy"].item()
    combined = pd.read_csv(results / "combined_accuracy.csv")
    for column in columns:
        rows = table[table["method"] == column].drop(columns="method").set_index("n")
        assert list(rows.index) == sorted(table["n"].unique())
        assert rows.loc[1, "accuracy"] == pytest.approx(pass_at_1)  # best-of-1 is the one sample
        in_combined = combined[(combined["task"] == "math") & (combined["method"] == column)]
        pd.testing.assert_frame_equal(in_combined.drop(columns=["task", "method"]).set_index("n"), rows)
    assert not set(columns) & set(pd.read_csv(results / "gsm8k/accuracy.csv")["method"])

    # ProcessBench: its F1 on both of the demo's subsets, beside the trained PRMs'.
    f1 = pd.read_csv(results / "processbench/f1.csv")
    assert {"gsm8k", "math", "mean"} <= set(f1[f1["prm"] == "tagged_prm"]["subset"])
    assert {"prm800k_prm", "tagged_prm"} <= set(f1["prm"])
    scored = read_jsonl(results / "processbench/scores/math/tagged_prm.jsonl")
    assert len(scored) == len(read_jsonl(results / "processbench/scores/math/prm800k_prm.jsonl")) > 0
