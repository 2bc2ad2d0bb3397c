"""ProcessBench's measure of a process reward model: does it find the earliest wrong step?

A scalar PRM predicts, for each solution, the first step whose score falls
below a threshold, or -1 when none does (:func:`first_error`). Over a subset,
``error_accuracy`` is the share of solutions with an error whose earliest wrong
step is predicted exactly, ``correct_accuracy`` the share of all-correct
solutions predicted -1, and ``f1`` their harmonic mean (Zheng et al., 2024).
The benchmark's authors pick a scalar PRM's threshold as the one that
maximises F1 on the GSM8K subset (:func:`best_threshold`); a fixed threshold
from the config is reported beside it. The benchmark's average is the plain
mean of the subsets' F1; the record-weighted mean is given beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from stepwise.data.processbench import NO_ERROR
from stepwise.evaluation.step_metrics import first_error as first_wrong_label
from stepwise.io import markdown_table


def first_error(step_scores: Sequence[float], threshold: float) -> int:
    """The index of the first step scored below ``threshold``, or -1 when none is."""
    return _or_no_error(first_wrong_label([score >= threshold for score in step_scores]))


def _or_no_error(index: int | None) -> int:
    return NO_ERROR if index is None else index


@dataclass(frozen=True)
class SubsetResult:
    """ProcessBench measures of one subset at one threshold (accuracies and F1 as fractions)."""

    n_error: int
    n_correct: int
    error_accuracy: float
    correct_accuracy: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def harmonic_mean(a: float, b: float) -> float:
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def subset_result(labels: Sequence[int], predictions: Sequence[int]) -> SubsetResult:
    """Accuracy on records with an error (exact earliest step), on records without (-1), and F1.

    A prediction is compared with the label as it is: one past the last step, or any other
    index, simply does not match. A subset without records of one kind has accuracy 0 there.
    """
    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    errors = [(label, pred) for label, pred in zip(labels, predictions) if label != NO_ERROR]
    corrects = [pred for label, pred in zip(labels, predictions) if label == NO_ERROR]
    error_accuracy = sum(label == pred for label, pred in errors) / len(errors) if errors else 0.0
    correct_accuracy = sum(pred == NO_ERROR for pred in corrects) / len(corrects) if corrects else 0.0
    return SubsetResult(
        len(errors), len(corrects), error_accuracy, correct_accuracy, harmonic_mean(error_accuracy, correct_accuracy)
    )


def evaluate_threshold(labels: Sequence[int], step_scores: Sequence[Sequence[float]], threshold: float) -> SubsetResult:
    """:func:`subset_result` of the first-error predictions at ``threshold``."""
    return subset_result(labels, [first_error(scores, threshold) for scores in step_scores])


def best_threshold(labels: Sequence[int], step_scores: Sequence[Sequence[float]]) -> float:
    """The threshold with the highest F1 on these records (the smallest such, among the midpoints
    between consecutive distinct step scores and the two ends).

    Vectorised over the candidates: a record's prediction at threshold t is the number of its
    running-minimum scores at or above t (-1 when that is all of its steps).
    """
    values = np.unique(np.concatenate([np.asarray(scores, dtype=float) for scores in step_scores]))
    candidates = np.concatenate([values[:1], (values[:-1] + values[1:]) / 2, values[-1:] + 1e-9])
    error_hits = np.zeros(len(candidates))
    correct_hits = np.zeros(len(candidates))
    for label, scores in zip(labels, step_scores, strict=True):
        running_min = np.sort(np.minimum.accumulate(np.asarray(scores, dtype=float)))
        at_or_above = len(running_min) - np.searchsorted(running_min, candidates, side="left")
        predictions = np.where(at_or_above == len(running_min), NO_ERROR, at_or_above)
        if label == NO_ERROR:
            correct_hits += predictions == NO_ERROR
        else:
            error_hits += predictions == label
    n_error = sum(label != NO_ERROR for label in labels)
    n_correct = len(labels) - n_error
    error_accuracy = error_hits / n_error if n_error else np.zeros(len(candidates))
    correct_accuracy = correct_hits / n_correct if n_correct else np.zeros(len(candidates))
    total = error_accuracy + correct_accuracy
    f1 = np.divide(2 * error_accuracy * correct_accuracy, total, out=np.zeros(len(candidates)), where=total > 0)
    return float(candidates[int(np.argmax(f1))])


def summary(results: Mapping[str, SubsetResult]) -> dict[str, float]:
    """The benchmark's average F1 (plain mean over subsets) and the record-weighted mean F1."""
    sizes = {name: r.n_error + r.n_correct for name, r in results.items()}
    return {
        "mean_f1": sum(r.f1 for r in results.values()) / len(results),
        "record_weighted_f1": sum(r.f1 * sizes[name] for name, r in results.items()) / sum(sizes.values()),
    }


# ---------------------------------------------------------------- the demo's set


