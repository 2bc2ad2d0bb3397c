"""The demo's stand-in for PRM800K's labellers: a generator's samples rated by the truth up to the first wrong step."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stepwise.data.stepwise_formats import read_trl
from stepwise.demo.labeller import label_samples, to_first_error
from stepwise.demo.math import generate_math
from stepwise.formats.prompts import math_prompt
from stepwise.io import DataError
from tests.workflow import ROOT


@pytest.fixture(scope="module")
def problem():
    return generate_math(1, 3, "train", templates=["color_pair"], max_steps=2, long_share=0, max_number=20)[0]


def run_on(problem: dict) -> str:
    """A run-on first step like the tiny generator writes: the check computed, then chained on to ``= 0``."""
    first = problem["solution"].split("\n")[0]
    return first.replace("= 0$", "= 0 - 4 = -4 = 0$")


def test_to_first_error_keeps_the_steps_a_labeller_rates():
    assert to_first_error([True, True, True]) == [True, True, True]
    assert to_first_error([True, False, True, False]) == [True, False]
    assert to_first_error([False, True]) == [False]


def test_samples_are_labelled_by_the_truth_up_to_their_first_wrong_step(problem):
    pid, truth = problem["unique_id"], problem["demo"]
    reference = problem["solution"]
    wrong_answer = reference.rsplit("\n", 1)[0] + "\n999"
    run_on_first = "\n".join([run_on(problem), *reference.split("\n")[1:]])
    samples = [
        {"problem_id": pid, "sample_id": 0, "text": reference},
        {"problem_id": pid, "sample_id": 1, "text": wrong_answer},
        {"problem_id": pid, "sample_id": 2, "text": run_on_first},
        {"problem_id": pid, "sample_id": 3, "text": ""},
    ]
    examples, counts = label_samples(samples, {pid: (math_prompt(problem["problem"]), truth)}, "prm800k")
    assert [list(e.labels) for e in examples] == [[True, True, True], [True, True, False], [False]]
    assert examples[2].steps == (run_on(problem),) and examples[0].prompt == math_prompt(problem["problem"])
    assert [e.extra["sample_id"] for e in examples] == [0, 1, 2]
    assert counts == {"samples": 4, "skipped_without_steps": 1, "steps": 7, "wrong_steps": 2, "all_correct": 1}


def test_a_sample_of_a_problem_without_truth_is_refused(problem):
    with pytest.raises(DataError, match="no demo ground truth"):
        label_samples([{"problem_id": "real/1", "text": "x"}], {}, "prm800k")


def test_the_script_writes_trl_records_the_prm_trainer_reads(problem, tmp_path):
    dataset, samples, out = tmp_path / "math_train.jsonl", tmp_path / "samples.jsonl", tmp_path / "labels.jsonl"
    dataset.write_text(json.dumps(problem) + "\n")
    samples.write_text(json.dumps({"problem_id": problem["unique_id"], "sample_id": 0, "text": run_on(problem)}) + "\n")
    command = [sys.executable, str(ROOT / "scripts" / "label_generator_samples.py"), "--samples", str(samples)]
    command += ["--task", "math", "--dataset", str(dataset), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*command, "--settings", json.dumps({"step_format": "prm800k"})], check=True, env=env)
    (example,) = read_trl(out)
    assert example.labels == (False,) and example.prompt == math_prompt(problem["problem"])
