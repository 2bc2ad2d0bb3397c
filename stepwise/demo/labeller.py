"""The demo's stand-in for PRM800K's labellers: a generator's own samples rated step by step by the truth.

PRM800K's second phase (Lightman et al. 2023) is people rating solutions that
the generator being reranked wrote, each step in order until the first wrong
one. The demo's synthetic PRM800K records are written by the demo's program,
so they hold only its kinds of error (a wrong operand, operation or slip in
an otherwise well-formed step), none of the tiny generator's own: run-on
equations that end in ``= 0``, made-up counts, an answer that contradicts
the step before it. A PRM trained on them alone ranked such samples above the
generator's clean ones in one replicate of three (``docs/results.md``). Here
the demo's truth (:func:`stepwise.demo.truth.judge_steps`) rates the
generator's training samples as PRM800K's labellers rated theirs; only demo
problems, which carry the truth, can be labelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stepwise.data.stepwise_formats import StepwiseExample
from stepwise.demo.truth import judge_steps
from stepwise.evaluation.step_metrics import first_error
from stepwise.formats.steps import split_steps
from stepwise.io import DataError


def to_first_error(labels: list[bool]) -> list[bool]:
    """The labels a PRM800K labeller gives: every step in order, up to and including the first wrong one."""
    first = first_error(labels)
    return labels if first is None else labels[: first + 1]


def label_samples(
    samples: Iterable[Mapping[str, Any]],
    problems: Mapping[str, tuple[str, Mapping[str, Any]]],
    step_format: str,
) -> tuple[list[StepwiseExample], dict[str, int]]:
    """Step-labelled examples of ``samples`` (``problem_id``, ``sample_id``, ``text``) and their counts.

    ``problems`` maps a problem id to ``(prompt, demo truth)``: the prompt the
    generator saw and the record's ``demo`` field. Each sample is split in
    ``step_format`` and labelled by :func:`to_first_error`; a sample without
    steps (an empty text) has nothing to rate and is skipped.
    """
    examples: list[StepwiseExample] = []
    counts = {"samples": 0, "skipped_without_steps": 0, "steps": 0, "wrong_steps": 0, "all_correct": 0}
    for index, sample in enumerate(samples):
        counts["samples"] += 1
        where = f"sample {index} (problem_id={sample.get('problem_id')!r})"
        if sample.get("problem_id") not in problems:
            raise DataError(f"{where}: its problem has no demo ground truth (only demo problems can be labelled)")
        steps = split_steps(sample["text"], step_format)
        if not steps:
            counts["skipped_without_steps"] += 1
            continue
        prompt, truth = problems[sample["problem_id"]]
        labels = to_first_error(judge_steps(truth, steps, step_format))
        counts["steps"] += len(labels)
        counts["wrong_steps"] += labels.count(False)
        counts["all_correct"] += all(labels)
        examples.append(
            StepwiseExample(
                prompt,
                tuple(steps[: len(labels)]),
                tuple(labels),
                {"problem_id": sample["problem_id"], "sample_id": sample.get("sample_id")},
            )
        )
    return examples, counts
