"""Per-trial selection rules, vectorised over many random subsets of one problem.

Every selector takes a problem's arrays and ``subsets``, an int array of shape
(trials, N) whose rows list sample positions in a uniformly random order, and
returns, per trial, the position of the selected sample or -1 when nothing is
selected (a vote with no answer in the pool), which counts as wrong.

Tie-breaking. Within a row the order of positions is uniformly random, so any
rule that breaks ties by position within the row (``argmax`` taking the first
maximum, ``argpartition`` choosing among equal scores) picks uniformly among
tied samples. Votes break ties between answer groups with ``priority``, an array
(trials, n_groups) of independent uniform random numbers: the tied group with
the highest priority wins, which is uniform among the tied groups.

Votes report a representative sample of the winning group: its member with the
lowest ``sample_id`` among the samples that voted. Samples without an answer are
in the pool and count toward N but never vote.
"""

from __future__ import annotations

import numpy as np

from stepwise.io import DataError
from stepwise.selection.table import ProblemSamples

NONE_SELECTED = -1


def select_greedy(
    problem: ProblemSamples,
    subsets: np.ndarray,
    priority: np.ndarray | None,
    score: str | None = None,
    k: int | None = None,
) -> np.ndarray:
    """The greedy (or first) sample, whatever the subset."""
    return np.full(subsets.shape[0], problem.greedy_index, dtype=np.int64)


def select_pass_at_n(
    problem: ProblemSamples,
    subsets: np.ndarray,
    priority: np.ndarray | None,
    score: str | None = None,
    k: int | None = None,
) -> np.ndarray:
    """Oracle: the lowest-id correct sample of the subset, if there is one."""
    first = np.where(problem.correct[subsets], subsets, problem.size).min(axis=1)
    return np.where(first < problem.size, first, NONE_SELECTED)


def select_best_of_n(
    problem: ProblemSamples,
    subsets: np.ndarray,
    priority: np.ndarray | None,
    score: str | None = None,
    k: int | None = None,
) -> np.ndarray:
    """The highest-scoring sample of the subset (ties: uniform, by random position)."""
    best = problem.scores[score][subsets].argmax(axis=1)
    return np.take_along_axis(subsets, best[:, None], axis=1)[:, 0]


def vote(
    problem: ProblemSamples, voters: np.ndarray, priority: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Answer-group vote among ``voters`` (trials, K): the group with the most votes
    (or the largest sum of ``weights``) wins; returns its representative sample."""
    if problem.groups is None:
        raise DataError("voting needs the answer_group column")
    trials, n_groups = voters.shape[0], problem.n_groups
    if n_groups == 0:
        return np.full(trials, NONE_SELECTED, dtype=np.int64)
    groups = problem.groups[voters]
    answered = groups >= 0
    cells = (np.arange(trials)[:, None] * n_groups + groups)[answered]
    counts = np.bincount(cells, minlength=trials * n_groups).reshape(trials, n_groups)
    totals = (
        counts
        if weights is None
        else np.bincount(cells, weights=weights[voters][answered], minlength=trials * n_groups).reshape(
            trials, n_groups
        )
    )
    present = counts > 0
    totals = np.where(present, totals, -np.inf)
    tied = present & (totals == totals.max(axis=1, keepdims=True))
    winner = np.where(tied, priority, -1.0).argmax(axis=1)
    members = groups == winner[:, None]
    representative = np.where(members, voters, problem.size).min(axis=1)
    return np.where(present.any(axis=1), representative, NONE_SELECTED)


def select_majority(
    problem: ProblemSamples,
    subsets: np.ndarray,
    priority: np.ndarray | None,
    score: str | None = None,
    k: int | None = None,
) -> np.ndarray:
    """Most frequent answer group of the subset."""
    return vote(problem, subsets, priority)


def select_weighted_majority(
    problem: ProblemSamples,
    subsets: np.ndarray,
    priority: np.ndarray | None,
    score: str | None = None,
    k: int | None = None,
) -> np.ndarray:
    """Answer group with the largest sum of scores in the subset (scores should be >= 0)."""
    return vote(problem, subsets, priority, weights=problem.scores[score])


def select_top_k_vote(
    problem: ProblemSamples,
    subsets: np.ndarray,
    priority: np.ndarray | None,
    score: str | None = None,
    k: int | None = None,
) -> np.ndarray:
    """Majority vote among the k highest-scoring samples of the subset (Cobbe et al.)."""
    if k < subsets.shape[1]:
        top = np.argpartition(-problem.scores[score][subsets], k - 1, axis=1)[:, :k]
        subsets = np.take_along_axis(subsets, top, axis=1)
    return vote(problem, subsets, priority)
