"""Diverse verifier tree search (DVTS, search-and-learn's): ``n / M`` independent greedy subtrees of width ``M``.

Each subtree starts from ``M`` continuations of the prompt; after each step the
guide scores its new partial solutions, finished ones are set aside and the
subtree goes on from its best-scoring unfinished one alone, expanded into
``M`` continuations again: at most ``n`` continuations per step in all. A
subtree ends when none of its continuations is unfinished. Only finished
solutions are candidates; the answer is the highest-scoring one.
"""

from __future__ import annotations

from stepwise.search.beam_search import check_budget
from stepwise.search.candidates import Candidate, best, split_children


class DVTS:
    """One problem's DVTS at budget ``n`` (see the module docstring)."""

    method = "dvts"
    lookahead = 0

    def __init__(self, n: int, beam_width: int):
        check_budget(n, beam_width)
        self.n, self.beam_width = n, beam_width
        # One request per live subtree, in subtree order (the step generator asks the shared root once).
        self.frontier: list[tuple[Candidate, int]] = [(Candidate(), beam_width)] * (n // beam_width)
        self.finished: list[Candidate] = []

    def requests(self) -> list[tuple[Candidate, int]]:
        return list(self.frontier)

    def take(self, children: list[list[Candidate | None]]) -> None:
        frontier = []
        for subtree in children:
            finished, alive = split_children([subtree])
            self.finished += finished
            if alive:
                frontier.append((best(alive), self.beam_width))
        self.frontier = frontier
