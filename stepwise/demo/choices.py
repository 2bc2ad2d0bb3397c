"""Seeded random choices shared by the demo problem templates."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    """A character in a word problem: name and pronouns."""

    name: str
    he: str
    him: str
    his: str


PEOPLE = [
    Person(name, "he", "him", "his")
    for name in (
        "Tom",
        "Ben",
        "Leo",
        "Omar",
        "Raj",
        "Diego",
        "Mateo",
        "Kenji",
        "Liam",
        "Noah",
        "Samir",
        "Hugo",
        "Jamal",
        "Felix",
    )
] + [
    Person(name, "she", "her", "her")
    for name in (
        "Anna",
        "Mia",
        "Zoe",
        "Priya",
        "Lucia",
        "Amara",
        "Yuki",
        "Sofia",
        "Nadia",
        "Elena",
        "Grace",
        "Ines",
        "Maya",
        "Lena",
    )
]


class Choices:
    """Random choices for one problem: numbers in the configured range, people, phrasings."""

    def __init__(self, rng: random.Random, low: int, high: int):
        self.rng, self.low, self.high = rng, low, high
        self._used: set[str] = set()

    def num(self, low: int | None = None, high: int | None = None) -> int:
        """A quantity in the configured range (or in ``[low, high]``; ``high`` is raised to ``low`` if below)."""
        low = self.low if low is None else low
        high = self.high if high is None else max(high, low)
        return self.rng.randint(low, high)

    def signed(self) -> int:
        """A non-zero quantity in the configured range, negative half of the time."""
        return self.num(max(1, self.low)) * self.pick([1, -1])

    def factor(self) -> int:
        """A small multiplier or divisor (2 to 5)."""
        return self.rng.randint(2, 5)

    def person(self) -> Person:
        """A character not used yet in this problem."""
        person = self.rng.choice([p for p in PEOPLE if p.name not in self._used])
        self._used.add(person.name)
        return person

    def pick(self, options: list) -> Any:
        """One of ``options``."""
        return self.rng.choice(options)


def select_templates(registry: dict[str, T], names: list[str] | None, kind: str) -> list[T]:
    """The templates called ``names`` (all of ``registry`` when None); unknown names are an error."""
    if names is None:
        return list(registry.values())
    unknown = sorted(set(names) - set(registry))
    if unknown or not names:
        raise ValueError(f"unknown {kind} demo templates {unknown or names}; choose from {sorted(registry)}")
    return [registry[name] for name in names]
