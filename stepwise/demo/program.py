"""The step programs behind every demo problem.

A demo solution is a small program: named given quantities and a list of steps,
each one operation on givens, earlier results (``s0``, ``s1``, ...) or literal
numbers. The program travels in the record's ``demo`` field, so later stages can
recompute the true values (to judge any model's steps) and the PRM800K generator
can change one step on purpose (a wrong step whose later steps follow from it).

A program is plain JSON::

    {"givens": {"a": "12", "b": "5"},           # exact values as "p/q" strings
     "distractors": ["d"],                      # givens the solution must not use
     "steps": [{"op": "*", "args": ["a", "b"], "text": "He buys <calc> apples."},
               {"op": null, "text": "So the answer is $<s0>$."}],
     "answer": "s0",
     "number_style": "fraction"}                # or "decimal": how non-integers print

Step texts hold placeholders ``<calc>`` (the computation with its result),
``<res>`` (the result), ``<arg0>``, ``<arg1>``, ... (the operands),
``<name0>``, ``<name1>``, ... (the operands' names: givens named for what they
count, e.g. ``green``, keep a wrong operand's text consistent) and ``<name>``
for any given or earlier result. A step may carry ``"unit": "$"`` (GSM8K money,
written before the calculator annotation) and ``"style": "frac"`` (a LaTeX
division written as ``\\frac{a}{b}``).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from stepwise.calculator import format_latex_number, format_number

SPLITS = ("train", "test")
FORMATS = ("gsm8k", "latex")
OPS = ("+", "-", "*", "/")
_PLACEHOLDER = re.compile(r"<(\w+)>")
_LATEX_OP = {"+": " + ", "-": " - ", "*": " \\cdot ", "/": " \\div "}


def split_of(text: str) -> str:
    """The split a question text belongs to: a stable hash, the same in every process."""
    return SPLITS[hashlib.sha256(text.encode("utf-8")).digest()[0] % len(SPLITS)]


def check_split(split: str) -> None:
    """Raise ``ValueError`` unless ``split`` is one of :data:`SPLITS`."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def encode_value(value: Fraction) -> str:
    """An exact value as JSON-friendly text: ``"12"``, ``"-3/4"``."""
    return str(value)


@functools.lru_cache(maxsize=65536)
def decode_value(text: str) -> Fraction:
    """Inverse of :func:`encode_value` (cached: parsing text is the slow part of running programs)."""
    return Fraction(text)


def is_literal(ref: str) -> bool:
    """Whether a step argument is a literal number rather than a name."""
    return ref[:1].isdigit() or ref[:1] == "-"


def apply_op(op: str, values: Sequence[Fraction]) -> Fraction:
    """Apply ``op`` left to right over ``values`` (raises ZeroDivisionError)."""
    result = values[0]
    for value in values[1:]:
        if op == "+":
            result += value
        elif op == "-":
            result -= value
        elif op == "*":
            result *= value
        elif op == "/":
            result /= value
        else:
            raise ValueError(f"unknown operation {op!r}")
    return result


@dataclass(frozen=True)
class Change:
    """One step made wrong on purpose: new operation/operands and a slip in the stated result."""

    index: int
    op: str
    args: tuple[str, ...]
    slip: Fraction = Fraction(0)
    kind: str = "wrong_operand"


@dataclass
class Trace:
    """A program run: the environment and each step's stated value (None for text-only steps)."""

    env: dict[str, Fraction]
    stated: list[Fraction | None] = field(default_factory=list)
    operands: list[tuple[Fraction, ...]] = field(default_factory=list)


def _resolve(ref: str, env: dict[str, Fraction]) -> Fraction:
    if is_literal(ref):
        return decode_value(ref)
    try:
        return env[ref]
    except KeyError:
        raise ValueError(f"program refers to unknown quantity {ref!r}") from None


