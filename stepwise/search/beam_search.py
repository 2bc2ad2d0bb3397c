"""Beam search guided step by step (search-and-learn's): ``n`` candidates per step, the best ``n / M`` kept.

The first step samples ``n`` continuations of the prompt. After each step the
guide scores every new partial solution; finished ones are set aside, and the
``n / M`` best-scoring unfinished ones (distinct texts) are kept, each expanded
into ``M`` (``beam_width``) continuations: at most ``n`` continuations per
step. The runner (:mod:`stepwise.search.runner`) caps the number of steps; the
answer is the highest-scoring finished solution, none when nothing finished.
"""

from __future__ import annotations

from stepwise.search.candidates import Candidate, split_children, top_distinct


def check_budget(n: int, beam_width: int) -> None:
    """A budget must be a positive multiple of the beam width (``n / M`` beams of ``M`` continuations)."""
    if beam_width < 1 or n < beam_width or n % beam_width:
        raise ValueError(f"budget n = {n} must be a positive multiple of the beam width M = {beam_width}")


class BeamSearch:
    """One problem's beam search at budget ``n`` (see the module docstring)."""

    method = "beam_search"
    lookahead = 0  # greedy steps rolled out before scoring (stepwise.search.lookahead)

    def __init__(self, n: int, beam_width: int):
        check_budget(n, beam_width)
        self.n, self.beam_width = n, beam_width
        self.frontier: list[tuple[Candidate, int]] = [(Candidate(), n)]
        self.finished: list[Candidate] = []

    def requests(self) -> list[tuple[Candidate, int]]:
        """The candidates to expand next and how many continuations each; empty when the search is over."""
        return list(self.frontier)

    def take(self, children: list[list[Candidate | None]]) -> None:
        """The scored children of each request (None: a child cut at max tokens or past the step cap)."""
        finished, alive = split_children(children)
        self.finished += finished
        self.frontier = [(beam, self.beam_width) for beam in top_distinct(alive, self.n // self.beam_width)]
