"""ProcessBench: the reader, first-error predictions, F1 against hand-computed values, the
GSM8K-tuned threshold, and the real subsets of the mirror."""

from __future__ import annotations

import json
import random

import pytest

from stepwise.data.processbench import SUBSETS, read_processbench
from stepwise.evaluation.processbench_f1 import (
    best_threshold,
    evaluate_threshold,
    first_error,
    subset_result,
    summary,
)
from stepwise.io import DataError


def test_first_error_is_the_first_step_below_the_threshold():
    assert first_error([0.9, 0.4, 0.2], 0.5) == 1
    assert first_error([0.3, 0.9], 0.5) == 0
    assert first_error([0.9, 0.8], 0.5) == -1
    assert first_error([0.5], 0.5) == -1  # at the threshold is not below it


def test_f1_matches_hand_computed_values_with_the_edge_cases():
    labels = [-1, -1, -1, 0, 0, 2, 3, 1]
    # correct records: -1 (right), 0 (wrong), -1 (right); error records: step 0 found, missed (-1),
    # found at 2, predicted past the last step (7, never a match), too early (0).
    predictions = [-1, 0, -1, 0, -1, 2, 7, 0]
    result = subset_result(labels, predictions)
    assert (result.n_error, result.n_correct) == (5, 3)
    assert result.error_accuracy == pytest.approx(2 / 5)
    assert result.correct_accuracy == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(2 * (2 / 5) * (2 / 3) / (2 / 5 + 2 / 3))  # 0.5
    assert subset_result([-1, -1], [-1, -1]).f1 == 0.0  # no error record: error accuracy 0, F1 0
    with pytest.raises(ValueError, match="2 labels but 1 predictions"):
        subset_result([0, 1], [0])


def test_the_mean_f1_and_the_record_weighted_mean_differ_by_subset_size():
    small = subset_result([0, -1], [0, -1])  # F1 1.0 on 2 records
    large = subset_result([0, 0, -1, -1, -1, -1], [1, 1, -1, -1, -1, -1])  # F1 0.0 on 6 records
    means = summary({"a": small, "b": large})
    assert means["mean_f1"] == pytest.approx(0.5) and means["record_weighted_f1"] == pytest.approx(0.25)


def test_the_best_threshold_is_the_best_of_every_candidate():
    rng = random.Random(0)
    labels, scores = [], []
    for _ in range(60):
        n = rng.randint(1, 6)
        label = rng.choice([-1] + list(range(n)))
        steps = [rng.uniform(0.5, 1.0) for _ in range(n)]
        if label >= 0:
            steps[label] = rng.uniform(0.0, 0.7)
        labels.append(label)
        scores.append([round(s, 2) for s in steps])
    chosen = best_threshold(labels, scores)
    values = sorted({s for row in scores for s in row})
    grid = [values[0]] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 1e-9]
    f1s = [evaluate_threshold(labels, scores, t).f1 for t in grid]
    assert evaluate_threshold(labels, scores, chosen).f1 == pytest.approx(max(f1s))
    assert chosen == pytest.approx(grid[f1s.index(max(f1s))])  # the smallest of the best


@pytest.mark.parametrize(
    "record, message",
    [
        ({"id": "a", "problem": "p", "steps": [], "label": -1}, "non-empty list"),
        ({"id": "a", "problem": "p", "steps": ["s"], "label": 1}, "'label' 1 is not -1 or a step index below 1"),
        ({"id": "a", "problem": "p", "steps": ["s"]}, "missing field 'record 0.label'"),
        ({"id": "a", "problem": "p", "steps": ["s"], "label": -1, "final_answer_correct": "yes"}, "must be a boolean"),
        ("text", "expected an object"),
    ],
)
def test_bad_records_are_named(tmp_path, record, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([record]))
    with pytest.raises(DataError, match=message) as error:
        read_processbench(path)
    assert str(path) in str(error.value)


def test_a_file_that_is_not_a_list_or_not_json_is_named(tmp_path):
    for text, message in (("{}", "non-empty JSON list"), ("[1,", "not JSON")):
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(DataError, match=message):
            read_processbench(path)
    path.write_text(json.dumps([{"id": "a", "problem": "p", "steps": ["s"], "label": -1}] * 2))
    with pytest.raises(DataError, match="record 1: id 'a' appears twice"):
        read_processbench(path)


# Records and error-free records per subset (the mirror's README).
MIRROR_COUNTS = {"gsm8k": (400, 193), "math": (1000, 406), "olympiadbench": (1000, 339), "omnimath": (1000, 241)}


@pytest.mark.realdata
def test_every_record_of_the_mirror_parses_and_trivial_predictors_score_as_the_formula_says(shared_data):
    total = 0
    for subset in SUBSETS:
        records = read_processbench(shared_data / "processbench" / f"{subset}.json")
        labels = [r.label for r in records]
        assert (len(records), labels.count(-1)) == MIRROR_COUNTS[subset]
        total += len(records)
        never = subset_result(labels, [-1] * len(labels))  # "no error anywhere"
        assert (never.error_accuracy, never.correct_accuracy, never.f1) == (0.0, 1.0, 0.0)
        first = subset_result(labels, [0] * len(labels))  # "the first step is wrong"
        errors = [label for label in labels if label != -1]
        assert first.error_accuracy == pytest.approx(errors.count(0) / len(errors))
        assert first.correct_accuracy == 0.0 and first.f1 == 0.0
    assert total == 3400
