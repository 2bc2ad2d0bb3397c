"""Raw PRM800K label records (openai/prm800k ``data/phase{1,2}_{train,test}.jsonl``).

One JSONL line is one labelled solution. The model here mirrors the full schema
and adds the reading the PRM800K README prescribes:

- Each labelled step holds one or more rated ``completions`` (candidate next
  steps, rating -1 / 0 / +1, or null where the labeller did not rate it).
- The solution continues with ``completions[chosen_completion]``; when
  ``chosen_completion`` is null it continues with the ``human_completion`` (a
  step the labeller wrote because every candidate was bad; phase 1 only). The
  README calls that a +1 step, and the data leave its rating null, so the
  trajectory rates a human step +1 unless it carries its own rating.
- A step with neither is where labelling stopped (``found_error``, ``give_up``,
  ``bad_problem``). It can only be the last step. If one of its completions is
  rated -1, the first such completion ends the trajectory as its first error
  (in phase 2 that is ``completions[0]``, the pre-generated step, with the
  labeller's alternatives after it); otherwise the trajectory ends before it.

Phase 2 records carry the pre-generated solution (``question.pre_generated_steps``)
that was labelled step by step; :meth:`PRM800KRecord.pre_generated_alignment`
says which completion of each labelled step is that solution's step.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from stepwise.data import location_error, require_field
from stepwise.io import DataError, iter_jsonl

RATINGS = (-1, 0, 1)
FINISH_REASONS = ("solution", "found_error", "give_up", "bad_problem")
MODEL_SOURCE = "model"  # source of every completion in ``completions``
HUMAN_SOURCE = "human"  # source of a human_completion that does not name one
HUMAN_STEP_RATING = 1  # the README: labellers "write their own +1 step"


@dataclass(frozen=True)
class Completion:
    """One candidate step (model-written, or the labeller's own)."""

    text: str
    rating: int | None  # -1, 0, +1; None when not rated
    flagged: bool | None  # the labeller did not know how to rate it
    source: str = MODEL_SOURCE


@dataclass(frozen=True)
class LabeledStep:
    """The labels collected at one position of the solution."""

    completions: tuple[Completion, ...]
    human_completion: Completion | None
    chosen_completion: int | None

    def continuation(self) -> Completion | None:
        """The completion the solution continues with; None where labelling stopped."""
        if self.chosen_completion is not None:
            return self.completions[self.chosen_completion]
        return self.human_completion

    def first_error(self) -> int | None:
        """Index of the first completion rated -1, or None."""
        return next((i for i, c in enumerate(self.completions) if c.rating == -1), None)

    def taken_index(self) -> int | None:
        """Index of the completion the trajectory takes here (see the module docstring).

        The chosen completion; at a step where labelling stopped, its first -1
        completion; None when the trajectory takes the human completion or
        nothing from this step.
        """
        if self.chosen_completion is not None:
            return self.chosen_completion
        if self.human_completion is None:
            return self.first_error()
        return None

    def taken(self) -> Completion | None:
        """The completion the trajectory takes at this step; None where it ends before it."""
        index = self.taken_index()
        return self.human_completion if index is None else self.completions[index]

    def alternatives(self) -> tuple[Completion, ...]:
        """The completions the trajectory does not take at this step."""
        taken = self.taken_index()
        return tuple(c for i, c in enumerate(self.completions) if i != taken)


class TrajectoryStep(NamedTuple):
    """One step of the chosen path: its text, its rating and who wrote it."""

    text: str
    rating: int | None
    source: str


@dataclass(frozen=True)
class PreGeneratedStep:
    """How one pre-generated phase-2 step lines up with the labelled steps."""

    index: int  # position in question.pre_generated_steps (and in label.steps)
    text: str
    completion_index: int | None  # which completion of label.steps[index] it is; None if not labelled
    rating: int | None  # its rating; None if not labelled or not rated


@dataclass(frozen=True)
class Question:
    """The problem a record answers; the pre-generated fields are set in phase 2 only."""

    problem: str
    ground_truth_answer: str | None
    ground_truth_solution: str | None = None
    pre_generated_steps: tuple[str, ...] | None = None
    pre_generated_answer: str | None = None
    pre_generated_verifier_score: float | None = None


@dataclass(frozen=True)
class PRM800KRecord:
    """One labelled solution of PRM800K."""

    labeler: str
    timestamp: str
    generation: int | None  # phase-2 generation; null in phase 1
    is_quality_control_question: bool
    is_initial_screening_question: bool
    question: Question
    steps: tuple[LabeledStep, ...]
    total_time: int | None  # milliseconds spent labelling
    finish_reason: str

    @property
    def is_phase2(self) -> bool:
        """Phase-2 records label a pre-generated solution."""
        return self.question.pre_generated_steps is not None

    def _path_steps(self) -> list[tuple[LabeledStep, Completion]]:
        path = []
        for step in self.steps:
            taken = step.taken()
            if taken is None:
                break
            path.append((step, taken))
        return path

    def trajectory(self) -> list[TrajectoryStep]:
        """The one chosen path through the labelled steps (see the module docstring)."""
        return [TrajectoryStep(c.text, _path_rating(c), c.source) for _, c in self._path_steps()]

    def alternatives(self) -> list[tuple[Completion, ...]]:
        """For each trajectory step, the rated and unrated completions it did not take."""
        return [step.alternatives() for step, _ in self._path_steps()]

    def pre_generated_alignment(self) -> list[PreGeneratedStep]:
        """For each pre-generated step, the labelled completion that is that step.

        Phase 2 labels the pre-generated solution in order: ``label.steps[i]``
        holds ``pre_generated_steps[i]`` among its completions, and steps after
        the point where labelling stopped are unlabelled. Raises DataError for a
        phase-1 record or when a labelled step does not hold its pre-generated
        text.
        """
        pre_generated = self.question.pre_generated_steps
        if pre_generated is None:
            raise DataError("record has no question.pre_generated_steps (not a phase-2 record)")
        if len(self.steps) > len(pre_generated):
            raise DataError(f"{len(self.steps)} labelled steps but only {len(pre_generated)} pre-generated steps")
        aligned = []
        for index, text in enumerate(pre_generated):
            completion_index = rating = None
            if index < len(self.steps):
                completion_index = _find_text(self.steps[index].completions, text)
                if completion_index is None:
                    raise DataError(f"label.steps[{index}] has no completion equal to pre_generated_steps[{index}]")
                rating = self.steps[index].completions[completion_index].rating
            aligned.append(PreGeneratedStep(index, text, completion_index, rating))
        return aligned


def _path_rating(completion: Completion) -> int | None:
    if completion.rating is None and completion.source != MODEL_SOURCE:
        return HUMAN_STEP_RATING
    return completion.rating


def _find_text(completions: tuple[Completion, ...], text: str) -> int | None:
    """Index of the completion with this text (ignoring surrounding whitespace)."""
    for exact in (True, False):
        for i, completion in enumerate(completions):
            if completion.text == text if exact else completion.text.strip() == text.strip():
                return i
    return None


# ---------------------------------------------------------------- parsing


class _Where:
    """The file and line being parsed, to name them in every error."""

    def __init__(self, path: str | os.PathLike | None, line: int | None):
        self.path, self.line = path, line

    def field(self, obj: dict[str, Any], key: str, kind, where: str, **options) -> Any:
        return require_field(obj, key, kind, path=self.path, line=self.line, where=where, **options)

    def object(self, obj: dict[str, Any], key: str, where: str, **options) -> dict[str, Any] | None:
        return self.field(obj, key, dict, where, **options)

    def error(self, message: str) -> DataError:
        return location_error(message, self.path, self.line)


def _parse_rating(at: _Where, obj: dict[str, Any], where: str) -> int | None:
    rating = at.field(obj, "rating", int, where, nullable=True)
    if rating is not None and rating not in RATINGS:
        raise at.error(f"field '{where}.rating' should be -1, 0, 1 or null, got {rating}")
    return rating


def _parse_completion(at: _Where, obj: dict[str, Any], where: str, human: bool) -> Completion:
    text = at.field(obj, "text", str, where)
    rating = _parse_rating(at, obj, where)
    flagged = at.field(obj, "flagged", bool, where, nullable=True, optional=human)
    source = at.field(obj, "source", str, where, optional=True) if human else None
    return Completion(text, rating, flagged, source or (HUMAN_SOURCE if human else MODEL_SOURCE))


def _parse_step(at: _Where, obj: dict[str, Any], where: str) -> LabeledStep:
    raw_completions = at.field(obj, "completions", list, where)
    completions = []
    for i, raw in enumerate(raw_completions):
        if not isinstance(raw, dict):
            raise at.error(f"field '{where}.completions[{i}]' should be an object, got {type(raw).__name__}")
        completions.append(_parse_completion(at, raw, f"{where}.completions[{i}]", human=False))
    raw_human = at.object(obj, "human_completion", where, nullable=True)
    human = None if raw_human is None else _parse_completion(at, raw_human, f"{where}.human_completion", human=True)
    chosen = at.field(obj, "chosen_completion", int, where, nullable=True)
    if chosen is not None and not 0 <= chosen < len(completions):
        raise at.error(f"field '{where}.chosen_completion' is {chosen} but the step has {len(completions)} completions")
    return LabeledStep(tuple(completions), human, chosen)


def _parse_question(at: _Where, obj: dict[str, Any]) -> Question:
    where = "question"
    steps = at.field(obj, "pre_generated_steps", list, where, optional=True)
    if steps is not None:
        for i, step in enumerate(steps):
            if not isinstance(step, str):
                kind = type(step).__name__
                raise at.error(f"field 'question.pre_generated_steps[{i}]' should be a string, got {kind}")
        steps = tuple(steps)
    return Question(
        problem=at.field(obj, "problem", str, where),
        ground_truth_answer=at.field(obj, "ground_truth_answer", str, where, nullable=True),
        ground_truth_solution=at.field(obj, "ground_truth_solution", str, where, optional=True),
        pre_generated_steps=steps,
        pre_generated_answer=at.field(obj, "pre_generated_answer", str, where, optional=True),
        pre_generated_verifier_score=at.field(obj, "pre_generated_verifier_score", float, where, optional=True),
    )


def parse_prm800k_record(
    record: dict[str, Any], path: str | os.PathLike | None = None, line: int | None = None
) -> PRM800KRecord:
    """Validate one raw PRM800K line; errors name the file, line and field (e.g. ``label.steps[3].rating``)."""
    at = _Where(path, line)
    label = at.object(record, "label", "")
    steps = []
    for i, raw in enumerate(at.field(label, "steps", list, "label")):
        if not isinstance(raw, dict):
            raise at.error(f"field 'label.steps[{i}]' should be an object, got {type(raw).__name__}")
        steps.append(_parse_step(at, raw, f"label.steps[{i}]"))
    for i, step in enumerate(steps[:-1]):
        if step.continuation() is None:
            raise at.error(f"label.steps[{i}] has neither chosen_completion nor human_completion, but steps follow it")
    finish_reason = at.field(label, "finish_reason", str, "label")
    if finish_reason not in FINISH_REASONS:
        expected = ", ".join(FINISH_REASONS)
        raise at.error(f"field 'label.finish_reason' should be one of {expected}, got {finish_reason!r}")
    return PRM800KRecord(
        labeler=at.field(record, "labeler", str, ""),
        timestamp=at.field(record, "timestamp", str, ""),
        generation=at.field(record, "generation", int, "", nullable=True),
        is_quality_control_question=at.field(record, "is_quality_control_question", bool, ""),
        is_initial_screening_question=at.field(record, "is_initial_screening_question", bool, ""),
        question=_parse_question(at, at.object(record, "question", "")),
        steps=tuple(steps),
        total_time=at.field(label, "total_time", int, "label", nullable=True),
        finish_reason=finish_reason,
    )


def iter_prm800k(path: str | os.PathLike) -> Iterator[PRM800KRecord]:
    """Parse a raw PRM800K JSONL file lazily (phase2_train is about 456 MB)."""
    for line, record in iter_jsonl(path):
        yield parse_prm800k_record(record, path, line)


def load_prm800k(path: str | os.PathLike) -> list[PRM800KRecord]:
    """Parse a whole raw PRM800K JSONL file."""
    return list(iter_prm800k(path))
