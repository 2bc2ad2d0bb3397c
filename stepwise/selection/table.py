"""Sample tables for selection: validation, answer groups and per-problem arrays.

A sample table is a pandas DataFrame with one row per sampled solution:

- ``problem_id``: any hashable id;
- ``sample_id``: int, unique within a problem; sample order (the smallest id is
  the "first" sample, used as the greedy answer when there is no ``greedy`` column);
- ``correct``: bool;
- ``answer``: str, or None/NaN when the sample reached no answer;
- ``answer_group`` (needed by the voting methods): int cluster id of equivalent
  answers within a problem, NaN/None for samples without an answer
  (:func:`fill_answer_groups` fills it);
- ``greedy`` (optional): bool, exactly one True per problem;
- score columns: float, higher is better.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stepwise.io import DataError

AnswerEquivalence = Callable[[str, str], bool]
AnswerGrouper = Callable[[Sequence[Sequence[str | None]]], list[list[int | None]]]


@dataclass(frozen=True)
class ProblemSamples:
    """One problem's samples as numpy arrays, in ``sample_id`` order.

    ``groups[j]`` is a dense answer-group index in ``0..n_groups-1``, or -1 when
    sample ``j`` has no answer; it is None when the table has no ``answer_group``.
    """

    problem_id: Any
    sample_ids: np.ndarray
    correct: np.ndarray
    scores: dict[str, np.ndarray]
    greedy_index: int
    groups: np.ndarray | None = None
    n_groups: int = 0
    answers: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of samples of this problem."""
        return len(self.sample_ids)


