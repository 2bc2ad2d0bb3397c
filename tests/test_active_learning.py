"""Active-learning selection (convincing wrong answers) and the PRM800K records it writes for labelling."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from stepwise.data.math import parse_math_record
from stepwise.data.prm800k import load_prm800k
from stepwise.data.prm800k_preprocess import PreprocessSettings, SplitStats, preprocess_files
from stepwise.formats.steps import split_steps
from stepwise.io import DataError, write_jsonl
from stepwise.selection.active_learning import (
    OTHER,
    WRONG_ANSWER,
    ScoredSample,
    labelling_records,
    read_scored_samples,
    select_for_labelling,
)
from tests.workflow import ROOT

TEXT = "Add the numbers.\n$2+2=4$.\n# Answer\n\n4"


def sample(
    name: str, score: float, correct: bool = False, answer: str | None = "5", problem: str = "p1", text: str = TEXT
) -> ScoredSample:
    return ScoredSample(problem, int(name[1:]), text, answer, correct, score)


def chosen(batch) -> list[tuple[int, str]]:
    return [(s.sample_id, reason) for s, reason in batch]


# Wrong answers (ids 1-6), correct ones (11-13) and one that reached no answer (21).
SAMPLES = [
    sample("s1", 0.9),
    sample("s2", 0.8),
    sample("s3", 0.5),
    sample("s4", 0.4),
    sample("s5", 0.3),
    sample("s6", 0.1),
    sample("s11", 0.95, True, "4"),
    sample("s12", 0.6, True, "4"),
    sample("s13", 0.2, True, "4"),
    sample("s21", 0.99, answer=None),
]


def test_eighty_percent_convincing_wrong_answers_then_the_most_convincing_rest():
    # Batch of 5: round(0.8 * 5) = 4 best wrong answers (0.9, 0.8, 0.5, 0.4), then the best of the rest:
    # the no-answer sample (0.99), which is no wrong answer but the most convincing remaining one.
    batch = select_for_labelling(SAMPLES, batch_size=5)
    assert chosen(batch) == [(1, WRONG_ANSWER), (2, WRONG_ANSWER), (3, WRONG_ANSWER), (4, WRONG_ANSWER), (21, OTHER)]
    # Batch of 10 at a share of 0.5: 5 wrong (down to 0.3), then the rest by score: 0.99, 0.95, 0.6, 0.2, 0.1.
    batch = select_for_labelling(SAMPLES, batch_size=10, wrong_share=0.5)
    assert [i for i, _ in chosen(batch)] == [1, 2, 3, 4, 5, 21, 11, 12, 13, 6]


def test_too_few_wrong_answers_are_filled_from_the_rest():
    few = [sample("s1", 0.1)] + [sample(f"s{i}", score, True, "4") for i, score in ((11, 0.9), (12, 0.5), (13, 0.3))]
    assert chosen(select_for_labelling(few, batch_size=3)) == [(1, WRONG_ANSWER), (11, OTHER), (12, OTHER)]
    assert len(select_for_labelling(few, batch_size=10)) == 4  # all there is


def test_cap_per_problem_ties_and_blank_solutions():
    samples = [
        sample("s1", 0.9, problem="a"),
        sample("s2", 0.9, problem="a"),
        sample("s3", 0.9, problem="b"),
        sample("s4", 0.95, problem="c", text="  \n"),  # nothing to label
        sample("s5", 0.5, problem="a"),
        sample("s6", 0.4, problem="c"),
    ]
    # Ties keep file order; at most one solution of a problem; the blank one is left out.
    assert chosen(select_for_labelling(samples, batch_size=4, max_per_problem=1)) == [
        (1, WRONG_ANSWER),
        (3, WRONG_ANSWER),
        (6, WRONG_ANSWER),
    ]
    with pytest.raises(ValueError, match="wrong_share"):
        select_for_labelling(samples, batch_size=2, wrong_share=1.5)


PROBLEM = {
    "problem": "What is 2+2?",
    "solution": "$2+2=\\boxed{4}$",
    "answer": "4",
    "subject": "Algebra",
    "level": 1,
    "unique_id": "p1",
}


def test_records_read_back_as_unlabelled_phase2_records(tmp_path):
    batch = select_for_labelling(SAMPLES, batch_size=3)
    path = tmp_path / "to_label.jsonl"
    write_jsonl(path, labelling_records(batch, [parse_math_record(PROBLEM)], "prm", generation=2))
    records = load_prm800k(path)
    assert len(records) == 3
    first = records[0]
    assert first.is_phase2 and first.generation == 2 and first.finish_reason == "solution"
    assert first.question.problem == "What is 2+2?" and first.question.ground_truth_answer == "4"
    assert first.question.pre_generated_steps == tuple(split_steps(TEXT, "prm800k"))
    assert first.question.pre_generated_steps[-1] == "# Answer\n\n4"
    assert first.question.pre_generated_answer == "5" and first.question.pre_generated_verifier_score == 0.9
    assert [(a.completion_index, a.rating) for a in first.pre_generated_alignment()] == [(0, None)] * 3
    raw = json.loads(path.read_text().splitlines()[0])
    assert raw["selection"] == {
        "problem_id": "p1",
        "sample_id": 1,
        "correct": False,
        "score_column": "prm",
        "reason": WRONG_ANSWER,
    }
    # Unrated, they teach a PRM nothing yet: preprocessing keeps no example from them.
    settings = PreprocessSettings(exclude_math500=False)
    stats = SplitStats(settings)
    assert list(preprocess_files([path], settings, stats)) == []
    assert stats.dropped["no_labelled_steps"] == 3


def test_unknown_problem_is_named():
    with pytest.raises(DataError, match=r"samples.jsonl: problem_id='p1' \(sample_id=1\) is not a problem"):
        labelling_records(select_for_labelling(SAMPLES, 1), [], "prm", samples_path="samples.jsonl")


def sample_record(sample_id: int, correct: bool, score) -> dict:
    answer = "4" if correct else "5"
    return {
        "problem_id": "p1",
        "sample_id": sample_id,
        "greedy": False,
        "text": TEXT,
        "answer": answer,
        "correct": correct,
        "num_tokens": 12,
        "finish_reason": "stop",
        "prm": score,
    }


def test_read_scored_samples_errors_name_file_and_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    write_jsonl(path, [sample_record(0, True, 0.5), {**sample_record(1, False, 0.1), "prm": None}])
    with pytest.raises(DataError, match=re.escape(f"{path}:2: field 'prm' should be number")):
        read_scored_samples(path, "prm")
    path.write_text(json.dumps(sample_record(0, True, 0.5)) + "\n" + '{"problem_id": "p1", "prm": NaN}\n')
    with pytest.raises(DataError, match=re.escape(f"{path}:2: field 'prm' should be a finite number")):
        read_scored_samples(path, "prm")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: missing field 'orm'")):
        read_scored_samples(path, "orm")


def test_script_writes_the_batch(tmp_path):
    samples = tmp_path / "scored.jsonl"
    write_jsonl(samples, [sample_record(i, i % 3 == 0, i / 10) for i in range(8)])
    dataset = tmp_path / "math_train.jsonl"
    write_jsonl(dataset, [PROBLEM])
    out = tmp_path / "to_label.jsonl"
    command = [
        sys.executable,
        str(ROOT / "scripts" / "select_for_labelling.py"),
        "--samples",
        str(samples),
        "--dataset",
        str(dataset),
        "--scores",
        "--out",
        str(out),
        "--settings",
        json.dumps({"score": "prm", "batch_size": 5, "wrong_share": 0.8, "max_per_problem": None, "generation": 1}),
    ]
    subprocess.run(command, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    records = [json.loads(line) for line in out.read_text().splitlines()]
    # Wrong answers are ids 1, 2, 4, 5, 7 (not multiples of 3); round(0.8 * 5) = 4 of them by score
    # (7, 5, 4, 2), then the best of the rest: id 6 (0.6).
    assert [(r["selection"]["sample_id"], r["selection"]["reason"]) for r in records] == [
        (7, WRONG_ANSWER),
        (5, WRONG_ANSWER),
        (4, WRONG_ANSWER),
        (2, WRONG_ANSWER),
        (6, OTHER),
    ]
    assert len(load_prm800k(out)) == 5
