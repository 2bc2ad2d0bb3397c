"""Held-out problems (MATH-500) to keep out of training data, matched on normalised text.

Two problem texts match when they are equal after Unicode NFKC normalisation,
removing every whitespace character and case-folding. Spacing and line breaks
differ between copies of MATH (and do not change a LaTeX formula); case rarely
differs, and two MATH problems that differ only in case or spacing would be the
same problem. A false match costs one training record; a missed one leaks a test
problem into training, so the match errs on the loose side.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable

_WHITESPACE = re.compile(r"\s+")


def problem_key(text: str) -> str:
    """The normalised form two problem texts are compared in."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


class HeldOutProblems:
    """A set of problem texts that answers ``text in held_out`` by normalised text."""

    def __init__(self, problems: Iterable[str]):
        self._keys = frozenset(problem_key(problem) for problem in problems)

    @classmethod
    def from_math(cls, path: str | os.PathLike) -> HeldOutProblems:
        """The problems of a MATH-format JSONL file (e.g. MATH-500)."""
        from stepwise.data.math import load_math

        return cls(problem.problem for problem in load_math(path))

    def __contains__(self, problem: str) -> bool:
        return problem_key(problem) in self._keys

    def __len__(self) -> int:
        return len(self._keys)
