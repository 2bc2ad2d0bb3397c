"""What every GSM8K-style demo template is made of: the draft it writes, its registry entry, and the
steps of its program (see :mod:`stepwise.demo.gsm8k` for how drafts become problems)."""

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


TEMPLATES: dict[str, Template] = {}
MAX_STEPS = 6


def template(name: str, step_counts: Iterable[int]):
    """Register the decorated function as the story template ``name`` (in definition order: the order
    of TEMPLATES is part of the seeded draw, so the modules are imported in a fixed order)."""
    def register(make: Callable[[Choices, int], Draft]) -> Callable[[Choices, int], Draft]:
        TEMPLATES[name] = Template(name, frozenset(step_counts), make)
        return make

    return register


def make_step(op: str, args: list[str], text: str, unit: str = "") -> dict:
    """One step of a template's program: an operation on named values, and its sentence."""
    step = {"op": op, "args": args, "text": text}
    if unit:
        step["unit"] = unit
    return step


def sentence_case(text: str) -> str:
    """``text`` with its first letter upper-cased."""
    return text[:1].upper() + text[1:]

