"""MATH reference solutions in the PRM800K generator's step format."""

from __future__ import annotations

import json

import pytest

from stepwise.answers.check import AnswerChecker
from stepwise.answers.extract import extract_answer
from stepwise.demo.math import generate_math
from stepwise.formats.math_reference import reference_steps, sentences, unbox
from stepwise.formats.steps import join_steps, split_steps


def check_step_format(text: str, answer: str) -> list[str]:
    """The steps before the answer, after checking the format: one line each, then the answer step."""
    steps = split_steps(text, "prm800k")
    assert join_steps(steps) == text
    assert steps[-1] == f"# Answer\n\n{' '.join(answer.split())}"
    body = steps[:-1]
    assert all(step and "\n" not in step and step == step.strip() for step in body), body
    return body


def test_sentences_split_at_full_stops_outside_math_and_paragraphs():
    text = "So $x = 3.5$ here. Then $y = 2.$  Also, e.g. this stays.\n\nNew paragraph (a remark.) Next one!"
    assert [s.strip() for s in sentences(text)] == [
        "So $x = 3.5$ here.",
        "Then $y = 2.$",
        "Also, e.g. this stays.",
        "New paragraph (a remark.)",
        "Next one!",
    ]


def test_display_math_is_atomic_and_stays_in_its_sentence():
    solution = (
        "Therefore,\n\\begin{align*}\nx &= 1. \\\\\n&= 2.\n\\end{align*}so we are done.  "
        "We get \\[a = b.\\]Then $c$ is \\$5.  Finally $$d = 4$$ holds."
    )
    body = check_step_format(reference_steps(solution, "4"), "4")
    assert body == [
        "Therefore, \\begin{align*} x &= 1. \\\\ &= 2. \\end{align*}so we are done.",
        "We get \\[a = b.\\]",
        "Then $c$ is \\$5.",
        "Finally $$d = 4$$ holds.",
    ]


def test_boxes_are_unwrapped_and_figures_dropped():
    boxed = "so $x = \\boxed{\\frac{1}{2}}$ and \\fbox {3}, \\boxedx{4}"
    assert unbox(boxed) == "so $x = \\frac{1}{2}$ and 3, \\boxedx{4}"
    solution = "Draw it.\n\n[asy]\ndraw((0,0)--(1,1));\n[/asy]\n\nThe area is $\\boxed{2}$."
    assert check_step_format(reference_steps(solution, "2"), "2") == ["Draw it.", "The area is $2$."]


def test_a_solution_in_the_step_format_is_kept_as_it_is():
    for record in generate_math(40, seed=5, split="train"):
        assert reference_steps(record["solution"], record["answer"]) == record["solution"]


@pytest.mark.realdata
def test_every_real_math500_solution_becomes_steps_ending_with_its_answer(shared_data):
    records = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").read_text().splitlines()]
    assert len(records) == 500
    step_counts = []
    with AnswerChecker(kind="math") as checker:
        for record in records:
            text = reference_steps(record["solution"], record["answer"])
            body = check_step_format(text, record["answer"])
            assert "\\boxed" not in text and "[asy]" not in text
            assert checker.equal(extract_answer(text), record["answer"]), record["unique_id"]
            step_counts.append(len(body))
    assert min(step_counts) >= 1
    assert sum(count > 1 for count in step_counts) > 400  # prose is split into several steps, not kept whole
