"""Ground truth for demo problems: judge any step of any solution.

Every demo record's ``demo`` field lists the problem's true values (``values``:
the givens the solution uses, every intermediate result of the reference
program, partial sums of its multi-term sums, and the answer) and the answer
(``answer_value``), as exact ``"p/q"`` strings. :func:`judge_steps` uses them:

**The rule.** A step is correct when every result it states is right, and a
step that states no result is correct (a restatement or plan makes no error).

* A *result* is, in ``gsm8k`` format, each calculator annotation
  ``<<expr=r>>`` (and the number written right after it); in ``prm800k``
  (LaTeX) format, each ``= r`` whose right side is a plain number (integer,
  decimal, ``\\frac{a}{b}``, optionally negative), inside ``$...$`` or in plain
  text.
* A result is right when the arithmetic it shows is right (the annotation's
  expression, or the arithmetic just left of ``=``, evaluates to ``r``),
  ``r`` is one of the true values, **and** every number the arithmetic uses is
  a true value or a constant of the reference program (its literal operands):
  ``26-6-20 = 0`` made up from scores the problem does not give is wrong, although
  0 is the true value of the right pair's check. Where the left of ``=`` is not
  plain arithmetic (``x = 5``, ``2x = 14``), only the value is checked.
* A final-answer step (``#### N``, or ``# Answer`` followed by the answer) is
  correct iff the answer equals the true answer (and its other results are
  right).

So a step that uses a wrong quantity or operation is caught (its value is not
a true value, or it computes with a number that is none), and so is an
arithmetic slip. What is not judged: numbers not introduced by ``=`` (e.g. a
list), and a correct value reached from true values by a route the reference
program does not take (rare in this demo).
Expressions are evaluated by :func:`stepwise.calculator.evaluate` (restricted,
exact), never by ``eval``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from stepwise.answers.extract import (
    extract_boxed,
    extract_hash_answer,
    extract_prm800k_answer,
)
from stepwise.answers.numbers import parse_gsm8k_number
from stepwise.calculator import (
    CalculatorError,
    annotation_is_correct,
    evaluate,
    find_annotations,
    latex_expression,
)
from stepwise.demo.program import decode_value, is_literal
from stepwise.formats.steps import ANSWER_LINE, GSM8K_ANSWER_MARKER
from stepwise.io import DataError

JUDGE_FORMATS = ("gsm8k", "prm800k")

_LATEX_NOISE = re.compile(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\[!,;:]|\\quad(?![a-zA-Z])|\\%|\^\{?\\circ\}?|\\\$")
_LATEX_TEXT = re.compile(r"\\(?:text|mbox|mathrm)\{[^{}]*\}")
_ARITHMETIC_SUFFIX = re.compile(r"(?:\\frac|\\cdot|\\times|\\div|[\d.\s+\-*/^(){}])*\Z")
_PLAIN_NUMBER = re.compile(r"\s*([+-]?\s*(?:\\frac\{-?\d+(?:\.\d+)?\}\{\d+(?:\.\d+)?\}|\d+(?:\.\d+)?|\.\d+))")
_LATEX_FRAC_OF_NUMBERS = re.compile(r"\\frac\{(\d+(?:\.\d+)?)\}\{(\d+(?:\.\d+)?)\}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_AFTER_ANNOTATION = re.compile(r"\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)")


def judge_steps(demo_info: dict[str, Any], steps: Sequence[str], fmt: str) -> list[bool]:
    """Whether each step is correct, by the rule in the module docstring.

    ``demo_info`` is a demo record's ``demo`` field; ``fmt`` is ``"gsm8k"``
    (annotated GSM8K lines) or ``"prm800k"`` (LaTeX steps, ``# Answer`` last).
    """
    if fmt not in JUDGE_FORMATS:
        raise ValueError(f"unknown step format {fmt!r}; expected one of {JUDGE_FORMATS}")
    try:
        values = {decode_value(text) for text in demo_info["values"]}
        answer = decode_value(demo_info["answer_value"])
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"demo_info needs keys 'values' and 'answer_value' holding exact numbers ({err!r})") from None
    usable = {abs(value) for value in values | _program_constants(demo_info.get("program", {}))}
    judge = _judge_gsm8k_step if fmt == "gsm8k" else _judge_latex_step
    return [judge(step, values, answer, usable) for step in steps]


def _program_constants(program: dict[str, Any]) -> set[Fraction]:
    """The literal operands of a reference program's steps (``* 2``, ``/ 100``)."""
    return {decode_value(ref) for step in program.get("steps", []) for ref in step.get("args", []) if is_literal(ref)}


def _uses_only(numbers: Sequence[Fraction], usable: set[Fraction]) -> bool:
    """Whether every number an arithmetic uses is (up to its sign) a true value or a program constant."""
    return all(abs(number) in usable for number in numbers)


def demo_programs(task: str, dataset: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The ``demo`` field (a solution program) of each problem of a demo dataset of ``task``, by problem id."""
    from stepwise.config.registry import get_task

    return {p.problem_id: p.extra["demo"] for p in get_task(task).load_records(dataset) if "demo" in p.extra}


def true_step_labels(
    solutions: Sequence[dict[str, Any]], programs: dict[str, dict[str, Any]], step_format: str
) -> list[list[bool]]:
    """The true correctness of each solution's ``steps``, from its problem's demo program (:func:`demo_programs`).

    This is the one source of true step labels on demo data: step metrics and
    Math-Shepherd label quality take its output as their labels.
    """
    truths = []
    for solution in solutions:
        if solution["problem_id"] not in programs:
            raise DataError(
                f"problem {solution['problem_id']!r} has no demo ground truth (only demo problems can be judged)"
            )
        truths.append(judge_steps(programs[solution["problem_id"]], solution["steps"], step_format))
    return truths


# -------------------------------------------------------------------- GSM8K


def _judge_gsm8k_step(step: str, values: set[Fraction], answer: Fraction, usable: set[Fraction]) -> bool:
    if GSM8K_ANSWER_MARKER in step:
        body = step[: step.rfind(GSM8K_ANSWER_MARKER)]
        if parse_gsm8k_number(extract_hash_answer(step)) != answer:
            return False
        step = body
    for annotation in find_annotations(step):
        if not annotation_is_correct(annotation.expr, annotation.stated_result):
            return False
        if evaluate(annotation.expr) not in values or not _uses_only(_numbers(annotation.expr), usable):
            return False
        written = _AFTER_ANNOTATION.match(step, annotation.span[1])
        if written and not annotation_is_correct(annotation.expr, written.group(1).replace(",", "")):
            return False
    return True


# -------------------------------------------------------------------- LaTeX


def _judge_latex_step(step: str, values: set[Fraction], answer: Fraction, usable: set[Fraction]) -> bool:
    marker = ANSWER_LINE.search(step)
    if marker is not None:
        if latex_value(extract_prm800k_answer(step) or "") != answer:
            return False
        step = step[: marker.start()]
    return all(
        rhs in values and (lhs is None or lhs == rhs) and _uses_only(used, usable)
        for lhs, rhs, used in stated_results(step)
    )


def stated_results(text: str) -> list[tuple[Fraction | None, Fraction, list[Fraction]]]:
    """The results a LaTeX step states: ``(value of the arithmetic left of =, or None; value right
    of =; the numbers that arithmetic uses)``.

    Only ``=`` signs whose right side is a plain number count (see the module docstring).
    """
    text = _LATEX_TEXT.sub(" ", _LATEX_NOISE.sub("", text)).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    for opener, closer in (("\\[", "\\]"), ("\\(", "\\)")):
        text = text.replace(opener, "$").replace(closer, "$")
    pieces = text.split("$")
    # Odd pieces are math; even pieces are prose, which may hold plain equations too.
    results = []
    for piece in pieces:
        results += _segment_results(piece)
    return results


def _segment_results(segment: str) -> list[tuple[Fraction | None, Fraction, list[Fraction]]]:
    parts = segment.split("=")
    results = []
    for left, right in zip(parts, parts[1:]):
        rhs = _plain_number(right)
        if rhs is not None:
            lhs = _left_value(left)
            used = _numbers(_ARITHMETIC_SUFFIX.search(left).group(0)) if lhs is not None else []
            results.append((lhs, rhs, used))
    return results


def _numbers(arithmetic: str) -> list[Fraction]:
    """The numbers an arithmetic expression uses (a ``\\frac{a}{b}`` of numbers is one number)."""
    fractions = [Fraction(m.group(1)) / Fraction(m.group(2)) for m in _LATEX_FRAC_OF_NUMBERS.finditer(arithmetic)]
    return fractions + [Fraction(token) for token in _NUMBER.findall(_LATEX_FRAC_OF_NUMBERS.sub(" ", arithmetic))]


def _plain_number(text: str) -> Fraction | None:
    """The number that ``text`` (what follows an ``=``) starts with, if that number is the whole right side."""
    match = _PLAIN_NUMBER.match(text)
    if match is None:
        return None
    rest = text[match.end() :]
    following = rest.lstrip()
    if following and following[0] not in ",.;:!?)]" and not (rest[:1].isspace() and following[0].isalpha()):
        return None  # "= 2x", "= 5 + 3", "= 3^2": an expression, not a stated result
    return latex_value(match.group(1))


def _left_value(text: str) -> Fraction | None:
    """The value of the arithmetic just left of ``=``; None when that is not plain arithmetic (``2x``, ``a_5``)."""
    suffix = _ARITHMETIC_SUFFIX.search(text)
    arithmetic = suffix.group(0)
    before = text[: suffix.start()].rstrip()
    if not any(char.isdigit() for char in arithmetic) or (before and (before[-1].isalpha() or before[-1] == "_")):
        return None
    return latex_value(arithmetic)


def latex_value(text: str) -> Fraction | None:
    """The exact value of a restricted LaTeX number or arithmetic (``-\\frac{3}{4}``, ``2.5``,
    ``3 \\cdot 4``, ``x = 5``: the part after the last ``=``), else None."""
    boxed = extract_boxed(text)
    text = _LATEX_TEXT.sub(" ", _LATEX_NOISE.sub("", boxed if boxed is not None else text))
    expr = latex_expression(text.rpartition("=")[2].strip().strip("$"))
    if expr is None:
        return None
    try:
        return evaluate(expr)
    except CalculatorError:
        return None
