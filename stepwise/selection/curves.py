"""Accuracy as a function of N, and per-problem selections for inspection.

For each method and N, accuracy is the expectation, over a uniformly random
N-subset of each problem's samples, of "the selected sample is correct",
averaged over problems. Greedy, pass@N and best-of-N use the closed forms of
:mod:`stepwise.selection.exact`; the votes are estimated by seeded Monte Carlo.

``std`` has one meaning for every method: the standard deviation, over random
draws of one N-subset per problem, of the accuracy of a single draw. Monte Carlo
methods report the sample std over their trials (the PRM800K-style error bar);
exact methods report its exact value sqrt(sum_p q_p (1 - q_p)) / P, where q_p is
problem p's success probability, since problems draw independently (0 for
greedy). The error of the Monte Carlo mean itself is std / sqrt(trials).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from stepwise.io import DataError
from stepwise.selection.methods import MethodSpec
from stepwise.selection.table import ProblemSamples, problems_from_table, show

CURVE_COLUMNS = ["method", "n", "accuracy", "std"]
SELECTION_COLUMNS = ["problem_id", "method", "sample_id", "answer", "correct"]


def n_values(max_n: int) -> list[int]:
    """1, 2, 4, ... up to ``max_n``, plus ``max_n`` itself when it is not a power of two."""
    if isinstance(max_n, bool) or not isinstance(max_n, numbers.Integral) or max_n < 1:
        raise ValueError(f"max_n must be an integer >= 1, got {max_n!r}")
    ns = [1 << i for i in range(int(max_n).bit_length())]
    return ns if ns[-1] == max_n else [*ns, int(max_n)]


def _check_specs(methods: Iterable[MethodSpec]) -> list[MethodSpec]:
    specs = list(methods)
    if not specs:
        raise DataError("no selection methods given")
    labels = [spec.label for spec in specs]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise DataError(f"duplicate method labels {duplicates}; give each spec its own label")
    return specs


def _load(samples: pd.DataFrame, specs: list[MethodSpec], need_answers: bool = False) -> list[ProblemSamples]:
    return problems_from_table(
        samples,
        score_columns=[spec.score for spec in specs if spec.score],
        need_groups=any(spec.kind.needs_groups for spec in specs),
        need_answers=need_answers,
    )


def _check_ns(ns: Sequence[int] | None, problems: list[ProblemSamples]) -> np.ndarray:
    smallest = min(problems, key=lambda problem: problem.size)
    if ns is None:
        return np.array(n_values(smallest.size), dtype=np.int64)
    values = list(ns)
    if not values or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in values):
        raise DataError(f"ns must be a non-empty list of integers >= 1, got {values!r}")
    if max(values) > smallest.size:
        raise DataError(
            f"N={max(values)} exceeds the {smallest.size} samples of problem_id={show(smallest.problem_id)}"
        )
    return np.array(values, dtype=np.int64)


def _successes(
    problem: ProblemSamples, spec: MethodSpec, subsets: np.ndarray, priority: np.ndarray | None
) -> np.ndarray:
    selected = spec.kind.select(problem, subsets, priority, score=spec.score, k=spec.k)
    return (selected >= 0) & problem.correct[selected]


def _simulate_trials(
    problems: list[ProblemSamples], specs: list[MethodSpec], ns: np.ndarray, trials: int, seed: int
) -> np.ndarray:
    """Accuracy of each Monte Carlo trial: array (len(specs), len(ns), trials).

    Each problem draws ``trials`` random permutations of its samples from a
    generator seeded by (seed, problem index); the first N entries of a
    permutation are a uniform N-subset, so one draw serves every N and every
    method (common random numbers make methods and Ns directly comparable).
    """
    hits = np.zeros((len(specs), len(ns), trials), dtype=np.int64)
    needs_priority = any(spec.kind.needs_groups for spec in specs)
    for index, problem in enumerate(problems):
        rng = np.random.default_rng([seed, index])
        orders = rng.permuted(np.tile(np.arange(problem.size), (trials, 1)), axis=1)
        priority = rng.random((trials, problem.n_groups)) if needs_priority else None
        for j, n in enumerate(ns):
            for i, spec in enumerate(specs):
                hits[i, j] += _successes(problem, spec, orders[:, :n], priority)
    return hits / len(problems)


def _exact_curve(problems: list[ProblemSamples], spec: MethodSpec, ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    success = np.array([spec.kind.exact(problem, ns, spec) for problem in problems])  # (problems, ns)
    spread = np.sqrt(np.clip(success * (1.0 - success), 0.0, None).sum(axis=0)) / len(problems)
    return success.mean(axis=0), spread


def accuracy_curves(
    samples: pd.DataFrame,
    methods: Iterable[MethodSpec],
    ns: Sequence[int] | None = None,
    trials: int = 400,
    seed: int = 0,
    exact: bool = True,
) -> pd.DataFrame:
    """Accuracy versus N for each method: a long table with columns ``method, n, accuracy, std``.

    ``ns`` defaults to :func:`n_values` of the smallest problem's sample count.
    With ``exact=False`` every method, best-of-N included, is estimated by Monte
    Carlo (for checking the closed forms). See the module docstring for ``std``.
    """
    specs = _check_specs(methods)
    if isinstance(trials, bool) or not isinstance(trials, numbers.Integral) or trials < 1:
        raise DataError(f"trials must be an integer >= 1, got {trials!r}")
    problems = _load(samples, specs)
    n_array = _check_ns(ns, problems)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    simulated = [spec for spec in specs if not (exact and spec.kind.exact)]
    if simulated:
        per_trial = _simulate_trials(problems, simulated, n_array, int(trials), seed)
        for spec, accuracy in zip(simulated, per_trial):
            spread = accuracy.std(axis=1, ddof=1) if trials > 1 else np.zeros(len(n_array))
            curves[spec.label] = (accuracy.mean(axis=1), spread)
    rows = []
    for spec in specs:
        mean, spread = curves[spec.label] if spec.label in curves else _exact_curve(problems, spec, n_array)
        rows += [(spec.label, int(n), float(m), float(s)) for n, m, s in zip(n_array, mean, spread)]
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def selections_at_max_n(samples: pd.DataFrame, methods: Iterable[MethodSpec], seed: int = 0) -> pd.DataFrame:
    """What each method selects from all of each problem's samples, for inspection.

    Columns ``problem_id, method, sample_id, answer, correct``; ``sample_id`` is
    <NA> when nothing is selected (a vote where no sample has an answer, or
    pass@N without a correct sample). Ties are broken at random with a generator
    seeded by (seed, problem index), as in :func:`accuracy_curves`.
    """
    specs = _check_specs(methods)
    rows = []
    for index, problem in enumerate(_load(samples, specs, need_answers=True)):
        rng = np.random.default_rng([seed, index])
        order = rng.permutation(problem.size)[None, :]
        priority = rng.random((1, problem.n_groups))
        for spec in specs:
            selected = int(spec.kind.select(problem, order, priority, score=spec.score, k=spec.k)[0])
            found = selected >= 0
            rows.append(
                (
                    problem.problem_id,
                    spec.label,
                    int(problem.sample_ids[selected]) if found else pd.NA,
                    problem.answers[selected] if found else None,
                    bool(found and problem.correct[selected]),
                )
            )
    table = pd.DataFrame(rows, columns=SELECTION_COLUMNS)
    return table.astype({"sample_id": "Int64"})
