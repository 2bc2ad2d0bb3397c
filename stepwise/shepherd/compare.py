"""The ``linear`` and ``binary`` strategies side by side on the same solutions: cost, agreement, quality.

Both labellings are labelled-solution records (:mod:`stepwise.shepherd.records`)
of the same solutions. By solution length in steps: the tokens each strategy
generated, binary's share of linear's, and the share of steps whose hard labels
agree; the same over all solutions and over those of ``long_steps`` or more
steps (where the search can skip most prefixes); and, given the true step
correctness (demo data), each strategy's label quality
(:func:`stepwise.shepherd.stats.label_quality`).

Agreement measures the search's assumption (no prefix after the first dead one
recovers) *and* the completions' randomness: the two strategies draw their own
continuations, so even two linear runs would disagree where a prefix's chance
of reaching the answer is small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pandas as pd

from stepwise.io import DataError, markdown_table
from stepwise.shepherd.stats import label_quality

STRATEGY_NAMES = ("linear", "binary")


def _keyed(records: Sequence[dict[str, Any]], strategy: str) -> dict[tuple[str, int], dict[str, Any]]:
    keyed = {}
    for record in records:
        if record["strategy"] != strategy:
            raise DataError(
                f"expected {strategy} labels, got a {record['strategy']} record for "
                f"{(record['problem_id'], record['sample_id'])}"
            )
        keyed[(record["problem_id"], record["sample_id"])] = record
    return keyed


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compare_strategies(
    linear: Sequence[dict[str, Any]],
    binary: Sequence[dict[str, Any]],
    truths: Sequence[Sequence[bool]] | None = None,
    soft_threshold: float = 0.5,
    long_steps: int = 8,
) -> dict[str, Any]:
    """Compare two labellings of the same solutions (``truths`` in the order of ``linear``)."""
    by_strategy = {"linear": _keyed(linear, "linear"), "binary": _keyed(binary, "binary")}
    if by_strategy["linear"].keys() != by_strategy["binary"].keys():
        missing = by_strategy["linear"].keys() ^ by_strategy["binary"].keys()
        raise DataError(f"the two labellings cover different solutions, e.g. {sorted(missing)[:3]}")
    rows: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, lin in by_strategy["linear"].items():
        bin_ = by_strategy["binary"][key]
        if lin["steps"] != bin_["steps"]:
            raise DataError(f"solution {key} is split into different steps by the two labellings")
        row = rows[len(lin["steps"])]
        row["solutions"] += 1
        row["steps"] += len(lin["steps"])
        row["agreeing_steps"] += sum(a == b for a, b in zip(lin["hard_labels"], bin_["hard_labels"]))
        for strategy, record in (("linear", lin), ("binary", bin_)):
            row[f"{strategy}_tokens"] += record["tokens"]
            row[f"{strategy}_completions"] += record["completions"]

    def summary(selected: list[dict[str, int]]) -> dict[str, Any]:
        total = {
            key: sum(row[key] for row in selected)
            for key in (
                "solutions",
                "steps",
                "agreeing_steps",
                "linear_tokens",
                "binary_tokens",
                "linear_completions",
                "binary_completions",
            )
        }
        return {
            **total,
            "binary_token_share": _share(total["binary_tokens"], total["linear_tokens"]),
            "agreement": _share(total["agreeing_steps"], total["steps"]),
        }

    comparison: dict[str, Any] = {
        "long_steps": long_steps,
        "by_steps": {str(n): summary([rows[n]]) for n in sorted(rows)},
        "long": summary([row for n, row in rows.items() if n >= long_steps]),
        "all": summary(list(rows.values())),
    }
    if truths is not None:
        comparison["quality"] = {
            strategy: label_quality(
                [by_strategy[strategy][(r["problem_id"], r["sample_id"])] for r in linear], truths, soft_threshold
            )
            for strategy in STRATEGY_NAMES
        }
    return comparison


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def comparison_markdown(comparison: dict[str, Any]) -> str:
    """The comparison as Markdown tables: cost and agreement by length, then label quality by strategy."""
    named = [
        *comparison["by_steps"].items(),
        (f">= {comparison['long_steps']}", comparison["long"]),
        ("all", comparison["all"]),
    ]
    cost = pd.DataFrame(
        [
            {
                "steps": name,
                "solutions": row["solutions"],
                "linear tokens": row["linear_tokens"],
                "binary tokens": row["binary_tokens"],
                "binary / linear": _percent(row["binary_token_share"]),
                "hard-label agreement": _percent(row["agreement"]),
            }
            for name, row in named
        ]
    )
    text = markdown_table(cost)
    if "quality" in comparison:
        keys = ("precision_good", "recall_good", "f1_good", "precision_bad", "recall_bad", "f1_bad", "accuracy")
        quality = pd.DataFrame(
            [
                {
                    "strategy": strategy,
                    "labels": kind,
                    **{k.replace("_", " "): "n/a" if values[k] is None else f"{values[k]:.3f}" for k in keys},
                }
                for strategy, kinds in comparison["quality"].items()
                for kind, values in kinds.items()
            ]
        )
        text += "\n" + markdown_table(quality)
    return text