def run_program(program: dict[str, Any], change: Change | None = None, until: int | None = None) -> Trace:
    """Evaluate the steps (through step ``until`` if given); with ``change``, that step is
    replaced and later steps use its stated value (a later division may then raise
    ZeroDivisionError)."""
    env = {name: decode_value(text) for name, text in program["givens"].items()}
    trace = Trace(env)
    steps = program["steps"] if until is None else program["steps"][: until + 1]
    for index, step in enumerate(steps):
        if step.get("op") is None:
            trace.stated.append(None)
            trace.operands.append(())
            continue
        op, args, slip = step["op"], step["args"], Fraction(0)
        if change is not None and change.index == index:
            op, args, slip = change.op, change.args, change.slip
        operands = tuple(_resolve(ref, env) for ref in args)
        value = apply_op(op, operands) + slip
        env[f"s{index}"] = value
        trace.stated.append(value)
        trace.operands.append(operands)
    return trace


def answer_value(program: dict[str, Any], trace: Trace | None = None) -> Fraction:
    """The value the program's answer refers to (in ``trace`` when given)."""
    trace = trace or run_program(program)
    return _resolve(program["answer"], trace.env)


def true_values(program: dict[str, Any], trace: Trace | None = None) -> set[Fraction]:
    """Every value a correct step may state: the givens the solution uses (restating
    them is right), step results, the answer, and partial sums/products of steps
    that add or multiply three or more operands (any order of adding them up is
    right). ``trace``: the unchanged program's run, if at hand."""
    trace = trace or run_program(program)
    distractors = set(program.get("distractors", []))
    values = {decode_value(text) for name, text in program["givens"].items() if name not in distractors}
    values.update(value for value in trace.stated if value is not None)
    values.add(answer_value(program, trace))
    for step, operands in zip(program["steps"], trace.operands):
        if step.get("op") in ("+", "*") and len(operands) >= 3:
            for size in range(2, len(operands)):
                for subset in itertools.combinations(operands, size):
                    values.add(apply_op(step["op"], subset))
    return values


# ---------------------------------------------------------------- rendering


def render_number(value: Fraction, fmt: str, style: str = "fraction") -> str:
    """A number as GSM8K text (as the calculator writes it: ``15``, ``0.2``) or LaTeX
    (``-3``; ``0.25`` in decimal style; else ``\\frac{3}{4}``)."""
    if fmt == "gsm8k":
        return format_number(value)
    return format_latex_number(value, decimal=style == "decimal")


def _operand(value: Fraction, fmt: str, style: str) -> str:
    text = render_number(value, fmt, style)
    return f"({text})" if value < 0 else text


def render_expr(op: str, operands: Sequence[Fraction], fmt: str, style: str = "fraction", frac: bool = False) -> str:
    """The computation ``a op b ...`` in GSM8K or LaTeX notation."""
    if fmt == "latex" and frac and op == "/" and len(operands) == 2:
        top, bottom = (render_number(value, fmt, style) for value in operands)
        return f"\\frac{{{top}}}{{{bottom}}}"
    joiner = op if fmt == "gsm8k" else _LATEX_OP[op]
    return joiner.join(_operand(value, fmt, style) for value in operands)


def render_calc(expr: str, result: Fraction, fmt: str, style: str = "fraction", unit: str = "") -> str:
    """``expr = result``; for GSM8K with the calculator annotation, ``3*5 = $<<3*5=15>>15``."""
    shown = render_number(result, fmt, style)
    if fmt == "gsm8k":
        return f"{expr} = {unit}<<{expr}={shown}>>{shown}"
    return f"{expr} = {shown}"


