"""PRM step aggregation: turn per-step probabilities into one solution score.

Lightman et al. score a solution by the product of P(step correct); Math-Shepherd
uses the minimum; the last step's score and the mean are common alternatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from stepwise.io import DataError
from stepwise.selection.table import require_columns, show

StepAggregation = Callable[[np.ndarray], float]


def aggregate_prod(steps: np.ndarray) -> float:
    """Product of step probabilities: P(every step correct) if steps were independent."""
    return float(np.prod(steps))


def aggregate_min(steps: np.ndarray) -> float:
    """The weakest step's probability (Math-Shepherd's choice)."""
    return float(np.min(steps))


def aggregate_last(steps: np.ndarray) -> float:
    """The last step's probability."""
    return float(steps[-1])


def aggregate_mean(steps: np.ndarray) -> float:
    """Mean of step probabilities."""
    return float(np.mean(steps))


STEP_AGGREGATIONS: dict[str, StepAggregation] = {
    "prod": aggregate_prod,
    "min": aggregate_min,
    "last": aggregate_last,
    "mean": aggregate_mean,
}


def get_aggregation(name: str) -> StepAggregation:
    """Look up a step aggregation by name (``prod``, ``min``, ``last``, ``mean``)."""
    try:
        return STEP_AGGREGATIONS[name]
    except KeyError:
        raise DataError(f"unknown step aggregation {name!r}; known: {sorted(STEP_AGGREGATIONS)}") from None


def _step_array(steps: object, where: str) -> np.ndarray:
    if isinstance(steps, (str, bytes)) or not isinstance(steps, (Sequence, np.ndarray)):
        raise DataError(f"step scores must be a list of probabilities, got {type(steps).__name__} at {where}")
    try:
        values = np.asarray(steps, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"step scores must be numbers, got {steps!r} at {where}") from None
    if values.ndim != 1 or values.size == 0:
        raise DataError(f"step scores must be a non-empty flat list, got {steps!r} at {where}")
    if not np.all((values >= 0.0) & (values <= 1.0)):  # also rejects NaN
        raise DataError(f"step scores must be probabilities in [0, 1], got {steps!r} at {where}")
    return values


def aggregate_steps(steps: Sequence[float], aggregation: str, where: str = "step scores") -> float:
    """Aggregate one solution's step probabilities with the named aggregation."""
    return get_aggregation(aggregation)(_step_array(steps, where))


def add_solution_scores(
    samples: pd.DataFrame,
    step_column: str,
    aggregation: str,
    out_column: str | None = None,
) -> pd.DataFrame:
    """Return a copy of ``samples`` with a solution-score column aggregated from ``step_column``.

    The new column is ``out_column``, by default ``f"{step_column}_{aggregation}"``.
    Bad step lists raise :class:`DataError` naming the problem and sample.
    """
    require_columns(samples, ["problem_id", "sample_id", step_column])
    function = get_aggregation(aggregation)
    scores = [
        function(_step_array(steps, f"column {step_column!r}, problem_id={show(pid)}, sample_id={show(sid)}"))
        for steps, pid, sid in zip(samples[step_column], samples["problem_id"], samples["sample_id"])
    ]
    return samples.assign(**{out_column or f"{step_column}_{aggregation}": np.asarray(scores, dtype=float)})