def demo_records(task: str, samples: Sequence[Mapping], dataset, per_problem: int, step_format: str | None = None):
    """A ProcessBench-format set from a task's demo test samples: the first ``per_problem`` samples
    of each problem (the greedy one first when there is one), their steps as the PRMs split them
    (``step_format``, default the task's), and the earliest wrong step by the demo's ground truth
    (:func:`stepwise.demo.truth.true_step_labels`, in the task's notation)."""
    from stepwise.config.registry import get_task
    from stepwise.data.processbench import ProcessBenchRecord
    from stepwise.demo.truth import demo_programs, true_step_labels
    from stepwise.formats.steps import split_steps

    notation = get_task(task).step_format
    step_format = step_format or notation
    problem_texts = get_task(task).problem_texts(dataset)
    chosen: dict[str, list[Mapping]] = {}
    for sample in sorted(samples, key=lambda s: (not s.get("greedy", False), s["sample_id"])):
        kept = chosen.setdefault(sample["problem_id"], [])
        if len(kept) < per_problem and split_steps(sample["text"], step_format):
            kept.append(sample)
    solutions = [
        {
            "problem_id": s["problem_id"],
            "sample_id": s["sample_id"],
            "steps": split_steps(s["text"], step_format),
            "correct": s["correct"],
        }
        for group in chosen.values()
        for s in group
    ]
    truths = true_step_labels(solutions, demo_programs(task, dataset), notation)
    records = []
    for solution, truth in zip(solutions, truths, strict=True):
        text = problem_texts[solution["problem_id"]]
        label = _or_no_error(first_wrong_label(truth))
        records.append(
            ProcessBenchRecord(
                f"{solution['problem_id']}#{solution['sample_id']}",
                text,
                tuple(solution["steps"]),
                label,
                "demo generator",
                bool(solution["correct"]),
            )
        )
    return records


# ---------------------------------------------------------------- the table of every PRM and subset

TUNED_ON = "gsm8k"  # the subset a scalar PRM's threshold is tuned on (the benchmark's authors' rule)


def results_table(
    scored: Mapping[tuple[str, str], tuple[Sequence[int], Sequence[Sequence[float]]]], fixed_threshold: float
):
    """Every PRM on every subset it scored, at the fixed threshold and at the threshold tuned on
    its GSM8K subset (when it scored one): ``prm, rule, threshold, subset, n_error, n_correct,
    error_accuracy, correct_accuracy, f1`` rows, then per PRM and rule the rows of the subsets'
    ``mean`` (the benchmark's average F1) and ``record_weighted`` mean F1.

    ``scored`` maps ``(prm, subset)`` to the subset's labels and the PRM's step scores.
    """
    rows = []
    for prm in dict.fromkeys(prm for prm, _ in scored):
        subsets = {subset: data for (name, subset), data in scored.items() if name == prm}
        thresholds = {"fixed": fixed_threshold}
        if TUNED_ON in subsets:
            thresholds[f"tuned_on_{TUNED_ON}"] = best_threshold(*subsets[TUNED_ON])
        for rule, threshold in thresholds.items():
            results = {
                subset: evaluate_threshold(labels, scores, threshold) for subset, (labels, scores) in subsets.items()
            }
            base = {"prm": prm, "rule": rule, "threshold": threshold}
            rows += [{**base, "subset": subset, **result.as_dict()} for subset, result in results.items()]
            means = summary(results)
            n_error = sum(r.n_error for r in results.values())
            n_correct = sum(r.n_correct for r in results.values())
            for name in ("mean", "record_weighted"):
                rows.append(
                    {
                        **base,
                        "subset": name,
                        "n_error": n_error,
                        "n_correct": n_correct,
                        "error_accuracy": float("nan"),
                        "correct_accuracy": float("nan"),
                        "f1": means[f"{name}_f1"],
                    }
                )
    return pd.DataFrame(rows)


def results_markdown(table, title: str) -> str:
    """Error / correct accuracy and F1 (%) per PRM, threshold rule and subset; the mean rows last."""
    lines = [
        f"## {title}",
        "",
        "F1: harmonic mean of the accuracy on solutions with an error (earliest wrong step found "
        "exactly) and on solutions without (none flagged). `mean`: the plain mean of the subsets' F1 "
        "(the benchmark's average); `record_weighted`: weighted by the subsets' sizes.",
        "",
    ]

    def percent(values):
        return ["" if value != value else f"{100 * value:.1f}" for value in values]  # NaN: no such solutions

    shown = pd.DataFrame(
        {
            "PRM": table["prm"],
            "threshold": [f"{rule} ({threshold:.3f})" for rule, threshold in zip(table["rule"], table["threshold"])],
            "subset": table["subset"],
            "with error": table["n_error"],
            "error accuracy": percent(table["error_accuracy"]),
            "without error": table["n_correct"],
            "correct accuracy": percent(table["correct_accuracy"]),
            "F1": percent(table["f1"]),
        }
    )
    numbers = ("with error", "error accuracy", "without error", "correct accuracy", "F1")
    return "\n".join(lines) + "\n" + markdown_table(shown, right=numbers)


def plot_results(table, out, title: str) -> None:
    """F1 per subset, one group of bars per PRM and threshold rule."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(zip(table["prm"], table["rule"])))
    subsets = list(dict.fromkeys(table["subset"]))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(groups) * len(subsets) / 2), 4.5))
    width = 0.8 / len(subsets)
    for k, subset in enumerate(subsets):
        values = [
            table[(table["prm"] == p) & (table["rule"] == r) & (table["subset"] == subset)]["f1"] for p, r in groups
        ]
        heights = [100 * v.iloc[0] if len(v) else 0.0 for v in values]
        ax.bar([g + (k - (len(subsets) - 1) / 2) * width for g in range(len(groups))], heights, width, label=subset)
    ax.set_xticks(range(len(groups)), [f"{p}\n{r}" for p, r in groups], fontsize=8)
    ax.set_ylabel("F1 (%)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
