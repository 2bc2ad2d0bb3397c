"""Lookahead search (search-and-learn's): beam search that scores a step after rolling it forward.

Each new partial solution is continued greedily (temperature 0) for up to
``lookahead`` more steps, or until it finishes, and the guide scores that
rollout; the beam keeps the step itself, not the rollout. The runner
(:mod:`stepwise.search.runner`) does the rollouts, batched over every
candidate of the shard, and counts their tokens as generated.
"""

from __future__ import annotations

from stepwise.search.beam_search import BeamSearch


class LookaheadSearch(BeamSearch):
    """Beam search whose candidates are scored after ``lookahead`` greedy steps."""

    method = "lookahead"

    def __init__(self, n: int, beam_width: int, lookahead: int):
        if lookahead < 1:
            raise ValueError(f"lookahead search needs lookahead >= 1 steps, got {lookahead}")
        super().__init__(n, beam_width)
        self.lookahead = lookahead
