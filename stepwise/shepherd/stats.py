"""Statistics of Math-Shepherd labels, and their quality against the demo's ground truth.

Quality: each step's label against the truth (given: on the demo,
:func:`stepwise.demo.truth.true_step_labels`), with precision, recall and F1 for
both classes (``good``: the label says the step is right; ``bad``: it says the
step is wrong, the class a PRM must catch) and the share of agreeing labels;
None where a ratio is undefined (JSON null). The reference is the truth of the
prefix: a step is good when it and every step before it are right. That is
what a Math-Shepherd label estimates (whether the solution so far can still
reach the answer), and a step after an error cannot, however right it is on its
own. The hard labels against each step's own truth are reported too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def label_stats(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Steps labelled, positive rate overall and by step index (1-based), and the cost in completions and tokens."""
    steps_at, positive_at = Counter(), Counter()
    for record in records:
        for index, good in enumerate(record["hard_labels"], start=1):
            steps_at[index] += 1
            positive_at[index] += bool(good)
    n_steps = sum(steps_at.values())
    return {
        "strategies": sorted({record["strategy"] for record in records}),
        "n_solutions": len(records),
        "n_correct_solutions": sum(record["correct"] for record in records),
        "n_steps": n_steps,
        "positive_rate": sum(positive_at.values()) / n_steps if n_steps else None,
        "positive_rate_by_step": {str(i): positive_at[i] / steps_at[i] for i in sorted(steps_at)},
        "steps_by_index": {str(i): steps_at[i] for i in sorted(steps_at)},
        "completions": sum(record["completions"] for record in records),
        "reused_prefixes": sum(record["reused_prefixes"] for record in records),
        "tokens": sum(record["tokens"] for record in records),
    }


def classification_quality(predicted: Sequence[bool], truth: Sequence[bool]) -> dict[str, float | None]:
    """Precision, recall and F1 of ``good`` and ``bad`` predictions, and accuracy (None where undefined)."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} labels for {len(truth)} true values")
    quality: dict[str, float | None] = {"n_steps": len(truth)}
    for name, cls in (("good", True), ("bad", False)):
        hits = sum(p == cls and t == cls for p, t in zip(predicted, truth))
        n_predicted = sum(p == cls for p in predicted)
        n_true = sum(t == cls for t in truth)
        precision = hits / n_predicted if n_predicted else None
        recall = hits / n_true if n_true else None
        f1 = 2 * hits / (n_predicted + n_true) if n_predicted + n_true else None
        quality.update({f"precision_{name}": precision, f"recall_{name}": recall, f"f1_{name}": f1})
    quality["accuracy"] = sum(p == t for p, t in zip(predicted, truth)) / len(truth) if truth else None
    return quality


def label_quality(
    records: Sequence[dict[str, Any]], truths: Sequence[Sequence[bool]], soft_threshold: float = 0.5
) -> dict[str, dict[str, float | None]]:
    """Quality of the hard labels and of the soft labels thresholded at ``soft_threshold`` (good when above it)
    against the truth of each prefix, and of the hard labels against each step's own truth (``hard_local``)."""
    prefix_truth = [all(steps[: index + 1]) for steps in truths for index in range(len(steps))]
    step_truth = [bool(t) for steps in truths for t in steps]
    hard = [bool(label) for record in records for label in record["hard_labels"]]
    soft = [label > soft_threshold for record in records for label in record["soft_labels"]]
    return {
        "hard": classification_quality(hard, prefix_truth),
        "soft": classification_quality(soft, prefix_truth),
        "hard_local": classification_quality(hard, step_truth),
    }
