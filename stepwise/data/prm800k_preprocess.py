"""PRM800K preprocessing: raw label records to step-labelled examples for a process reward model.

Settings (:class:`PreprocessSettings`, config section ``prm800k.preprocess``):

- ``phases``: keep records of these phases (phase 2 records carry
  ``pre_generated_steps``);
- ``drop``: drop records that are ``quality_control`` or ``screening``
  questions, or that ended in ``bad_problem`` or ``give_up``. A ``give_up``
  record's steps before the unrated step where labelling stopped are labelled,
  so it is worth keeping; ``bad_problem`` records have a faulty problem;
- ``neutral``: what a 0 (neutral) rating means as a binary label: ``positive``,
  ``negative``, or ``neutral`` (a third class; see the output format);
- ``prod``: false keeps the chosen trajectory of each record, true every
  combination of rated completions, the first ``max_trajectories_per_record`` of
  them (see :mod:`stepwise.data.prm800k_trajectories` for the order and
  the truncation at the first -1 step);
- ``exclude_math500``: drop training records whose problem is a MATH-500
  problem (:mod:`stepwise.data.contamination`).

A record is dropped for the first reason that applies, in the order of
:data:`DROP_ORDER`: its phase, the configured ``drop`` reasons, ``math500``,
``blank_step`` (a step with no visible text), ``no_labelled_steps`` (no rated
step on its path).

The PRM800K test split becomes held-out step labels with
:meth:`PreprocessSettings.for_test_split`: one trajectory per record, no
MATH-500 filter.

Output: TRL stepwise-supervision records (:mod:`stepwise.data.stepwise_formats`),
one per trajectory::

    {"prompt": math_prompt(problem), "completions": [step, ...], "labels": [bool, ...],
     "ratings": [-1 | 0 | 1, ...], "record": "<file stem>:<line>", "phase": 1 | 2, "trajectory": k}

``labels`` is the binary label of each rating (+1 true, -1 false, 0 as
``neutral`` says; with ``neutral: neutral`` a 0 is true, as Lightman's evaluation
counts it). ``ratings`` always holds the three classes, so a three-class PRM
reads them there (a human-written step counts +1, as the PRM800K README says).
``record`` names the source line; ``trajectory`` is the index in the expansion
order, 0 for the chosen trajectory.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from stepwise.data.contamination import HeldOutProblems
from stepwise.data.prm800k import RATINGS, PRM800KRecord, parse_prm800k_record
from stepwise.data.prm800k_trajectories import (
    Trajectory,
    chosen_trajectory,
    count_trajectories,
    expand_trajectories,
    path_options,
)
from stepwise.data.stepwise_formats import StepwiseExample, check_example
from stepwise.formats.prompts import math_prompt
from stepwise.io import iter_jsonl

log = logging.getLogger(__name__)

PHASES = (1, 2)
DROPPABLE = ("quality_control", "screening", "bad_problem", "give_up")
DROP_ORDER = ("phase", *DROPPABLE, "math500", "blank_step", "no_labelled_steps")
NEUTRAL_MODES = ("positive", "negative", "neutral")


@dataclass(frozen=True)
class PreprocessSettings:
    """How raw PRM800K records become examples (see the module docstring)."""

    phases: tuple[int, ...] = PHASES
    drop: tuple[str, ...] = ("quality_control", "screening", "bad_problem")
    neutral: str = "positive"
    prod: bool = False
    max_trajectories_per_record: int = 16
    exclude_math500: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "phases", tuple(self.phases))
        object.__setattr__(self, "drop", tuple(self.drop))
        if not self.phases or any(phase not in PHASES for phase in self.phases):
            raise ValueError(f"prm800k.preprocess.phases should list 1 and/or 2, got {list(self.phases)}")
        unknown = [reason for reason in self.drop if reason not in DROPPABLE]
        if unknown:
            raise ValueError(f"prm800k.preprocess.drop: unknown reason(s) {unknown}; valid: {', '.join(DROPPABLE)}")
        if self.neutral not in NEUTRAL_MODES:
            expected = ", ".join(NEUTRAL_MODES)
            raise ValueError(f"prm800k.preprocess.neutral should be one of {expected}, got {self.neutral!r}")
        if self.max_trajectories_per_record < 1:
            raise ValueError(
                f"prm800k.preprocess.max_trajectories_per_record should be at least 1, "
                f"got {self.max_trajectories_per_record}"
            )

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> PreprocessSettings:
        """Settings from the config section; an unknown key is an error naming it."""
        from stepwise.config.decoding import settings_from_config

        return settings_from_config(cls, values, "prm800k.preprocess")

    def to_config(self) -> dict[str, Any]:
        """The settings as the config section spells them."""
        values = dataclasses.asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}

    def for_test_split(self) -> PreprocessSettings:
        """The held-out labels: the chosen trajectory of each record, no MATH-500 filter.

        The PRM800K test split labels solutions to MATH-500 problems; one
        trajectory per record keeps every labelled step once and the first
        error where the labeller found it.
        """
        return dataclasses.replace(self, prod=False, exclude_math500=False)


def rating_label(rating: int, neutral: str) -> bool:
    """The binary label of a rating: +1 true, -1 false, 0 false only when ``neutral`` is ``negative``."""
    if rating == 0:
        return neutral != "negative"
    return rating > 0


@dataclass
class SplitStats:
    """Counts for one output file, written next to the data (see :meth:`to_json`)."""

    settings: PreprocessSettings
    files: dict[str, int] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)
    kept: int = 0
    completions: Counter = field(default_factory=Counter)
    available: int = 0
    records_capped: int = 0
    examples: int = 0
    steps: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)

    def count_record(self, record: PRM800KRecord) -> None:
        """Count the labels of a kept record: every completion by rating, and its human steps."""
        for step in record.steps:
            for completion in step.completions:
                self.completions["unrated" if completion.rating is None else str(completion.rating)] += 1
            if step.human_completion is not None:
                self.completions["human"] += 1

    def count_example(self, example: StepwiseExample) -> None:
        self.examples += 1
        self.steps.update(str(rating) for rating in example.extra["ratings"])
        self.labels.update("true" if label else "false" for label in example.labels)

    def to_json(self) -> dict[str, Any]:
        """The split's entry in the statistics file.

        ``settings`` (as applied to this split); ``files``: records read per
        file (by stem); ``records``: ``read``, ``kept``, ``dropped`` by reason
        (every reason of :data:`DROP_ORDER`, zeros included); ``completions``:
        the labels in kept records, every completion by rating ("1", "0", "-1",
        "unrated") plus the number of human-written steps; ``examples``:
        ``written``, ``trajectories_available`` (before the cap),
        ``records_capped``, ``steps``, ``steps_by_rating`` and ``labels``
        ("true"/"false") over the written examples.
        """
        return {
            "settings": self.settings.to_config(),
            "files": dict(self.files),
            "records": {
                "read": sum(self.files.values()),
                "kept": self.kept,
                "dropped": {reason: self.dropped[reason] for reason in DROP_ORDER},
            },
            "completions": {key: self.completions[key] for key in ("1", "0", "-1", "unrated", "human")},
            "examples": {
                "written": self.examples,
                "trajectories_available": self.available,
                "records_capped": self.records_capped,
                "steps": sum(self.steps.values()),
                "steps_by_rating": {str(rating): self.steps[str(rating)] for rating in reversed(RATINGS)},
                "labels": {key: self.labels[key] for key in ("true", "false")},
            },
        }


def drop_reason(record: PRM800KRecord, settings: PreprocessSettings, held_out: HeldOutProblems | None) -> str | None:
    """Why a record is dropped before its trajectories are built (None: kept so far)."""
    if (2 if record.is_phase2 else 1) not in settings.phases:
        return "phase"
    flags = {
        "quality_control": record.is_quality_control_question,
        "screening": record.is_initial_screening_question,
        "bad_problem": record.finish_reason == "bad_problem",
        "give_up": record.finish_reason == "give_up",
    }
    for reason in DROPPABLE:
        if reason in settings.drop and flags[reason]:
            return reason
    if held_out is not None and record.question.problem in held_out:
        return "math500"
    return None


def record_trajectories(
    record: PRM800KRecord, settings: PreprocessSettings
) -> tuple[list[Trajectory], int, str | None]:
    """The trajectories kept for a record, how many there are in all, and a drop reason if none."""
    options = path_options(record)
    if any(not option.text.strip() for step in options for option in step):
        return [], 0, "blank_step"
    if not options:
        return [], 0, "no_labelled_steps"
    if settings.prod:
        return expand_trajectories(options, settings.max_trajectories_per_record), count_trajectories(options), None
    return [chosen_trajectory(options)], 1, None


def trajectory_example(problem: str, trajectory: Trajectory, neutral: str, extra: dict[str, Any]) -> StepwiseExample:
    """One example: the MATH prompt, the trajectory's steps, their labels and ratings (and ``extra`` keys)."""
    ratings = [step.rating for step in trajectory]
    labels = tuple(rating_label(rating, neutral) for rating in ratings)
    steps = tuple(step.text for step in trajectory)
    return StepwiseExample(math_prompt(problem), steps, labels, {"ratings": ratings, **extra})


