"""Step splitting: one step per line, answer tails kept whole, lossless joins."""

import random

import pytest

from stepwise.answers.extract import extract_prm800k_answer
from stepwise.formats.math_reference import reference_steps
from stepwise.formats.steps import ANSWER_MARKER, join_steps, split_steps
from stepwise.generators.sft_data import cut_after_answer

GSM8K_SOLUTION = (
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n"
    "#### 72"
)


def test_gsm8k_one_step_per_line_with_the_answer_line_last():
    assert split_steps(GSM8K_SOLUTION, "gsm8k") == [
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.",
        "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.",
        "#### 72",
    ]


@pytest.mark.parametrize("line", ["# Answer", "  # Answer\t", "# Answer\r", "# Answers", "see # Answer", "#Answer"])
def test_every_reader_of_the_answer_marker_agrees_on_it(line):
    # One definition (stepwise.formats.steps): splitting, extraction, cutting generations and MATH reference
    # steps must all take the same lines for the marker (a copy of the pattern once drifted on "\r").
    text = f"step\n{line}\n\n4"
    is_marker = line.strip() == ANSWER_MARKER
    assert (len(split_steps(text, "prm800k")) == 2) == is_marker
    assert (extract_prm800k_answer(text) == "4") == is_marker
    assert (cut_after_answer(text) == text) == is_marker
    assert (reference_steps(text, "4") == text) == is_marker


def test_prm800k_answer_tail_is_the_last_step():
    text = "Let x = 2.\nThen 2x = 4.\n# Answer\n\n4"
    assert split_steps(text, "prm800k") == ["Let x = 2.", "Then 2x = 4.", "# Answer\n\n4"]
    assert split_steps("# Answer\n\n4", "prm800k") == ["# Answer\n\n4"]
    # Everything after the marker belongs to the tail, even more lines.
    assert split_steps("a\n# Answer\n\n4\nextra", "prm800k") == ["a", "# Answer\n\n4\nextra"]
    # In GSM8K format the marker is an ordinary line.
    assert split_steps("a\n# Answer\n\n4", "gsm8k") == ["a", "# Answer\n", "4"]


@pytest.mark.parametrize(
    "text, steps",
    [
        ("a\n\nb\n", ["a\n", "b\n"]),  # blank lines stay with the step before them
        ("\n\na\nb", ["\n\na", "b"]),  # leading blank lines go to the first step
        ("a\r\n \r\nb", ["a\r\n \r", "b"]),
        ("", []),
        ("  ", ["  "]),  # a blank text is one (blank) step, so it joins back
        ("\n", ["\n"]),
        ("one line", ["one line"]),
    ],
)
def test_blank_lines_are_not_steps(text, steps):
    assert split_steps(text, "gsm8k") == steps
    assert join_steps(steps) == text


@pytest.mark.parametrize("fmt", ["gsm8k", "prm800k", "paragraphs"])
def test_split_then_join_is_lossless(fmt):
    rng = random.Random(11)
    pieces = ["\n", "\n", "\r", " ", "\t", "# Answer", "####", " 42", "step", "x = 1.", "é", "\u2028", "\x00"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        steps = split_steps(text, fmt)
        assert join_steps(steps, fmt) == text
        if text.strip():
            assert all(step.strip() for step in steps), (text, steps)


def test_paragraphs_are_the_steps_of_free_form_solutions():
    text = "First, note that\n$x = 2$.\n\nThen $2x = 4$.\n\n\n\nSo the answer is $\\boxed{4}$.\n"
    steps = split_steps(text, "paragraphs")
    assert steps == ["First, note that\n$x = 2$.", "Then $2x = 4$.\n\n", "So the answer is $\\boxed{4}$.\n"]
    assert join_steps(steps, "paragraphs") == text
    assert split_steps("one line\nand another", "paragraphs") == ["one line\nand another"]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown step format 'math'"):
        split_steps("a", "math")
    with pytest.raises(TypeError, match="got NoneType"):
        split_steps(None, "gsm8k")
