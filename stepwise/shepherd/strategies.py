"""Step labels of candidate solutions: complete every prefix (``linear``) or search for the first error (``binary``).

**linear** (Math-Shepherd as published): every prefix of 1 .. K-1 steps gets N
continuations; step k's hard label is whether any continuation of the prefix
ending with it reaches the golden answer, its soft label the fraction that do.
The last step needs no completion: the solution's own final answer decides it
(hard: correct; soft: 1.0 or 0.0).

**binary** (first-error search, after OmegaPRM, Luo et al. 2024): assume that
once a prefix can no longer reach the answer, no longer prefix can. Then the
labels are fixed by the first step ``f`` whose prefix reaches nothing: steps
before ``f`` positive, ``f`` and later negative.

* A correct solution has no such step: every prefix reaches the answer through
  the solution's own rest, so all steps are positive with no completion at all
  (exact, not an assumption).
* An incorrect one has ``f`` in 1 .. K (the full solution reaches nothing); a
  binary search over the prefixes finds it after about log2(K) completed
  prefixes. All searches advance together, one batched round of prefixes at a
  time.
* Completions already drawn are reused: a continuation of the j-step prefix
  that begins with the solution's own steps j+1 .. m is also a continuation of
  the m-step prefix; if one of those reached the answer, prefix m is positive
  without sampling.

Soft labels in binary strategy (what we record): a completed prefix gets its
fraction (for a reused prefix: the fraction among the matching earlier
continuations); a positive step that was not completed gets the fraction of
the nearest completed positive prefix after it (the step before ``f`` is
always completed when ``f > 1``; for a correct solution that is its last step,
1.0); every step from ``f`` on gets 0.0. They are thus coarser than linear
strategy's: an estimate carried back over the skipped prefixes.

Tokens are those the sampler generated for the continuations each strategy
drew (reused continuations cost nothing).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stepwise.shepherd.candidates import Candidate
from stepwise.shepherd.completer import Completer, PrefixEstimate


@dataclass(frozen=True)
class StepLabels:
    """The labels of one candidate's steps and what they cost.

    ``drawn[k]``: continuations behind step k+1's estimate (0 where the label
    was not measured by completion); ``tokens``: tokens generated for it.
    """

    candidate: Candidate
    strategy: str
    hard: tuple[bool, ...]
    soft: tuple[float, ...]
    drawn: tuple[int, ...]
    completions: int
    reused_prefixes: int
    tokens: int


def label_linear(candidates: Sequence[Candidate], completer: Completer) -> list[StepLabels]:
    """Labels from completing every prefix but the full solution (see the module docstring)."""
    requests = [(candidate, k) for candidate in candidates for k in range(1, len(candidate.steps))]
    estimates = iter(completer.estimate(requests, desc="linear: completing prefixes"))
    labelled = []
    for candidate in candidates:
        ests = [next(estimates) for _ in range(1, len(candidate.steps))]
        hard = tuple(e.hard for e in ests) + (candidate.correct,)
        soft = tuple(e.soft for e in ests) + (float(candidate.correct),)
        drawn = tuple(len(e.continuations) for e in ests) + (0,)
        labelled.append(
            StepLabels(
                candidate,
                "linear",
                hard,
                soft,
                drawn,
                sum(len(e.continuations) for e in ests if e.sampled),
                0,
                sum(e.tokens for e in ests),
            )
        )
    return labelled


class _FirstErrorSearch:
    """The binary search of one candidate: ``lo`` .. ``hi`` bracket the first step whose prefix reaches nothing."""

    def __init__(self, candidate: Candidate):
        self.candidate = candidate
        self.measured: dict[int, PrefixEstimate] = {}
        self.reused: set[int] = set()
        n_steps = len(candidate.steps)
        # A correct solution has no negative step: lo past the end ends the search at once.
        self.lo, self.hi = (n_steps + 1, n_steps + 1) if candidate.correct else (1, n_steps)

    @property
    def done(self) -> bool:
        return self.lo >= self.hi

    @property
    def mid(self) -> int:
        return (self.lo + self.hi) // 2

    def record(self, n_steps: int, estimate: PrefixEstimate) -> None:
        self.measured[n_steps] = estimate
        if estimate.hard:
            self.lo = n_steps + 1
        else:
            self.hi = n_steps

    def reuse(self, n_steps: int) -> PrefixEstimate | None:
        """An estimate of the ``n_steps`` prefix from earlier continuations, if one of them reaches the answer."""
        matching = tuple(
            (text, reached)
            for j, estimate in self.measured.items()
            if j < n_steps
            for text, reached in estimate.continuations
            if self.candidate.continues_with(j, n_steps - j, text)
        )
        if not any(reached for _, reached in matching):
            return None
        self.reused.add(n_steps)
        return PrefixEstimate(matching, tokens=0)

    def labels(self) -> StepLabels:
        n_steps = len(self.candidate.steps)
        first_bad = self.lo
        hard = tuple(k < first_bad for k in range(1, n_steps + 1))
        soft = [0.0] * n_steps
        carried = 1.0  # only used for a correct solution's steps after its last completed prefix
        for k in range(min(first_bad - 1, n_steps), 0, -1):
            if k in self.measured:
                carried = self.measured[k].soft
            soft[k - 1] = carried
        drawn = tuple(len(self.measured[k].continuations) if k in self.measured else 0 for k in range(1, n_steps + 1))
        sampled = [e for k, e in self.measured.items() if k not in self.reused and e.sampled]
        return StepLabels(
            self.candidate,
            "binary",
            hard,
            tuple(soft),
            drawn,
            sum(len(e.continuations) for e in sampled),
            len(self.reused),
            sum(e.tokens for e in sampled),
        )


def label_binary(candidates: Sequence[Candidate], completer: Completer) -> list[StepLabels]:
    """Labels from a first-error binary search per candidate (see the module docstring)."""
    searches = [_FirstErrorSearch(candidate) for candidate in candidates]
    for round_number in itertools.count(1):  # ends: every round narrows each unfinished search
        pending = []
        for search in searches:
            while not search.done:
                reused = search.reuse(search.mid)
                if reused is None:
                    pending.append(search)
                    break
                search.record(search.mid, reused)
        if not pending:
            break
        requests = [(search.candidate, search.mid) for search in pending]
        estimates = completer.estimate(requests, desc=f"binary: search round {round_number}")
        for search, (_, n_steps), estimate in zip(pending, requests, estimates):
            search.record(n_steps, estimate)
    return [search.labels() for search in searches]


STRATEGIES: dict[str, Callable[[Sequence[Candidate], Completer], list[StepLabels]]] = {
    "linear": label_linear,
    "binary": label_binary,
}
