"""Candidate solutions to label: sample records split into steps, and their step prefixes.

A candidate's prefix of ``k`` steps is the text the completer continues: the
prompt, the first ``k`` steps joined as in :func:`stepwise.formats.steps.join_steps`,
and the step separator, so the continuation starts the next step exactly as
the generator would have written it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from stepwise.data import require_field
from stepwise.formats.steps import STEP_SEPARATOR, split_steps, step_separator
from stepwise.io import DataError
from stepwise.sampling.shards import Problem


@dataclass(frozen=True)
class Candidate:
    """One sampled solution of a problem with a golden answer, split into steps."""

    problem_id: str
    sample_id: int
    prompt: str
    reference: str
    steps: tuple[str, ...]
    correct: bool  # whether the solution's own final answer is the golden one
    separator: str = STEP_SEPARATOR  # between its steps (stepwise.formats.steps.step_separator of its format)

    def joined(self, first: int, stop: int) -> str:
        """Steps ``first`` to ``stop - 1``, joined as the solution joins them."""
        return self.separator.join(self.steps[first:stop])

    def prefix(self, n_steps: int) -> str:
        """The prompt and the first ``n_steps`` steps (1 <= n_steps), ready for the next step."""
        if not 1 <= n_steps <= len(self.steps):
            raise ValueError(f"a prefix has 1 to {len(self.steps)} steps, got {n_steps}")
        return self.prompt + self.joined(0, n_steps) + self.separator

    def continues_with(self, n_steps: int, more_steps: int, continuation: str) -> bool:
        """Whether ``continuation`` of the ``n_steps`` prefix begins with this solution's next ``more_steps`` steps,
        i.e. is also a continuation of the ``n_steps + more_steps`` prefix."""
        following = self.joined(n_steps, n_steps + more_steps) + self.separator
        return continuation.startswith(following)


def candidates_from_samples(
    samples: Iterable[tuple[int, dict]],
    problems: dict[str, Problem],
    step_format: str,
    *,
    path: str | os.PathLike | None = None,
) -> list[Candidate]:
    """Candidates from ``(line, sample record)`` pairs (as :func:`stepwise.io.iter_jsonl` yields them).

    ``problems`` maps problem ids to problems (prompt, golden answer). Samples
    without any step (an empty text) have nothing to label and are left out.
    """
    candidates = []
    for line, record in samples:
        problem_id = require_field(record, "problem_id", str, path=path, line=line)
        sample_id = require_field(record, "sample_id", int, path=path, line=line)
        text = require_field(record, "text", str, path=path, line=line)
        correct = require_field(record, "correct", bool, path=path, line=line)
        if problem_id not in problems:
            raise DataError(f"sample of unknown problem {problem_id!r} (not in the problem set)", path, line)
        steps = split_steps(text, step_format)
        if steps:
            problem = problems[problem_id]
            candidates.append(
                Candidate(
                    problem_id,
                    sample_id,
                    problem.prompt,
                    problem.reference,
                    tuple(steps),
                    correct,
                    step_separator(step_format),
                )
            )
    return candidates
