"""What every MATH-style demo template is made of: the draft it writes (with its steps), and the decorator
that makes a template of a function (see :mod:`stepwise.demo.math` for the template table and how drafts
become problems)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from stepwise.demo.choices import Choices


@dataclass
class MathDraft:
    """A problem before assembly; ``givens`` hold the quantities the steps refer to by name."""

    problem: str
    givens: dict[str, Fraction | int]
    steps: list[dict] = field(default_factory=list)
    style: str = "fraction"
    distractors: list[str] = field(default_factory=list)

    def add(self, op: str | None, args: list[str | int], text: str, frac: bool = False) -> str:
        """Append a step; return the name of its result (``s<k>``)."""
        step: dict = {"op": op, "text": text}
        if op is not None:
            step["args"] = [str(arg) for arg in args]
        if frac:
            step["style"] = "frac"
        self.steps.append(step)
        return f"s{len(self.steps) - 1}"


@dataclass(frozen=True)
class MathTemplate:
    """A problem template: its subject, and whether it writes short and/or long solutions."""

    name: str
    subject: str
    short: bool
    long: bool
    make: Callable[[Choices, bool], MathDraft]


def template(
    name: str, subject: str, short: bool = True, long: bool = False
) -> Callable[[Callable[[Choices, bool], MathDraft]], MathTemplate]:
    """Make the decorated function the template ``name`` (it is drawn once the generator's table lists it)."""

    def make_template(make: Callable[[Choices, bool], MathDraft]) -> MathTemplate:
        return MathTemplate(name, subject, short, long, make)

    return make_template


def signed_term(value: int) -> str:
    """``value`` as a later term of a sum: ``+ 3`` or ``- 3``."""
    return f"+ {value}" if value >= 0 else f"- {-value}"
