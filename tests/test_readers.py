"""GSM8K and MATH readers, and the Math-Shepherd / TRL stepwise formats, on small hand-made files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stepwise.data.gsm8k import load_gsm8k, question_id
from stepwise.data.math import load_math
from stepwise.data.stepwise_formats import (
    StepwiseExample,
    from_math_shepherd,
    from_trl,
    harden,
    math_shepherd_to_trl,
    read_math_shepherd,
    read_trl,
    to_math_shepherd,
    to_trl,
    trl_to_math_shepherd,
    write_math_shepherd,
    write_trl,
)
from stepwise.io import DataError, read_jsonl


def write_lines(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records))
    return path


GSM_OK = {"question": "Tom has 3 apples and buys 4. How many?", "answer": "3+4=<<3+4=7>>7\n#### 7"}


# ---------------------------------------------------------------- GSM8K


def test_gsm8k_reads_fields_final_answer_and_extra(tmp_path):
    second = {"question": "Half of 10?", "answer": "10/2=<<10/2=5>>5\n####  5 ", "demo": {"difficulty": 1}}
    problems = load_gsm8k(write_lines(tmp_path / "g.jsonl", [GSM_OK, "", second]))
    assert [p.final_answer for p in problems] == ["7", "5"]
    assert problems[0].answer == GSM_OK["answer"] and problems[0].extra == {}
    assert problems[1].extra == {"demo": {"difficulty": 1}}
    assert problems[1].to_record() == second


def test_gsm8k_problem_id_is_the_question_hash():
    # The id is defined as 16 hex digits of the SHA-256 of the question (see stepwise/data/gsm8k.py).
    assert question_id(GSM_OK["question"]) == hashlib.sha256(GSM_OK["question"].encode()).hexdigest()[:16]
    assert question_id("a") != question_id("b")


def test_gsm8k_ids_do_not_depend_on_line_order(tmp_path):
    other = {"question": "Q2?", "answer": "#### 1"}
    forward = load_gsm8k(write_lines(tmp_path / "a.jsonl", [GSM_OK, other]))
    backward = load_gsm8k(write_lines(tmp_path / "b.jsonl", [other, GSM_OK]))
    assert {p.problem_id: p.question for p in forward} == {p.problem_id: p.question for p in backward}


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ('{"question": "Q?", "answer": ', "malformed JSON"),
        ({"answer": "#### 1"}, "missing field 'question'"),
        ({"question": "Q?", "answer": 7}, "field 'answer' should be string"),
        ({"question": "Q?", "answer": "no marker"}, "exactly one '####'"),
        ({"question": "Q?", "answer": "1 #### 2 #### 3"}, "exactly one '####'"),
        ({"question": "Q?", "answer": "#### "}, "exactly one '####'"),
        ({"question": " ", "answer": "#### 1"}, "'question' is empty"),
    ],
)
def test_gsm8k_errors_name_file_line_and_field(tmp_path, bad_line, expected):
    path = write_lines(tmp_path / "g.jsonl", [GSM_OK, bad_line])
    with pytest.raises(DataError, match=expected) as caught:
        load_gsm8k(path)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_gsm8k_repeated_question_is_rejected(tmp_path):
    path = write_lines(tmp_path / "g.jsonl", [GSM_OK, {"question": "x", "answer": "#### 1"}, GSM_OK])
    with pytest.raises(DataError, match=r"g.jsonl:3: question repeats the one on line 1"):
        load_gsm8k(path)


# ---------------------------------------------------------------- MATH

MATH_OK = {
    "problem": "What is $1+1$?",
    "solution": "$1+1=\\boxed{2}$.",
    "answer": "2",
    "subject": "Prealgebra",
    "level": 1,
    "unique_id": "test/prealgebra/1.json",
}


def test_math_reads_fields_and_level_spellings(tmp_path):
    rows = [
        MATH_OK,
        {**MATH_OK, "unique_id": "train/algebra/2.json", "level": "Level 4", "source": "x"},
        {**MATH_OK, "unique_id": "train/algebra/3.json", "level": "Level ?"},
    ]
    problems = load_math(write_lines(tmp_path / "m.jsonl", rows))
    assert [p.level for p in problems] == [1, 4, None]
    assert problems[0].problem_id == "test/prealgebra/1.json"
    assert problems[0].answer == "2" and problems[0].subject == "Prealgebra"
    assert problems[1].extra == {"source": "x"}
    assert problems[0].to_record() == MATH_OK


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"answer": None}, "field 'answer' should be string"),
        ({"level": 7}, "between 1 and 5"),
        ({"level": "hard"}, "'Level N'"),
        ({"level": True}, "field 'level' should be integer or string, got bool"),
        ({"unique_id": ""}, "'unique_id' is empty"),
    ],
)
def test_math_errors_name_file_line_and_field(tmp_path, change, expected):
    path = write_lines(tmp_path / "m.jsonl", [{**MATH_OK, "unique_id": "a"}, {**MATH_OK, **change}])
    with pytest.raises(DataError, match=expected) as caught:
        load_math(path)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_math_missing_field_and_repeated_id(tmp_path):
    missing = {k: v for k, v in MATH_OK.items() if k != "subject"}
    with pytest.raises(DataError, match=r"m.jsonl:1: missing field 'subject'"):
        load_math(write_lines(tmp_path / "m.jsonl", [missing]))
    with pytest.raises(DataError, match=r"m2.jsonl:2: unique_id 'test/prealgebra/1.json' repeats the one on line 1"):
        load_math(write_lines(tmp_path / "m2.jsonl", [MATH_OK, MATH_OK]))


# ---------------------------------------------------------------- stepwise formats

# Steps with awkward content on purpose: newlines, a "Step 1:" inside the text, "+"/"-" characters,
# surrounding spaces, and a PRM800K-style final step.
EXAMPLE = StepwiseExample(
    prompt="Problem:\n\nCompute 2 - 3 + 4.\n",
    steps=("Step 1: 2 - 3 = -1.", " Then -1 + 4 = 3. ", "So the answer is 3.\n\n# Answer\n\n3"),
    labels=(True, False, True),
    extra={"id": "p1"},
)


def test_math_shepherd_layout_matches_the_public_dataset():
    record = to_math_shepherd(EXAMPLE)
    # Written out by hand from the documented layout: prompt, newline, then each step followed by " ки".
    assert record["input"] == (
        "Problem:\n\nCompute 2 - 3 + 4.\n\nStep 1: 2 - 3 = -1. ки\n Then -1 + 4 = 3.  ки\n"
        "So the answer is 3.\n\n# Answer\n\n3 ки"
    )
    assert record["label"] == (
        "Problem:\n\nCompute 2 - 3 + 4.\n\nStep 1: 2 - 3 = -1. +\n Then -1 + 4 = 3.  -\n"
        "So the answer is 3.\n\n# Answer\n\n3 +"
    )
    assert record["prompt"] == EXAMPLE.prompt and record["id"] == "p1"


def test_round_trips_are_lossless(tmp_path):
    assert from_math_shepherd(to_math_shepherd(EXAMPLE)) == EXAMPLE
    assert from_trl(to_trl(EXAMPLE)) == EXAMPLE
    assert from_math_shepherd(trl_to_math_shepherd(to_trl(EXAMPLE))) == EXAMPLE
    assert math_shepherd_to_trl(to_math_shepherd(EXAMPLE)) == to_trl(EXAMPLE)
    for tag in ("ки", "<step>"):
        assert write_math_shepherd(tmp_path / f"ms{len(tag)}.jsonl", [EXAMPLE, EXAMPLE], tag) == 2
        assert read_math_shepherd(tmp_path / f"ms{len(tag)}.jsonl", tag) == [EXAMPLE, EXAMPLE]
    write_trl(tmp_path / "trl.jsonl", [EXAMPLE])
    assert read_jsonl(tmp_path / "trl.jsonl") == [
        {"prompt": EXAMPLE.prompt, "completions": list(EXAMPLE.steps), "labels": [True, False, True], "id": "p1"}
    ]
    assert read_trl(tmp_path / "trl.jsonl") == [EXAMPLE]


def test_reads_the_public_math_shepherd_layout():
    # A record in the layout of peiyi9979/Math-Shepherd (question, space, "Step 1: ... ки\nStep 2: ... ки"),
    # with a "task" key; converted by hand to the expected TRL record.
    record = {
        "input": "Tom has 3 apples and buys 4. How many? Step 1: 3 + 4 = 7. ки\nStep 2: The answer is: 7 ки",
        "label": "Tom has 3 apples and buys 4. How many? Step 1: 3 + 4 = 7. +\nStep 2: The answer is: 7 -",
        "task": "GSM8K",
    }
    assert math_shepherd_to_trl(record) == {
        "prompt": "Tom has 3 apples and buys 4. How many?",
        "completions": ["Step 1: 3 + 4 = 7.", "Step 2: The answer is: 7"],
        "labels": [True, False],
        "task": "GSM8K",
    }


def test_tag_inside_a_step_is_an_error_naming_the_record(tmp_path):
    tagged = StepwiseExample("Q", ("fine", "has ки inside"), (True, True))
    with pytest.raises(DataError, match=r"out.jsonl:2: step 2 contains the step tag 'ки'"):
        write_math_shepherd(tmp_path / "out.jsonl", [EXAMPLE, tagged])
    assert not (tmp_path / "out.jsonl").exists()  # atomic: nothing half-written
    with pytest.raises(DataError, match="record 5: the prompt contains the step tag"):
        to_math_shepherd(StepwiseExample("Q ки", ("a",), (True,)), line=5)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"prompt": "Q", "input": "Q\na ки", "label": "Q\na *"}, "step tag 1 replaced by '\\+' or '-'"),
        ({"prompt": "Q", "input": "Q\na ки\nb ки", "label": "Q\na +\nB +"}, "step tag 2 replaced"),
        ({"prompt": "Q", "input": "Q\na ки", "label": "Q\na +  extra"}, "after the last step tag"),
        ({"prompt": "Q", "input": "Q\na", "label": "Q\na"}, "no step tag"),
        ({"prompt": "Q", "input": "Q\na ки tail", "label": "Q\na + tail"}, "text after its last step tag"),
        ({"prompt": "P", "input": "Q\na ки", "label": "Q\na +"}, "does not start with field 'prompt'"),
        ({"input": "Q a ки", "label": "Q a +"}, "cannot tell where the question ends"),
        ({"prompt": "Q", "input": "Q\na ки"}, "missing field 'label'"),
    ],
)
def test_bad_math_shepherd_records(tmp_path, record, expected):
    path = write_lines(tmp_path / "ms.jsonl", [record])
    with pytest.raises(DataError, match=expected) as caught:
        read_math_shepherd(path)
    assert str(caught.value).startswith(f"{path}:1: ")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"prompt": "Q", "completions": ["a", "b"], "labels": [True]}, "2 steps but 1 labels"),
        ({"prompt": "Q", "completions": [], "labels": []}, "no steps"),
        ({"prompt": "Q", "completions": ["a", ""], "labels": [True, True]}, "step 2 is empty"),
        ({"prompt": "Q", "completions": ["a", 3], "labels": [True, True]}, "completion 2 should be a string"),
        ({"prompt": "Q", "completions": ["a"], "labels": [0.5]}, "allow_soft=True"),
        ({"prompt": 1, "completions": ["a"], "labels": [True]}, "field 'prompt' should be string"),
    ],
)
def test_bad_trl_records(tmp_path, record, expected):
    path = write_lines(tmp_path / "trl.jsonl", [record])
    with pytest.raises(DataError, match=expected) as caught:
        read_trl(path)
    assert str(caught.value).startswith(f"{path}:1: ")


def test_soft_labels(tmp_path):
    soft = StepwiseExample("Q", ("a", "b", "c"), (1.0, 0.25, 0.0))
    assert soft.is_soft and not EXAMPLE.is_soft
    write_trl(tmp_path / "soft.jsonl", [soft])
    assert read_jsonl(tmp_path / "soft.jsonl")[0]["labels"] == [1.0, 0.25, 0.0]
    assert read_trl(tmp_path / "soft.jsonl", allow_soft=True) == [soft]
    with pytest.raises(DataError, match="allow_soft=True"):
        read_trl(tmp_path / "soft.jsonl")
    with pytest.raises(DataError, match="harden"):
        to_math_shepherd(soft)
    # Hard estimate: a step is good when any completion reached the answer, i.e. soft label > 0.
    assert harden(soft).labels == (True, True, False)
    assert harden(soft, threshold=0.5).labels == (True, False, False)
    for bad_labels, expected in (([0.5, 1.5, 0.0], "in \\[0, 1\\]"), ([0.5, True, 0.0], "label 2 should be a number")):
        write_lines(tmp_path / "bad.jsonl", [{"prompt": "Q", "completions": ["a", "b", "c"], "labels": bad_labels}])
        with pytest.raises(DataError, match=expected):
            read_trl(tmp_path / "bad.jsonl", allow_soft=True)
