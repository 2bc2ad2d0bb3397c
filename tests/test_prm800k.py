"""The PRM800K record model on hand-made records: parsing, errors, trajectories, phase-2 alignment."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from stepwise.data.prm800k import TrajectoryStep, iter_prm800k, load_prm800k, parse_prm800k_record
from stepwise.io import DataError


def completion(text: str, rating: int | None, flagged: bool | None = False) -> dict:
    return {"text": text, "rating": rating, "flagged": flagged}


def human(text: str, rating: int | None = None) -> dict:
    return {"text": text, "rating": rating, "source": "human", "flagged": False}


def step(completions: list[dict], chosen: int | None, human_completion: dict | None = None) -> dict:
    return {"completions": completions, "human_completion": human_completion, "chosen_completion": chosen}


def record(steps: list[dict], finish_reason: str, **question) -> dict:
    return {
        "labeler": "labeler-uuid",
        "timestamp": "2022-07-30T23:23:32.118856",
        "generation": None,
        "is_quality_control_question": False,
        "is_initial_screening_question": False,
        "question": {"problem": "What is 2+2?", "ground_truth_answer": "4", **question},
        "label": {"steps": steps, "total_time": 1000, "finish_reason": finish_reason},
    }


# Phase 1: alternatives, a human step after an all-bad step, a chosen non-first completion.
PHASE1 = record(
    [
        step([completion("Add the numbers.", 1)], 0),
        step([completion("2+2=5.", -1), completion("2+2=22.", -1)], None, human("2+2=4.")),
        step(
            [completion("So 4.", 0), completion("# Answer\n\n4", 1), completion("# Answer\n\n5", -1)],
            1,
        ),
    ],
    "solution",
)

# Phase 2: a pre-generated solution labelled until its first error, with alternatives at the error.
PRE_GENERATED = ["Two plus two.", "That is 5.", "# Answer\n\n5"]
PHASE2 = record(
    [
        step([completion("Two plus two.", 0, None)], 0),
        step([completion("That is 5.", -1, None), completion("That is 4.", 1), completion("It is 5.", -1)], None),
    ],
    "found_error",
    ground_truth_solution="$2+2=\\boxed{4}$",
    pre_generated_steps=PRE_GENERATED,
    pre_generated_answer="5",
    pre_generated_verifier_score=0.25,
)
PHASE2["generation"] = 3


def parse(raw: dict):
    return parse_prm800k_record(copy.deepcopy(raw))


def test_parses_every_field():
    rec = parse(PHASE2)
    assert (rec.labeler, rec.generation, rec.finish_reason, rec.total_time) == ("labeler-uuid", 3, "found_error", 1000)
    assert not rec.is_quality_control_question and not rec.is_initial_screening_question
    assert rec.question.pre_generated_steps == tuple(PRE_GENERATED)
    assert rec.question.pre_generated_verifier_score == 0.25
    assert rec.question.ground_truth_solution == "$2+2=\\boxed{4}$"
    assert rec.is_phase2 and not parse(PHASE1).is_phase2
    first_error = rec.steps[1].completions[0]
    assert (first_error.text, first_error.rating, first_error.flagged) == ("That is 5.", -1, None)
    assert first_error.source == "model"
    assert rec.steps[1].chosen_completion is None and rec.steps[1].human_completion is None


def test_phase1_trajectory_follows_chosen_and_human_completions():
    rec = parse(PHASE1)
    # By hand: step 0 chosen 0 (+1), step 1 has no chosen but a human step (unrated: +1 per the README),
    # step 2 chosen index 1 (+1).
    assert rec.trajectory() == [
        TrajectoryStep("Add the numbers.", 1, "model"),
        TrajectoryStep("2+2=4.", 1, "human"),
        TrajectoryStep("# Answer\n\n4", 1, "model"),
    ]
    alternatives = rec.alternatives()
    assert [[c.text for c in alts] for alts in alternatives] == [
        [],
        ["2+2=5.", "2+2=22."],
        ["So 4.", "# Answer\n\n5"],
    ]
    assert rec.steps[1].human_completion.rating is None  # the raw value is kept


def test_a_rated_human_step_keeps_its_rating():
    raw = copy.deepcopy(PHASE1)
    raw["label"]["steps"][1]["human_completion"]["rating"] = 0
    assert parse(raw).trajectory()[1] == TrajectoryStep("2+2=4.", 0, "human")


def test_found_error_trajectory_ends_with_the_first_error():
    rec = parse(PHASE2)
    assert rec.trajectory() == [TrajectoryStep("Two plus two.", 0, "model"), TrajectoryStep("That is 5.", -1, "model")]
    assert [c.text for c in rec.alternatives()[1]] == ["That is 4.", "It is 5."]


def test_stop_without_an_error_ends_before_the_unrated_step():
    raw = record(
        [step([completion("Start.", 1)], 0), step([completion("Maybe.", None), completion("Or not.", None)], None)],
        "give_up",
    )
    rec = parse(raw)
    assert rec.trajectory() == [TrajectoryStep("Start.", 1, "model")]
    assert len(rec.alternatives()) == 1
    assert [c.text for c in rec.steps[1].alternatives()] == ["Maybe.", "Or not."]


def test_record_without_steps():
    rec = parse(record([], "bad_problem"))
    assert rec.trajectory() == [] and rec.alternatives() == []


def test_pre_generated_alignment():
    aligned = parse(PHASE2).pre_generated_alignment()
    # By hand: step 0 is labelled 0, step 1 is completions[0] of labelled step 1 rated -1, step 2 was never labelled.
    assert [(a.index, a.text, a.completion_index, a.rating) for a in aligned] == [
        (0, "Two plus two.", 0, 0),
        (1, "That is 5.", 0, -1),
        (2, "# Answer\n\n5", None, None),
    ]


def test_pre_generated_alignment_errors():
    with pytest.raises(DataError, match="not a phase-2 record"):
        parse(PHASE1).pre_generated_alignment()
    raw = copy.deepcopy(PHASE2)
    raw["question"]["pre_generated_steps"][1] = "Something else."
    with pytest.raises(DataError, match=r"label.steps\[1\] has no completion equal to pre_generated_steps\[1\]"):
        parse(raw).pre_generated_alignment()


_DELETE = object()


def _break(raw: dict, dotted: str, value) -> dict:
    """A copy of ``raw`` with the field at ``dotted`` (e.g. ``label.steps.1.chosen_completion``) set or deleted."""
    broken = copy.deepcopy(raw)
    *parents, last = dotted.split(".")
    target = broken
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return broken


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("label.steps.0.completions.0.rating", 2, r"'label.steps\[0\].completions\[0\].rating' should be -1, 0, 1"),
        ("label.steps.0.completions.0.rating", True, r"'label.steps\[0\].completions\[0\].rating' should be integer"),
        ("label.steps.0.completions.0.flagged", "no", r"'label.steps\[0\].completions\[0\].flagged' should be boolean"),
        ("label.steps.0.completions.0.text", _DELETE, r"missing field 'label.steps\[0\].completions\[0\].text'"),
        ("label.steps.2.chosen_completion", 3, r"'label.steps\[2\].chosen_completion' is 3 but the step has 3"),
        ("label.steps.1.human_completion", None, r"label.steps\[1\] has neither .* but steps follow it"),
        ("label.steps.1.human_completion", "2+2=4.", r"'label.steps\[1\].human_completion' should be object or null"),
        ("label.steps.1.completions.1", "text", r"'label.steps\[1\].completions\[1\]' should be an object"),
        ("label.finish_reason", "done", r"'label.finish_reason' should be one of"),
        ("label.total_time", "1s", r"'label.total_time' should be integer or null"),
        ("question.problem", _DELETE, r"missing field 'question.problem'"),
        ("question.ground_truth_answer", 4, r"'question.ground_truth_answer' should be string or null"),
        ("question.pre_generated_steps", ["a", 1], r"'question.pre_generated_steps\[1\]' should be a string"),
        ("generation", "3", r"field 'generation' should be integer or null"),
        ("is_quality_control_question", 0, r"field 'is_quality_control_question' should be boolean"),
        ("labeler", _DELETE, r"missing field 'labeler'"),
        ("label", _DELETE, r"missing field 'label'"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, dotted, value, expected):
    path = tmp_path / "prm.jsonl"
    path.write_text(json.dumps(PHASE1) + "\n" + json.dumps(_break(PHASE1, dotted, value)) + "\n")
    with pytest.raises(DataError, match=expected) as caught:
        load_prm800k(path)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_iter_prm800k_is_lazy(tmp_path: Path):
    path = tmp_path / "prm.jsonl"
    path.write_text(json.dumps(PHASE1) + "\n" + "not json\n")
    records = iter_prm800k(path)
    assert next(records).finish_reason == "solution"  # the bad second line is not read yet
    with pytest.raises(DataError, match="prm.jsonl:2: malformed JSON"):
        next(records)
