"""Every step scorer behind one call: ``score(problems, solutions, step_format)`` -> P(step correct) per step.

``problems`` are the problems' own texts. A trained PRM of the workflow reads
them as its task prompts them (:func:`stepwise.scoring.prm.score_steps`); a
public PRM reads them as they are (:mod:`stepwise.scoring.public_prm`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stepwise.config.registry import Task
from stepwise.scoring.public_prm_settings import PublicPRMSettings

StepScorer = Callable[[Sequence[str], Sequence[str | Sequence[str]], str | None], list[list[float]]]


def trained_prm_scorer(
    prm_dir: str | os.PathLike, task: Task, batch_size: int, neutral_is_correct: bool = True
) -> StepScorer:
    """A PRM the workflow trained, reading the problems as ``task`` prompts them."""
    from stepwise.scoring.prm import score_steps

    def score(problems, solutions, step_format=None):
        return score_steps(
            prm_dir,
            [task.prompt(problem) for problem in problems],
            solutions,
            batch_size,
            step_format=step_format,
            neutral_is_correct=neutral_is_correct,
        )

    return score


def job_step_scorer(settings: Mapping[str, Any], prm_dir: str | os.PathLike | None, task: Task | None) -> StepScorer:
    """A job's scorer: the trained PRM in ``prm_dir`` (with ``task``, and the settings' ``batch_size`` and
    ``neutral_is_correct``), else the public PRM of the settings' ``public_prm`` (a ``scorers:`` entry)."""
    if prm_dir is not None:
        if task is None or "batch_size" not in settings:
            raise ValueError("a trained PRM needs its task and the settings' batch_size")
        return trained_prm_scorer(prm_dir, task, settings["batch_size"], settings.get("neutral_is_correct", True))
    if "public_prm" not in settings:
        raise ValueError("--settings: no public_prm entry, and no trained PRM folder given")
    from stepwise.scoring.public_prm import PublicPRM

    return PublicPRM.load(PublicPRMSettings.from_entry(settings["public_prm"])).score
