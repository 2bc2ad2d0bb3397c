"""Step-level metrics of a process reward model: how well it tells correct steps from wrong ones.

Inputs are, per solution, the PRM's P(step correct) for each step and the
steps' labels (True: correct), from held-out labelled data (PRM800K test
records scored by the PRM) or, on the demo, from sampled solutions whose steps
:func:`stepwise.demo.truth.judge_steps` judges. A step is *flagged* when its
score is below the threshold (0.5: the PRM thinks it more likely wrong).

* ``step_accuracy``: share of steps where "flagged" matches "labelled wrong";
* ``step_auroc``: the chance that a random correct step scores above a random
  wrong one, ties counting half (the Mann-Whitney rank statistic); NaN when
  one of the two kinds is missing;
* among solutions with a wrong step, where the first flagged step falls
  against the first wrong one: ``first_error_exact`` (the same step),
  ``first_error_early`` (an earlier, correct step is flagged first) and
  ``first_error_missed`` (nothing flagged up to the first wrong step); the
  three add up to 1;
* among all-correct solutions, ``all_correct_unflagged``: the share with no
  step flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from stepwise.data.stepwise_formats import StepwiseExample
from stepwise.formats.steps import split_steps
from stepwise.io import DataError, markdown_table


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve of ``scores`` for ``labels`` (True positive), from average ranks; NaN for one class."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    n_positive, n_negative = int(labels.sum()), int((~labels).sum())
    if n_positive == 0 or n_negative == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    u_statistic = ranks[labels].sum() - n_positive * (n_positive + 1) / 2
    return float(u_statistic / (n_positive * n_negative))


def _share(count: int, total: int) -> float:
    return count / total if total else math.nan


def _check_pairs(step_scores: Sequence[Sequence[float]], step_labels: Sequence[Sequence[bool]]) -> None:
    if len(step_scores) != len(step_labels):
        raise DataError(f"{len(step_scores)} solutions scored but {len(step_labels)} labelled")
    for index, (scores, labels) in enumerate(zip(step_scores, step_labels)):
        if len(scores) != len(labels) or not labels:
            raise DataError(f"solution {index}: {len(scores)} step scores for {len(labels)} labelled steps")
        if not all(isinstance(label, (bool, np.bool_)) for label in labels):
            raise DataError(f"solution {index}: step labels must be booleans, got {list(labels)!r}")
        if not all(isinstance(score, (int, float)) and 0.0 <= score <= 1.0 for score in scores):  # also rejects NaN
            raise DataError(f"solution {index}: step scores must be probabilities in [0, 1], got {list(scores)!r}")


def first_error(labels: Sequence[bool]) -> int | None:
    """Index of the first incorrect step, or None when all are correct."""
    return next((i for i, correct in enumerate(labels) if not correct), None)


def step_metrics(
    step_scores: Sequence[Sequence[float]], step_labels: Sequence[Sequence[bool]], threshold: float = 0.5
) -> dict[str, Any]:
    """The metrics of the module docstring for solutions given as per-step scores and labels."""
    _check_pairs(step_scores, step_labels)
    flat_scores = [score for scores in step_scores for score in scores]
    flat_labels = [bool(label) for labels in step_labels for label in labels]
    located = {"exact": 0, "early": 0, "missed": 0}
    n_all_correct = n_unflagged = 0
    for scores, labels in zip(step_scores, step_labels):
        first_wrong = first_error(labels)
        first_flag = first_error([score >= threshold for score in scores])
        if first_wrong is None:
            n_all_correct += 1
            n_unflagged += first_flag is None
        elif first_flag == first_wrong:
            located["exact"] += 1
        elif first_flag is not None and first_flag < first_wrong:
            located["early"] += 1
        else:
            located["missed"] += 1
    n_with_error = len(step_labels) - n_all_correct
    correct_predictions = sum((score >= threshold) == label for score, label in zip(flat_scores, flat_labels))
    return {
        "threshold": threshold,
        "n_solutions": len(step_labels),
        "n_steps": len(flat_labels),
        "n_correct_steps": sum(flat_labels),
        "step_accuracy": _share(correct_predictions, len(flat_labels)),
        "step_auroc": auroc(flat_scores, flat_labels),
        "n_with_error": n_with_error,
        **{f"first_error_{kind}": _share(count, n_with_error) for kind, count in located.items()},
        "n_all_correct": n_all_correct,
        "all_correct_unflagged": _share(n_unflagged, n_all_correct),
    }


def metrics_markdown(metrics: dict[str, Any], title: str) -> str:
    """A two-column Markdown table of the metrics (shares as percentages)."""

    def shown(name: str, value: Any) -> str:
        if isinstance(value, float) and name != "threshold":
            return "n/a" if math.isnan(value) else f"{100 * value:.1f}%"
        return str(value)

    table = pd.DataFrame({"metric": list(metrics), "value": [shown(*item) for item in metrics.items()]})
    return f"## {title}\n\n" + markdown_table(table)


def json_ready(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics with NaN as None (null in JSON)."""
    return {name: None if isinstance(value, float) and math.isnan(value) else value for name, value in metrics.items()}


# ---------------------------------------------------------------- pairing scores with labels


def labelled_example_steps(
    examples: Iterable[StepwiseExample], column: str
) -> tuple[list[list[float]], list[list[bool]]]:
    """Step scores (the ``column`` extra) and labels of scored step-labelled examples (hard labels)."""
    all_scores, all_labels = [], []
    for index, example in enumerate(examples):
        if column not in example.extra:
            raise DataError(f"example {index}: no step scores {column!r}")
        if example.is_soft:
            raise DataError(f"example {index}: step metrics need hard labels; harden() soft labels first")
        all_scores.append(example.extra[column])
        all_labels.append(list(example.labels))
    return all_scores, all_labels


def sample_steps(
    samples: Iterable[dict[str, Any]], column: str, step_format: str
) -> tuple[list[dict[str, Any]], list[list[float]], int]:
    """The steps and step scores of scored samples, and how many samples were skipped.

    Each sample's text is split with :func:`stepwise.formats.steps.split_steps` (as the
    PRM scorer splits it); samples without any step (an empty text) have
    nothing to judge and are skipped. Returns ``{"problem_id", "sample_id",
    "steps"}`` per kept sample (what a provider of true labels judges, e.g.
    :func:`stepwise.demo.truth.true_step_labels`), their step scores, and the
    number skipped.
    """
    solutions, all_scores, skipped = [], [], 0
    for index, sample in enumerate(samples):
        where = f"sample {index} (problem_id={sample.get('problem_id')!r}, sample_id={sample.get('sample_id')!r})"
        for key in ("problem_id", "text", column):
            if key not in sample:
                raise DataError(f"{where}: no {key!r}")
        steps = split_steps(sample["text"], step_format)
        if not steps:
            skipped += 1
            continue
        scores = sample[column]
        if not isinstance(scores, list) or len(scores) != len(steps):
            raise DataError(f"{where}: {len(steps)} steps but step scores {scores!r}")
        solutions.append({"problem_id": sample["problem_id"], "sample_id": sample.get("sample_id"), "steps": steps})
        all_scores.append(scores)
    return solutions, all_scores, skipped
