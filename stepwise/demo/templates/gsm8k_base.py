"""What every GSM8K-style demo template is made of: the draft it writes, the steps of its program, and
the decorator that makes a template of a function (see :mod:`stepwise.demo.gsm8k` for the template table
and how drafts become problems)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from stepwise.demo.choices import Choices


@dataclass
class Draft:
    """A problem before assembly: question sentences, program, distractor sentences (``<d>``)."""

    facts: list[str]
    ask: str
    givens: dict[str, int]
    steps: list[dict]
    distractors: list[str] = field(default_factory=list)
    answer: str | None = None  # the step whose result is the answer (None: the last)


@dataclass(frozen=True)
class Template:
    """A story template that can write solutions of the given step counts."""

    name: str
    step_counts: frozenset[int]
    make: Callable[[Choices, int], Draft]


def template(name: str, step_counts: Iterable[int]) -> Callable[[Callable[[Choices, int], Draft]], Template]:
    """Make the decorated function the story template ``name`` (it is drawn once the generator's table lists it)."""

    def make_template(make: Callable[[Choices, int], Draft]) -> Template:
        return Template(name, frozenset(step_counts), make)

    return make_template


def make_step(op: str, args: list[str], text: str, unit: str = "") -> dict:
    """One step of a template's program: an operation on named values, and its sentence."""
    step = {"op": op, "args": args, "text": text}
    if unit:
        step["unit"] = unit
    return step


def sentence_case(text: str) -> str:
    """``text`` with its first letter upper-cased."""
    return text[:1].upper() + text[1:]