def check_format(fmt: str) -> None:
    """Raise ``ValueError`` unless ``fmt`` is one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")


def render_step(
    program: dict[str, Any],
    index: int,
    trace: Trace,
    fmt: str,
    change: Change | None = None,
    swap: bool = False,
) -> str:
    """The text of step ``index`` under ``trace`` (run with the same ``change``).

    ``swap`` writes the operands of a commutative step in reverse order (a
    paraphrase that is still correct).
    """
    check_format(fmt)
    step = program["steps"][index]
    style = program.get("number_style", "fraction")
    fields: dict[str, str] = {}
    if step.get("op") is not None:
        changed = change is not None and change.index == index
        op = change.op if changed else step["op"]
        operands = trace.operands[index]
        shown_operands = operands[::-1] if swap and op in ("+", "*") else operands
        expr = render_expr(op, shown_operands, fmt, style, frac=step.get("style") == "frac")
        stated = trace.stated[index]
        fields["calc"] = render_calc(expr, stated, fmt, style, step.get("unit", ""))
        fields["res"] = render_number(stated, fmt, style)
        fields.update({f"arg{i}": render_number(value, fmt, style) for i, value in enumerate(operands)})
        fields.update({f"name{i}": ref for i, ref in enumerate(change.args if changed else step["args"])})

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in fields:
            return fields[name]
        if name in trace.env:
            return render_number(trace.env[name], fmt, style)
        raise ValueError(f"step text {step['text']!r} has unknown placeholder <{name}>")

    return _PLACEHOLDER.sub(fill, step["text"])


def render_solution(
    program: dict[str, Any], fmt: str, change: Change | None = None, trace: Trace | None = None
) -> tuple[list[str], Fraction]:
    """All step texts and the final answer value (of the changed program when ``change`` is given;
    pass the ``trace`` of that run if it is at hand)."""
    trace = trace or run_program(program, change)
    steps = [render_step(program, index, trace, fmt, change) for index in range(len(program["steps"]))]
    return steps, answer_value(program, trace)


# ------------------------------------------------------------- wrong steps


def candidate_changes(
    program: dict[str, Any], index: int, trace: Trace | None = None, truth: set[Fraction] | None = None
) -> list[Change]:
    """Every way of making step ``index`` wrong that the truth judge will see as wrong.

    Kinds: ``wrong_operation`` (another operation), ``wrong_operand`` (another
    given, earlier result, or an operand off by one), ``distractor`` (a quantity
    the problem mentions but the solution does not need), ``arithmetic_slip``
    (right computation, wrong stated result). A change qualifies only if the step
    stays computable and the value it states is none of the true values. Pass the
    unchanged ``trace`` and ``truth`` (:func:`true_values`) when at hand.
    """
    step = program["steps"][index]
    if step.get("op") is None or "<calc>" not in step["text"]:
        return []  # a step that shows no computation cannot be seen to be wrong
    trace = trace or run_program(program)
    truth = true_values(program, trace) if truth is None else truth
    op, args = step["op"], tuple(step["args"])
    distractors = set(program.get("distractors", []))
    earlier = [f"s{i}" for i in range(index) if program["steps"][i].get("op") is not None]
    pool = [name for name in program["givens"] if name not in distractors] + earlier
    candidates = [Change(index, other, args, kind="wrong_operation") for other in OPS if other != op]
    if op == "-" and len(args) == 2:
        candidates.append(Change(index, op, args[::-1], kind="wrong_operand"))
    for position, ref in enumerate(args):
        replacements = [(name, "wrong_operand") for name in pool if name != ref]
        replacements += [(name, "distractor") for name in sorted(distractors)]
        if is_literal(ref):
            replacements += [(str(Fraction(ref) + delta), "wrong_operand") for delta in (-1, 1)]
        for name, kind in replacements:
            new_args = args[:position] + (name,) + args[position + 1 :]
            candidates.append(Change(index, op, new_args, kind=kind))
    candidates += [Change(index, op, args, Fraction(delta), "arithmetic_slip") for delta in (-10, -2, -1, 1, 2, 10)]
    wrong = []
    for change in candidates:
        value = _stated_value(change, trace.env)
        if value is not None and value not in truth:
            wrong.append(change)
    return wrong


def _stated_value(change: Change, env: dict[str, Fraction]) -> Fraction | None:
    """The value the changed step states (None if it divides by zero); earlier values are unchanged."""
    try:
        return apply_op(change.op, [_resolve(ref, env) for ref in change.args]) + change.slip
    except ZeroDivisionError:
        return None
