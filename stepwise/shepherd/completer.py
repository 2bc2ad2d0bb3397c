"""The completer: N continuations of step prefixes, graded against the golden answer.

A continuation *reaches* the answer when the final answer of the whole
solution (the prefix's steps followed by the continuation) is equivalent to the
golden one. Prefixes go to the sampler in chunks, so vLLM batches them (and,
with prefix caching, shares the prompt's computation across a solution's
prefixes and the N continuations of each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from stepwise.sampling.base import Sampler, SamplingParams
from stepwise.shepherd.candidates import Candidate


@dataclass(frozen=True)
class PrefixEstimate:
    """The graded continuations of one prefix: ``(text, reached)`` each, and the tokens they took;
    ``sampled`` is False for an estimate that another request's continuations gave (no cost)."""

    continuations: tuple[tuple[str, bool], ...]
    tokens: int
    sampled: bool = True

    @property
    def reached(self) -> int:
        return sum(reached for _, reached in self.continuations)

    @property
    def hard(self) -> bool:
        """Math-Shepherd's hard estimate: some continuation reaches the answer."""
        return self.reached > 0

    @property
    def soft(self) -> float:
        """Math-Shepherd's soft estimate: the fraction of continuations that reach the answer."""
        return self.reached / len(self.continuations)


class Completer:
    """Continue prefixes with ``params.n`` samples each and grade them.

    ``extract(text)`` gives a solution's final answer (None: none) and
    ``grade(answer, reference)`` whether it is right, as in sampling.
    ``chunk_size`` prefixes go to the sampler per call (None: all at once).
    """

    def __init__(
        self,
        sampler: Sampler,
        params: SamplingParams,
        extract: Callable[[str], str | None],
        grade: Callable[[str, str], bool],
        chunk_size: int | None = None,
    ):
        self.sampler, self.params, self.extract, self.grade = sampler, params, extract, grade
        self.chunk_size = chunk_size

    def reaches(self, candidate: Candidate, n_steps: int, continuation: str) -> bool:
        """Whether the first ``n_steps`` steps followed by ``continuation`` end in the golden answer."""
        answer = self.extract(candidate.joined(0, n_steps) + candidate.separator + continuation)
        return answer is not None and bool(self.grade(answer, candidate.reference))

    def estimate(self, requests: Sequence[tuple[Candidate, int]], desc: str = "completing") -> list[PrefixEstimate]:
        """The estimate of each ``(candidate, n_steps)`` prefix, in order.

        Solutions of one problem often share a prefix (the same first step): each distinct prefix
        of a problem is continued once, and its estimate serves every request for it (the
        repeats cost no tokens)."""
        first_of: dict[tuple[str, str], int] = {}  # (prefix, golden answer) -> its first request
        for index, (candidate, n_steps) in enumerate(requests):
            first_of.setdefault((candidate.prefix(n_steps), candidate.reference), index)
        distinct = sorted(first_of.values())
        measured: dict[int, PrefixEstimate] = {}
        step = self.chunk_size or max(1, len(distinct))
        with tqdm(total=len(distinct), desc=desc, unit="prefix", disable=None) as progress:
            for start in range(0, len(distinct), step):
                chunk = distinct[start : start + step]
                outputs = self.sampler.generate([requests[i][0].prefix(requests[i][1]) for i in chunk], self.params)
                for index, generations in zip(chunk, outputs):
                    candidate, n_steps = requests[index]
                    graded = tuple((g.text, self.reaches(candidate, n_steps, g.text)) for g in generations)
                    measured[index] = PrefixEstimate(graded, sum(g.num_tokens for g in generations))
                progress.update(len(chunk))
        estimates = []
        for index, (candidate, n_steps) in enumerate(requests):
            first = first_of[(candidate.prefix(n_steps), candidate.reference)]
            shared = PrefixEstimate(measured[first].continuations, 0, sampled=False)
            estimates.append(measured[index] if first == index else shared)
        return estimates
