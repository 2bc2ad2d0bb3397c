"""Labelled-solution records (what a labelling shard writes) and their step-labelled examples.

One JSON object per candidate solution::

    {"problem_id", "sample_id", "prompt", "reference", "steps", "correct", "strategy",
     "hard_labels", "soft_labels", "drawn", "completions", "reused_prefixes", "tokens"}

(see :class:`stepwise.shepherd.strategies.StepLabels`). :func:`to_example` makes a
:class:`~stepwise.data.stepwise_formats.StepwiseExample` of one, with the hard
labels, the soft labels thresholded, or the soft labels kept as targets.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from stepwise.data import location_error, require_field
from stepwise.data.stepwise_formats import StepwiseExample, harden
from stepwise.io import iter_jsonl
from stepwise.shepherd.strategies import StepLabels

LabelKind = Literal["hard", "soft", "soft_targets"]
LABEL_KINDS = ("hard", "soft", "soft_targets")


def labelled_record(labels: StepLabels) -> dict[str, Any]:
    """The JSON record of one labelled candidate."""
    c = labels.candidate
    return {
        "problem_id": c.problem_id,
        "sample_id": c.sample_id,
        "prompt": c.prompt,
        "reference": c.reference,
        "steps": list(c.steps),
        "correct": c.correct,
        "strategy": labels.strategy,
        "hard_labels": list(labels.hard),
        "soft_labels": list(labels.soft),
        "drawn": list(labels.drawn),
        "completions": labels.completions,
        "reused_prefixes": labels.reused_prefixes,
        "tokens": labels.tokens,
    }


def read_labelled(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Labelled records of a shard or merged file, checked; errors name the file and line."""
    records = []
    for line, record in iter_jsonl(path):
        for key, kind in (
            ("problem_id", str),
            ("sample_id", int),
            ("prompt", str),
            ("steps", list),
            ("correct", bool),
            ("strategy", str),
            ("hard_labels", list),
            ("soft_labels", list),
            ("drawn", list),
            ("completions", int),
            ("reused_prefixes", int),
            ("tokens", int),
        ):
            require_field(record, key, kind, path=path, line=line)
        n_steps = len(record["steps"])
        for key in ("hard_labels", "soft_labels", "drawn"):
            if len(record[key]) != n_steps:
                raise location_error(f"{n_steps} steps but {len(record[key])} {key}", path, line)
        records.append(record)
    return records


def to_example(record: dict[str, Any], labels: LabelKind = "hard", soft_threshold: float = 0.5) -> StepwiseExample:
    """The step-labelled example of a record: ``hard`` labels, ``soft`` ones thresholded
    (good when ``> soft_threshold``), or ``soft_targets`` (the fractions themselves)."""
    if labels not in LABEL_KINDS:
        raise ValueError(f"unknown label kind {labels!r}; expected one of {LABEL_KINDS}")
    extra = {"problem_id": record["problem_id"], "sample_id": record["sample_id"]}
    if labels == "hard":
        return StepwiseExample(record["prompt"], tuple(record["steps"]), tuple(record["hard_labels"]), extra)
    soft = StepwiseExample(
        record["prompt"], tuple(record["steps"]), tuple(float(x) for x in record["soft_labels"]), extra
    )
    return soft if labels == "soft_targets" else harden(soft, soft_threshold)
