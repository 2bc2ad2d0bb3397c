"""Final-answer extraction: each format, the order between them, and robustness."""

import random
import time

import pytest

from stepwise.answers import (
    extract_answer,
    extract_boxed,
    extract_hash_answer,
    extract_prm800k_answer,
    extract_the_answer_is,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("so $x = \\boxed{5}$.", "5"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{\\frac{\\sqrt{2}}{2}} and more", "\\frac{\\sqrt{2}}{2}"),
        ("first \\boxed{1} then \\boxed{2}", "2"),
        ("\\fbox{7}", "7"),
        ("\\boxed{1} then \\fbox{8}", "8"),
        ("\\fbox{1} then \\boxed{9}", "9"),
        ("$\\boxed 5$", "5"),
        ("\\boxed 5", "5"),
        ("\\boxed{\\{1,2\\}}", "\\{1,2\\}"),  # escaped braces do not count
        ("\\boxed{\\left\\{ x \\right.}", "\\left\\{ x \\right."),  # an unmatched \{ inside
        ("\\boxed{ \\text{(B)} }", "\\text{(B)}"),
        ("\\boxed{(3, \\frac{\\pi}{2})}", "(3, \\frac{\\pi}{2})"),
    ],
)
def test_extract_boxed(text, expected):
    assert extract_boxed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no box here",
        "\\boxed{}",  # empty answer counts as none
        "\\boxed{  }",
        "\\boxed{1} and a truncated \\boxed{\\frac{1}{2",  # the last box is unclosed
        "\\boxedanswer{3}",  # a different command
        "\\boxed",
        "\\boxed{\\}",  # the only closing brace is escaped
    ],
)
def test_extract_boxed_none(text):
    assert extract_boxed(text) is None


def test_extract_prm800k_answer():
    text = "Let x = 2.\nThen 2x = 4.\n# Answer\n\n4"
    assert extract_prm800k_answer(text) == "4"
    assert extract_prm800k_answer("step\n# Answer\n\n\\frac{1}{2}\n") == "\\frac{1}{2}"
    assert extract_prm800k_answer("step\n  # Answer  \n\n  7  ") == "7"
    assert extract_prm800k_answer("# Answer\n\n1\nmore\n# Answer\n\n2") == "2"
    # The marker must be a line of its own, and an answer must follow it.
    assert extract_prm800k_answer("see # Answer\n\n4") is None
    assert extract_prm800k_answer("# Answers\n\n4") is None
    assert extract_prm800k_answer("step\n# Answer\n\n") is None


def test_extract_the_answer_is():
    assert extract_the_answer_is("So the answer is 18.") == "18"
    assert extract_the_answer_is("The answer is: 18") == "18"
    assert extract_the_answer_is("The answer is $\\frac{1}{2}$.") == "\\frac{1}{2}"
    assert extract_the_answer_is("The answer is 0.5") == "0.5"
    assert extract_the_answer_is("The answer is 3. The answer is 4.\nok") == "4"
    assert extract_the_answer_is("THE ANSWER IS -2") == "-2"
    assert extract_the_answer_is("The answer is") is None
    assert extract_the_answer_is("The answer is $.\n5") is None
    assert extract_the_answer_is("no answer") is None


def test_extract_hash_answer():
    assert extract_hash_answer("a <<1+1=2>>2\n#### 72") == "72"
    assert extract_hash_answer("#### 1,000\n") == "1,000"
    assert extract_hash_answer("#### 1\n#### -3 ") == "-3"
    assert extract_hash_answer("####") is None
    assert extract_hash_answer("#### \nnext line") is None
    assert extract_hash_answer("72") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\\boxed{1}\n# Answer\n\n2\nThe answer is 3\n#### 4", "1"),
        ("# Answer\n\n2\nThe answer is 3\n#### 4", "2"),
        ("The answer is 3\n#### 4", "3"),
        ("#### 4", "4"),
        # a broken last box falls through to the next format
        ("\\boxed{1\n#### 4", "4"),
        ("nothing", None),
        ("", None),
    ],
)
def test_extract_answer_order(text, expected):
    assert extract_answer(text) == expected


def test_extraction_never_raises_and_stays_fast():
    rng = random.Random(7)
    alphabet = ["\\boxed", "\\fbox", "{", "}", "\\", "$", "#### ", "\n# Answer\n", "\n", "The answer is", " ", "1", "."]
    alphabet += ["\x00", "é"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    texts += ["{" * 200_000, "\\boxed{" * 100_000, "\\boxed" * 100_000, "#### " * 100_000, "the answer is" * 50_000]
    for text in texts:
        start = time.perf_counter()
        answer = extract_answer(text)
        assert answer is None or (isinstance(answer, str) and answer.strip() == answer and answer)
        assert time.perf_counter() - start < 1.0, text[:50]