def show(value: Any) -> str:
    """repr of a cell value, numpy scalars shown as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _where(row: pd.Series) -> str:
    return f"problem_id={show(row['problem_id'])}, sample_id={show(row['sample_id'])}"


def require_columns(samples: pd.DataFrame, columns: Iterable[str], why: str = "") -> None:
    """Raise :class:`DataError` naming the first of ``columns`` missing from ``samples``."""
    for column in columns:
        if column not in samples.columns:
            hint = f" ({why})" if why else ""
            raise DataError(f"sample table has no column {column!r}{hint}; columns: {list(samples.columns)}")


def _check_ids(samples: pd.DataFrame) -> None:
    if samples.empty:
        raise DataError("sample table is empty")
    if samples["problem_id"].isna().any():
        raise DataError(f"missing problem_id in row {samples.index[samples['problem_id'].isna()][0]!r}")
    if not pd.api.types.is_integer_dtype(samples["sample_id"]):
        raise DataError(f"column 'sample_id' must hold integers, got dtype {samples['sample_id'].dtype}")
    duplicated = samples.duplicated(["problem_id", "sample_id"])
    if duplicated.any():
        raise DataError(f"duplicate sample: {_where(samples[duplicated].iloc[0])}")


def _check_boolean(samples: pd.DataFrame, column: str) -> None:
    bad = samples[column].isna() | ~samples[column].isin([True, False])
    if bad.any():
        row = samples[bad].iloc[0]
        raise DataError(f"column {column!r} must be True/False, got {show(row[column])} at {_where(row)}")


def _check_scores(samples: pd.DataFrame, column: str) -> None:
    values = pd.to_numeric(samples[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        row = samples[bad].iloc[0]
        raise DataError(f"score column {column!r} needs a finite number, got {show(row[column])} at {_where(row)}")


def _group_values(samples: pd.DataFrame) -> np.ndarray:
    """``answer_group`` as floats (NaN: no answer), checked to be whole numbers."""
    column = samples["answer_group"]
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = (np.isnan(values) & column.notna().to_numpy()) | (np.isfinite(values) & (values != np.round(values)))
    if bad.any():
        row = samples[bad].iloc[0]
        raise DataError(f"answer_group must be an integer or empty, got {show(row['answer_group'])} at {_where(row)}")
    unanswered_correct = np.isnan(values) & samples["correct"].to_numpy(dtype=bool)
    if unanswered_correct.any():
        row = samples[unanswered_correct].iloc[0]
        raise DataError(f"sample marked correct but has no answer_group (no answer) at {_where(row)}")
    return values


def problems_from_table(
    samples: pd.DataFrame,
    score_columns: Iterable[str] = (),
    need_groups: bool = False,
    need_answers: bool = False,
) -> list[ProblemSamples]:
    """Validate a sample table and split it into per-problem arrays.

    Problems keep their order of first appearance; samples are sorted by
    ``sample_id``. Raises :class:`DataError` naming the column and the
    ``problem_id``/``sample_id`` of the first bad value.
    """
    score_columns = list(dict.fromkeys(score_columns))
    require_columns(samples, ["problem_id", "sample_id", "correct", *score_columns])
    if need_groups:
        require_columns(samples, ["answer_group"], "needed for voting; fill it with fill_answer_groups")
    if need_answers:
        require_columns(samples, ["answer"])
    _check_ids(samples)
    _check_boolean(samples, "correct")
    if "greedy" in samples.columns:
        _check_boolean(samples, "greedy")
    for column in score_columns:
        _check_scores(samples, column)
    codes, problem_ids = pd.factorize(samples["problem_id"])  # first-appearance order
    order = np.lexsort((samples["sample_id"].to_numpy(), codes))
    bounds = np.searchsorted(codes[order], np.arange(len(problem_ids) + 1))
    columns = {
        "sample_ids": samples["sample_id"].to_numpy(dtype=np.int64)[order],
        "correct": samples["correct"].to_numpy(dtype=bool)[order],
        "scores": {c: pd.to_numeric(samples[c]).to_numpy(dtype=float)[order] for c in score_columns},
        "groups": _group_values(samples)[order] if need_groups else None,
        "greedy": samples["greedy"].to_numpy(dtype=bool)[order] if "greedy" in samples.columns else None,
        "answers": _answer_values(samples)[order] if need_answers else None,
    }
    return [
        _problem_arrays(problem_id, slice(bounds[i], bounds[i + 1]), columns)
        for i, problem_id in enumerate(problem_ids)
    ]


def _answer_values(samples: pd.DataFrame) -> np.ndarray:
    return np.array([None if pd.isna(a) else a for a in samples["answer"]], dtype=object)


def _greedy_index(flags: np.ndarray | None, problem_id: Any) -> int:
    if flags is None:
        return 0  # samples are in sample_id order: the first one stands in for greedy
    if flags.sum() != 1:
        raise DataError(
            f"problem_id={show(problem_id)}: column 'greedy' must be True on exactly one sample, "
            f"found {int(flags.sum())}"
        )
    return int(np.flatnonzero(flags)[0])


def _problem_arrays(problem_id: Any, rows: slice, columns: dict[str, Any]) -> ProblemSamples:
    groups, n_groups = None, 0
    if columns["groups"] is not None:
        codes, uniques = pd.factorize(columns["groups"][rows])  # NaN becomes -1
        groups, n_groups = codes.astype(np.int64), len(uniques)
    return ProblemSamples(
        problem_id=problem_id.item() if isinstance(problem_id, np.generic) else problem_id,
        sample_ids=columns["sample_ids"][rows],
        correct=columns["correct"][rows],
        scores={c: values[rows] for c, values in columns["scores"].items()},
        greedy_index=_greedy_index(None if columns["greedy"] is None else columns["greedy"][rows], problem_id),
        groups=groups,
        n_groups=n_groups,
        answers=None if columns["answers"] is None else columns["answers"][rows],
    )


def fill_answer_groups(
    samples: pd.DataFrame,
    group: AnswerGrouper | None = None,
    column: str = "answer_group",
) -> pd.DataFrame:
    """Return a copy of ``samples`` with ``column`` holding answer-group ids per problem.

    ``group`` takes every problem's answers in ``sample_id`` order (None for a
    missing one) and returns their group ids; one call for all problems, so
    that a grouper can read each distinct answer once
    (:meth:`stepwise.answers.AnswerChecker.group_many`, or
    :func:`pairwise_grouper`). Without it, answers are grouped by exact string
    equality. Samples without an answer (None/NaN) get <NA>.
    """
    require_columns(samples, ["problem_id", "sample_id", "answer"])
    problems = []
    for problem_id, rows in samples.sort_values("sample_id", kind="stable").groupby("problem_id", sort=False):
        for index, answer in rows["answer"].items():
            if not pd.isna(answer) and not isinstance(answer, str):
                raise DataError(
                    f"answer must be a string or None, got {show(answer)} at "
                    f"problem_id={show(problem_id)}, sample_id={show(rows.at[index, 'sample_id'])}"
                )
        problems.append((rows.index, [None if pd.isna(answer) else answer for answer in rows["answer"]]))
    ids = (group or pairwise_grouper(None))([answers for _, answers in problems])
    groups = pd.Series(pd.NA, index=samples.index, dtype="Int64")
    for (index, _), problem_ids in zip(problems, ids, strict=True):
        groups.loc[index] = pd.array(problem_ids, dtype="Int64")
    return samples.assign(**{column: groups})


def pairwise_grouper(equivalent: AnswerEquivalence | None) -> AnswerGrouper:
    """The grouping rule, one pair at a time: each answer joins the first group whose representative
    (its first member) it is ``equivalent`` to, else founds the next group; identical strings share a
    group without a call. Without ``equivalent``, exact string equality."""

    def group(problems: Sequence[Sequence[str | None]]) -> list[list[int | None]]:
        result = []
        for answers in problems:
            representatives: list[str] = []
            group_of: dict[str, int] = {}
            for answer in answers:
                if answer is not None and answer not in group_of:
                    group_of[answer] = _join_group(answer, representatives, equivalent)
            result.append([None if answer is None else group_of[answer] for answer in answers])
        return result

    return group


def _join_group(answer: str, representatives: list[str], equivalent: AnswerEquivalence | None) -> int:
    if equivalent is not None:
        for group, representative in enumerate(representatives):
            if equivalent(answer, representative):
                return group
    representatives.append(answer)
    return len(representatives) - 1