def preprocess_files(
    paths: Iterable[str | os.PathLike],
    settings: PreprocessSettings,
    stats: SplitStats,
    held_out: HeldOutProblems | None = None,
) -> Iterator[StepwiseExample]:
    """Examples from raw PRM800K files, streamed; ``stats`` is filled as they are read.

    ``held_out`` (MATH-500) is required when ``settings.exclude_math500`` is set.
    """
    if settings.exclude_math500 and held_out is None:
        raise ValueError("exclude_math500 is set but no MATH-500 problems were given")
    for path in paths:
        name = Path(path).stem
        stats.files[name] = 0
        for line, record in tqdm(_numbered(path), desc=name, unit=" records", mininterval=10):
            stats.files[name] += 1
            reason = drop_reason(record, settings, held_out if settings.exclude_math500 else None)
            trajectories, available = [], 0
            if reason is None:
                trajectories, available, reason = record_trajectories(record, settings)
            if reason is not None:
                stats.dropped[reason] += 1
                continue
            stats.kept += 1
            stats.count_record(record)
            stats.available += available
            stats.records_capped += len(trajectories) < available
            phase = 2 if record.is_phase2 else 1
            for index, trajectory in enumerate(trajectories):
                example = trajectory_example(
                    record.question.problem,
                    trajectory,
                    settings.neutral,
                    {"record": f"{name}:{line}", "phase": phase, "trajectory": index},
                )
                check_example(example, path=path, line=line)
                stats.count_example(example)
                yield example
        log.info("%s: %d records read, %d examples so far", path, stats.files[name], stats.examples)
    if settings.exclude_math500:
        log.info("removed %d records whose problem is a MATH-500 problem", stats.dropped["math500"])


def _numbered(path: str | os.PathLike) -> Iterator[tuple[int, PRM800KRecord]]:
    """Parsed records with their line numbers, for the ``record`` field and error messages."""
    for line, raw in iter_jsonl(path):
        yield line, parse_prm800k_record(raw, path, line)
