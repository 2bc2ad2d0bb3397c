"""Selection methods by name, and the spec that picks one from config."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from stepwise.io import DataError
from stepwise.selection import selectors
from stepwise.selection.exact import expected_best_of_n, expected_pass_at_n
from stepwise.selection.table import ProblemSamples

Selector = Callable[..., np.ndarray]
ExactCurve = Callable[[ProblemSamples, np.ndarray, "MethodSpec"], np.ndarray]


def exact_greedy(problem: ProblemSamples, ns: np.ndarray, spec: MethodSpec) -> np.ndarray:
    """The greedy sample's correctness, the same for every N."""
    return np.full(len(ns), float(problem.correct[problem.greedy_index]))


def exact_pass_at_n(problem: ProblemSamples, ns: np.ndarray, spec: MethodSpec) -> np.ndarray:
    """Exact pass@N per N (see :mod:`stepwise.selection.exact`)."""
    return expected_pass_at_n(problem.correct, ns)


def exact_best_of_n(problem: ProblemSamples, ns: np.ndarray, spec: MethodSpec) -> np.ndarray:
    """Exact best-of-N accuracy per N by the spec's score column."""
    return expected_best_of_n(problem.scores[spec.score], problem.correct, ns)


@dataclass(frozen=True)
class MethodKind:
    """How a method selects (per trial) and, if it has one, its closed form."""

    select: Selector
    exact: ExactCurve | None
    needs_score: bool
    needs_groups: bool
    needs_k: bool = False


METHODS: dict[str, MethodKind] = {
    "greedy": MethodKind(selectors.select_greedy, exact_greedy, needs_score=False, needs_groups=False),
    "pass_at_n": MethodKind(selectors.select_pass_at_n, exact_pass_at_n, needs_score=False, needs_groups=False),
    "best_of_n": MethodKind(selectors.select_best_of_n, exact_best_of_n, needs_score=True, needs_groups=False),
    "majority": MethodKind(selectors.select_majority, None, needs_score=False, needs_groups=True),
    "weighted_majority": MethodKind(selectors.select_weighted_majority, None, needs_score=True, needs_groups=True),
    "top_k_vote": MethodKind(selectors.select_top_k_vote, None, needs_score=True, needs_groups=True, needs_k=True),
}


@dataclass(frozen=True)
class MethodSpec:
    """One selection method to evaluate: registry name, score column, k, output label.

    ``label`` defaults to ``method``, ``method:score``, or ``top_{k}_vote:score``.
    """

    method: str
    score: str | None = None
    k: int | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise DataError(f"unknown selection method {self.method!r}; known: {sorted(METHODS)}")
        kind = self.kind
        if kind.needs_score != bool(self.score):
            need = "needs a score column" if kind.needs_score else "takes no score column"
            raise DataError(f"method {self.method!r} {need} (got score={self.score!r})")
        if kind.needs_k:
            if isinstance(self.k, bool) or not isinstance(self.k, numbers.Integral) or self.k < 1:
                raise DataError(f"method {self.method!r} needs an integer k >= 1 (got k={self.k!r})")
        elif self.k is not None:
            raise DataError(f"method {self.method!r} takes no k (got k={self.k!r})")
        if self.label is None:
            name = f"top_{self.k}_vote" if kind.needs_k else self.method
            object.__setattr__(self, "label", f"{name}:{self.score}" if self.score else name)

    @property
    def kind(self) -> MethodKind:
        """The registry entry for ``method``."""
        return METHODS[self.method]

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> MethodSpec:
        """Build a spec from a config mapping with keys ``method`` and optional ``score``, ``k``, ``label``."""
        if not isinstance(entry, Mapping):
            raise DataError(f"a selection method must be a mapping, got {entry!r}")
        unknown = sorted(set(entry) - {"method", "score", "k", "label"})
        if unknown:
            raise DataError(f"selection method {dict(entry)!r}: unknown key(s) {unknown}")
        if "method" not in entry:
            raise DataError(f"selection method {dict(entry)!r}: missing key 'method'")
        return cls(**entry)
