"""Closed-form best-of-N and pass@N over uniform random N-subsets.

Setting: a problem has M samples; an N-subset S is drawn uniformly among the
C(M, N) subsets. Best-of-N answers with the highest-scoring sample of S, ties
broken uniformly at random among the tied members present in S.

Derivation of P(sample j is selected). Let v be j's score, a the number of
samples scoring strictly below v and t the size of j's tie group (samples
scoring exactly v, j included). The maximum of S equals v exactly when S lies
within the a + t samples scoring <= v but not within the a scoring < v:

    P(max S = v) = [C(a + t, N) - C(a, N)] / C(M, N).

Given that event, swapping two members of the tie group maps the subsets of the
event onto themselves one to one, so all t members are equally likely to be the
one selected, and

    P(j selected) = [C(a + t, N) - C(a, N)] / (t * C(M, N)).

Without ties (t = 1) Pascal's rule turns this into C(rank_j - 1, N - 1) / C(M, N)
with rank_j = a + 1, the textbook rank-statistics formula. The expected accuracy
is the sum of P(j selected) over the correct samples; pass@N, the chance that S
holds at least one of the c correct samples, is 1 - C(M - c, N) / C(M, N).

Binomials are evaluated in log space from a table of log-factorials, so M in
the thousands poses no overflow; every ratio C(x, N) / C(M, N) lies in [0, 1]
and is accurate to about 1e-12 at M = 2000.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=16)
def _log_factorials(m: int) -> np.ndarray:
    table = np.array([math.lgamma(i + 1.0) for i in range(m + 1)])
    table.setflags(write=False)
    return table


def _binomial_ratio(x: np.ndarray, n: np.ndarray, log_fact: np.ndarray) -> np.ndarray:
    """C(x, n) / C(m, n) elementwise (broadcast), 0 where x < n; m = len(log_fact) - 1 >= x, n."""
    m = len(log_fact) - 1
    valid = x >= n
    x_safe = np.where(valid, x, n)
    # log C(x, n) - log C(m, n); the log n! terms cancel.
    log_ratio = log_fact[x_safe] - log_fact[x_safe - n] - log_fact[m] + log_fact[m - n]
    return np.where(valid, np.exp(np.minimum(log_ratio, 0.0)), 0.0)


def _subset_sizes(ns: np.ndarray, m: int) -> np.ndarray:
    n = np.asarray(ns, dtype=np.int64)
    if n.ndim != 1 or n.size == 0 or n.min() < 1 or n.max() > m:
        raise ValueError(f"subset sizes must be a non-empty list within 1..{m}, got {ns!r}")
    return n


def _tie_group_wins(scores: np.ndarray, ns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(max of the N-subset falls in tie group g), for each N (rows) and group g (columns,
    ascending score), with each sample's group index and the group sizes."""
    scores = np.asarray(scores, dtype=float)
    m = scores.size
    n = _subset_sizes(ns, m)[:, None]
    _, group_of_sample, group_size = np.unique(scores, return_inverse=True, return_counts=True)
    at_or_below = np.cumsum(group_size)  # a + t for each group; a is the previous group's a + t
    within = _binomial_ratio(at_or_below[None, :], n, _log_factorials(m))  # P(max <= group's score)
    return np.diff(within, axis=1, prepend=0.0), group_of_sample, group_size


def best_of_n_selection_probabilities(scores: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """P(sample j is best-of-N's pick) for each N in ``ns`` (rows) and sample j (columns).

    Ties are broken uniformly at random; see the module docstring for the derivation.
    """
    group_wins, group_of_sample, group_size = _tie_group_wins(scores, ns)
    return group_wins[:, group_of_sample] / group_size[group_of_sample]


def expected_best_of_n(scores: np.ndarray, correct: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """Exact probability, for each N in ``ns``, that best-of-N by ``scores`` picks a correct sample."""
    group_wins, group_of_sample, group_size = _tie_group_wins(scores, ns)
    correct_share = (
        np.bincount(group_of_sample, weights=np.asarray(correct, dtype=float), minlength=group_size.size) / group_size
    )
    return group_wins @ correct_share


def expected_pass_at_n(correct: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """Exact pass@N for each N in ``ns``: 1 - C(M - c, N) / C(M, N) with c correct of M samples."""
    correct = np.asarray(correct, dtype=bool)
    m = correct.size
    return 1.0 - _binomial_ratio(m - int(correct.sum()), _subset_sizes(ns, m), _log_factorials(m))
