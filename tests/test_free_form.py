"""Final answers read from free-form solutions (off-the-shelf models' text), then checked.

Each case is (solution text, reference answer): the text goes through
``AnswerChecker.extract_many`` (math-verify's extraction in the restricted
workers) and the answer it gives through the same checker's ``equal``. One list
per kind of text the workflow's own formats (``####``, ``# Answer``) miss, each
with pairs that must be accepted and pairs that must be rejected.
"""

from __future__ import annotations

import pytest

from stepwise.answers import AnswerChecker
from stepwise.answers.extract import FREE_FORM_TAIL_CHARS

LONG_REASONING = "We first simplify the expression step by step, keeping track of every term. " * 40

# No box, no format of ours: the answer in inline or display math after words, or only at the end.
INLINE_AND_DISPLAY = [
    ("The final answer is $9$.", "9", True),
    ("Final Answer: The final answer is 34. I hope it is correct.", "34", True),
    ("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "0.75", True),
    ("Answer: \\(9\\)", "9", True),
    ("Therefore the answer is \\[ 12 \\]", "12", True),
    ("So the area is $$\\frac{25}{2}$$", "12.5", True),
    ("**Answer:** 17", "17", True),
    ("answer: 12 apples", "12", True),
    ("We find $x = 7$. Hence $x = 7$.", "7", True),
    ("Therefore the total cost is \\$18.", "18", True),
    (LONG_REASONING + "So she has 42 apples left.", "42", True),
    (LONG_REASONING + "The result is $\\sqrt{2}$.", "\\frac{2}{\\sqrt{2}}", True),
    ("The answer is $\\pi$.", "\\pi", True),
    ("Hence $t = -\\frac{1}{2}$.", "-0.5", True),
    ("Therefore, the answer is $x^2+2x+1$.", "(x+1)^2", True),
    ("The final answer is $8$.", "9", False),
    ("The answer is $2\\pi$.", "\\pi", False),
    ("Hence $t = -\\frac{1}{2}$.", "0.5", False),
    ("Final Answer: The final answer is 34. I hope it is correct.", "43", False),
    ("So the area is $$\\frac{25}{2}$$", "25", False),
    ("Answer: \\(9\\)", "-9", False),
    (LONG_REASONING + "So she has 42 apples left.", "24", False),
    ("I am not sure how to solve this problem.", "3", False),
    ("", "0", False),
]

# Several boxed answers that together form the answer.
SEVERAL_BOXES = [
    ("The solutions are \\boxed{1}, \\boxed{2}.", "1,2", True),
    ("The solutions are \\boxed{1} and \\boxed{2}.", "\\{1,2\\}", True),
    ("\\boxed{2}, \\boxed{1}", "1, 2", True),
    ("So $x = \\boxed{-3}$ or $x = \\boxed{3}$.", "\\pm 3", True),
    ("\\boxed{1}, \\boxed{2}, \\boxed{3}", "1,2,3", True),
    ("The solutions are \\boxed{1}, \\boxed{2}.", "1,2,3", False),
    ("The solutions are \\boxed{1} and \\boxed{2}.", "\\{1,3\\}", False),
    ("\\boxed{1}, \\boxed{2}, \\boxed{3}", "6", False),
    ("\\boxed{4}", "4, 5", False),
]

# Relations written the other way (ASCII or other LaTeX commands).
RELATIONS = [
    ("The answer is $x >= 5$.", "x \\geq 5", True),
    ("The answer is $x \\ge 5$.", "x \\geq 5", True),
    ("So $x \\neq 2$.", "x != 2", True),
    ("So $x != 2$.", "x \\ne 2", True),
    ("We get $a \\lt b$", "a < b", True),
    ("We get $a \\gt b$", "a > b", True),
    ("Hence $y \\leq 3$.", "y <= 3", True),
    ("The solution set is $(5, \\infty)$.", "x > 5", True),
    ("The answer is $x >= 5$.", "x > 5", False),
    ("So $x \\neq 2$.", "x = 2", False),
    ("Hence $y \\leq 3$.", "y \\geq 3", False),
    ("We get $a \\lt b$", "a > b", False),
]

# Matrices and vectors inside prose.
MATRICES = [
    (
        "The matrix is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$.",
        "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
        True,
    ),
    (
        "Thus $A^{-1} = \\begin{bmatrix} 2 & 0 \\\\ 0 & 2 \\end{bmatrix}$ as claimed.",
        "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}",
        True,
    ),
    ("The vector is $\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}$.", "\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}", True),
    (
        "The matrix is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$.",
        "\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}",
        False,
    ),
    ("The vector is $\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}$.", "\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}", False),
    ("The matrix is $\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}$.", "1", False),
]

# A decimal comma, and commas that are not one.
DECIMAL_COMMAS = [
    ("The answer is 1000,99", "1000.99", True),
    ("Thus the answer is 3,5", "3.5", True),
    ("The answer is 1,000.", "1000", True),
    ("The answer is 1,000,000.", "10^6", True),
    ("The answer is 1000,99", "100099", False),
    ("The answer is 1000,99", "1000", False),
    ("The answer is 1,000.", "1", False),
]

# The formats the workflow's generators write, read the free-form way too.
OWN_FORMATS = [
    ("16 - 3 = 13\nShe has 13 eggs.\n#### 13", "13", True),
    ("$1 + 1 = 2$\n# Answer\n\n2", "2", True),
    ("The answer is \\boxed{\\dfrac{3}{4}}.", "\\frac34", True),
    ("16 - 3 = 13\n#### 13", "12", False),
    ("The answer is \\boxed{\\dfrac{3}{4}}.", "\\frac43", False),
]

# Where the math sits on its own lines, and a sentence's full stop after a plain answer. Math whose
# inline delimiters open and close on other lines than its content is not read (math-verify's rules
# refuse it; unsure means "not equal"); display math over several lines is.
LINES_AND_STOPS = [
    ("Thus the probability is 2/3.", "2/3", True),
    ("The value is 2/3.", "\\frac{2}{3}", True),
    ("So it comes to 14.", "14", True),
    ("So the area is $$\n\\frac{25}{2}\n$$", "12.5", True),
    ("Therefore the answer is \\[\n12\n\\]", "12", True),
    ("First $x = 1$\nand then $x = 9$.", "9", True),
    ("Final Answer $\n9\n$ that is \\boxed{9}", "9", True),
    ("Thus the probability is 2/3.", "3/2", False),
    ("Final Answer $\n9\n$", "9", False),
    ("The answer is \\(\n9\n\\)", "9", False),
    ("Final Answer $9\n$", "9", False),
]

KINDS = {
    "inline_and_display": INLINE_AND_DISPLAY,
    "several_boxes": SEVERAL_BOXES,
    "relations": RELATIONS,
    "matrices": MATRICES,
    "decimal_commas": DECIMAL_COMMAS,
    "own_formats": OWN_FORMATS,
    "lines_and_stops": LINES_AND_STOPS,
}


def test_there_are_enough_cases_of_each_kind():
    assert sum(map(len, KINDS.values())) >= 60
    for cases in KINDS.values():
        assert {expected for _, _, expected in cases} == {True, False}


@pytest.fixture(scope="module")
def checker():
    with AnswerChecker(kind="math", workers=2, timeout_s=5) as checker:
        yield checker


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_free_form_answers_check_as_expected(checker, kind):
    cases = KINDS[kind]
    answers = checker.extract_many([text for text, _, _ in cases])
    wrong = [
        (text[-70:], reference, answer, expected)
        for (text, reference, expected), answer in zip(cases, answers)
        if (answer is not None and checker.equal(answer, reference)) != expected
    ]
    assert wrong == []


def test_only_the_end_of_a_long_text_is_read(checker):
    early = "At first I thought the answer was \\boxed{5}. " + "Then I checked every case again. " * 200
    assert len(early) > FREE_FORM_TAIL_CHARS
    assert checker.extract(early + "So the answer is $7$.") == "7"
    assert checker.extract(early) is None or checker.extract(early) != "5"


def test_gsm8k_answers_from_free_form_text():
    with AnswerChecker(kind="gsm8k") as gsm8k:
        texts = [
            "Janet sells 16 - 3 - 4 = 9 eggs, so she makes 9 * 2 = \\$18 every day.\nThe final answer is $18$.",
            "The answer is 1,200 dollars.",
            "So the final answer is \\boxed{42}.",
        ]
        assert gsm8k.check_many(zip(gsm8k.extract_many(texts), ["18", "1200", "42"])) == [True, True, True]
        assert gsm8k.stats.worker_extractions == 3


def test_extraction_rejects_non_text():
    with AnswerChecker(kind="gsm8k") as gsm8k, pytest.raises(TypeError, match="text 1: expected a str, got int"):
        gsm8k.extract_many(["1", 2])
