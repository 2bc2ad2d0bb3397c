"""A search's partial and finished solutions, and picking among them by the guide's score."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stepwise.search.step_generator import Step


@dataclass(frozen=True)
class Candidate:
    """A solution so far: its steps joined by the step separator, and the guide's score once scored.

    The root (no steps) is the bare prompt. ``finished``: the last step ended
    the solution, so it is never expanded again.
    """

    text: str = ""
    steps: int = 0
    finished: bool = False
    score: float | None = None

    def prompt(self, problem_prompt: str, separator: str) -> str:
        """What the generator continues: the problem's prompt, then every step followed by the separator."""
        return problem_prompt + self.text + separator if self.steps else problem_prompt

    def extended(self, step: Step, separator: str) -> Candidate:
        """This solution followed by ``step`` (unscored); exactly the text its prompt was continued with."""
        text = self.text + separator + step.text if self.steps else step.text
        return Candidate(text, self.steps + 1, step.end == "solution")


def ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Scored candidates from the highest score down; ties keep their order (deterministic)."""
    return sorted(candidates, key=lambda candidate: -candidate.score)


def top_distinct(candidates: Iterable[Candidate], k: int) -> list[Candidate]:
    """The ``k`` best-scoring candidates with distinct texts (an identical prefix is one node of the tree)."""
    kept: dict[str, Candidate] = {}
    for candidate in ranked(candidates):
        if len(kept) == k:
            break
        kept.setdefault(candidate.text, candidate)
    return list(kept.values())


def best(candidates: Iterable[Candidate]) -> Candidate | None:
    """The highest-scoring candidate (the first of ties), or None when there is none."""
    order = ranked(candidates)
    return order[0] if order else None


def split_children(children: Iterable[Iterable[Candidate | None]]) -> tuple[list[Candidate], list[Candidate]]:
    """``(finished, unfinished)`` scored children of a step, in order; None (a dropped child) is skipped."""
    finished, alive = [], []
    for group in children:
        for child in group:
            if child is not None:
                (finished if child.finished else alive).append(child)
    return finished, alive
