"""ProcessBench in the DAG: the demo's subsets built from the test samples with ground-truth
first errors, every trained PRM scoring every subset, F1 recomputed here by hand; and the
benchmark's own GSM8K subset from the mirror on a copy of the tiny run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from stepwise.config.registry import process_reward_models
from stepwise.data.processbench import read_processbench
from stepwise.demo.truth import demo_programs, true_step_labels
from stepwise.formats.steps import split_steps
from stepwise.io import read_jsonl
from tests.workflow import deep_update, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.slow

TASK_STEP_FORMATS = {"gsm8k": "gsm8k", "math": "prm800k"}


def hand_f1(labels, step_scores, threshold):
    """F1 as the benchmark defines it, written out without the package's helpers."""
    predictions = []
    for scores in step_scores:
        flagged = [i for i, s in enumerate(scores) if s < threshold]
        predictions.append(flagged[0] if flagged else -1)
    errors = [(label, p) for label, p in zip(labels, predictions) if label != -1]
    corrects = [p for label, p in zip(labels, predictions) if label == -1]
    a = sum(label == p for label, p in errors) / len(errors) if errors else 0.0
    b = sum(p == -1 for p in corrects) / len(corrects) if corrects else 0.0
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def test_the_demo_subsets_and_every_prms_f1(tiny_run):
    results = tiny_run.results / "processbench"
    prms = process_reward_models(tiny_run.config)
    assert set(prms) == {"prm800k_prm", "gsm8k_shepherd_prm", "math_shepherd_prm"}
    table = pd.read_csv(results / "f1.csv")
    threshold = tiny_run.config["processbench"]["threshold"]
    for task, step_format in TASK_STEP_FORMATS.items():
        records = read_processbench(results / "sets" / f"{task}.json")
        samples = {
            (s["problem_id"], s["sample_id"]): s for s in read_jsonl(tiny_run.results / task / "samples/test.jsonl")
        }
        per_problem = tiny_run.config["processbench"]["samples_per_problem"]
        assert len(records) <= per_problem * len({key[0] for key in samples})
        # Each record is a test sample's steps, its label the first step the demo's truth judges wrong.
        solutions = []
        for record in records:
            problem_id, sample_id = record.id.rsplit("#", 1)
            sample = samples[(problem_id, int(sample_id))]
            assert list(record.steps) == split_steps(sample["text"], step_format)
            solutions.append({"problem_id": problem_id, "steps": list(record.steps)})
        dataset = tiny_run.results / "data" / ("gsm8k_test.jsonl" if task == "gsm8k" else "math500.jsonl")
        truths = true_step_labels(solutions, demo_programs(task, dataset), step_format)
        assert [r.label for r in records] == [t.index(False) if False in t else -1 for t in truths]
        for prm in prms:
            scored = read_jsonl(results / "scores" / task / f"{prm}.jsonl")
            assert [s["id"] for s in scored] == [r.id for r in records]
            assert [len(s["step_scores"]) for s in scored] == [len(r.steps) for r in records]
            row = table[(table["prm"] == prm) & (table["rule"] == "fixed") & (table["subset"] == task)]
            assert row["f1"].item() == pytest.approx(
                hand_f1([r.label for r in records], [s["step_scores"] for s in scored], threshold)
            )
    for prm in prms:
        fixed = table[(table["prm"] == prm) & (table["rule"] == "fixed")].set_index("subset")["f1"]
        assert fixed["mean"] == pytest.approx((fixed["gsm8k"] + fixed["math"]) / 2)
        tuned = table[(table["prm"] == prm) & (table["rule"] == "tuned_on_gsm8k")].set_index("subset")["f1"]
        assert tuned["gsm8k"] >= fixed["gsm8k"] - 1e-12  # the tuned threshold is the best on gsm8k
    assert "ProcessBench" in (results / "f1.md").read_text()


@pytest.mark.realdata
def test_the_benchmarks_own_subset_from_the_mirror(tiny_run_copy, shared_data):
    run = tiny_run_copy
    source = shared_data / "processbench" / "gsm8k.json"
    subsets = {
        "gsm8k": {"path": str(source), "sha256": "fb1c59dfd1e83e1c5a48dbe598db27e4bc0b8bc524a09445f2d4b69178f61349"}
    }
    write_config(run.workdir, deep_update(run.config, {"processbench": {"source": "path", "subsets": subsets}}))
    # The PRMs stay; the benchmark's subset replaces the demo's two.
    assert planned_jobs(run.workdir, "processbench") == {
        "processbench_benchmark_set": 1,
        "processbench_score": 3,
        "processbench_evaluate": 1,
        "processbench": 1,
    }
    snakemake(run.workdir, "--cores", "2", "processbench", timeout=1800)
    table = pd.read_csv(run.results / "processbench" / "f1.csv")
    assert set(table["subset"]) == {"gsm8k", "mean", "record_weighted"}
    counts = table[(table["subset"] == "gsm8k") & (table["rule"] == "fixed")][["n_error", "n_correct"]]
    assert (counts.to_numpy() == [[207, 193]] * 3).all()  # the subset's 400 records, 193 without an error
    assert (
        json.loads(source.read_text())[0]["id"] == read_processbench(run.results / "processbench/sets/gsm8k.json")[0].id
    )
