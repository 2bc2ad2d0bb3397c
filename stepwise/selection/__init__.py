"""Selecting one answer from N samples, and accuracy-versus-N curves.

Methods (by name, see :data:`METHODS`): ``greedy``, ``pass_at_n`` (oracle),
``best_of_n`` (by a score column), ``majority``, ``weighted_majority`` and
``top_k_vote``. PRM step scores become solution scores with
:func:`add_solution_scores` (``prod``, ``min``, ``last``, ``mean``).
"""

from stepwise.selection.aggregate import (
    STEP_AGGREGATIONS,
    add_solution_scores,
    aggregate_last,
    aggregate_mean,
    aggregate_min,
    aggregate_prod,
    aggregate_steps,
    get_aggregation,
)
from stepwise.selection.curves import accuracy_curves, n_values, selections_at_max_n
from stepwise.selection.exact import (
    best_of_n_selection_probabilities,
    expected_best_of_n,
    expected_pass_at_n,
)
from stepwise.selection.methods import METHODS, MethodSpec
from stepwise.selection.table import fill_answer_groups, pairwise_grouper, problems_from_table

__all__ = [
    "METHODS",
    "STEP_AGGREGATIONS",
    "MethodSpec",
    "accuracy_curves",
    "add_solution_scores",
    "aggregate_last",
    "aggregate_mean",
    "aggregate_min",
    "aggregate_prod",
    "aggregate_steps",
    "best_of_n_selection_probabilities",
    "expected_best_of_n",
    "expected_pass_at_n",
    "fill_answer_groups",
    "pairwise_grouper",
    "get_aggregation",
    "n_values",
    "problems_from_table",
    "selections_at_max_n",
]
