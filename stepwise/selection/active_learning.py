"""The next batch of solutions to label, chosen as Lightman et al. (2023) chose them in PRM800K phase 2.

From scored samples of training problems, a batch of ``batch_size`` solutions:

1. ``wrong_share`` of it (80% in the paper): the highest-scoring solutions whose
   final answer is wrong ("convincing wrong-answer" solutions: the current
   reward model likes them, yet they must contain a mistake). A solution that
   reached no answer has no wrong answer and is not one of them;
2. the rest: the highest-scoring of all other solutions ("most convincing").

If there are too few wrong-answer solutions, the second part fills the batch.
``max_per_problem`` (optional) caps the solutions of one problem in the batch.
Equal scores keep the order of the samples file. Solutions without visible text
cannot be labelled and are left out.

Each chosen solution becomes a PRM800K phase-2 record ready for labelling (the
schema :func:`stepwise.data.prm800k.load_prm800k` reads): the problem, its
reference solution and answer, the solution split into steps as
``pre_generated_steps`` with its answer and score, and ``label.steps`` holding
each step as the one completion the solution continues with, unrated.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from stepwise.data import location_error, require_field
from stepwise.data.math import MATHProblem
from stepwise.evaluation.score_tables import ScoreTable
from stepwise.formats.steps import split_steps
from stepwise.io import DataError, iter_jsonl

WRONG_ANSWER = "convincing_wrong_answer"
OTHER = "convincing"


@dataclass(frozen=True)
class ScoredSample:
    """One scored solution of a training problem."""

    problem_id: str
    sample_id: int
    text: str
    answer: str | None
    correct: bool
    score: float


def read_scored_samples(
    path: str | os.PathLike, score: str, score_files: Sequence[str | os.PathLike] = ()
) -> list[ScoredSample]:
    """Sample records with the score column ``score``, in the samples or in ``score_files`` joined to them
    (:mod:`stepwise.evaluation.score_tables`); errors name file, line and field."""
    table = ScoreTable(score_files) if score_files else None
    samples = []
    for line, record in iter_jsonl(path):
        if table is not None:
            record = table.join(record, path, line)
        value = require_field(record, score, float, path=path, line=line)
        if not math.isfinite(value):
            raise location_error(f"field '{score}' should be a finite number, got {value!r}", path, line)
        samples.append(
            ScoredSample(
                problem_id=str(require_field(record, "problem_id", (str, int), path=path, line=line)),
                sample_id=require_field(record, "sample_id", int, path=path, line=line),
                text=require_field(record, "text", str, path=path, line=line),
                answer=require_field(record, "answer", str, path=path, line=line, nullable=True),
                correct=require_field(record, "correct", bool, path=path, line=line),
                score=float(value),
            )
        )
    if table is not None:
        table.check_all_joined(path)
    return samples


def select_for_labelling(
    samples: Iterable[ScoredSample], batch_size: int, wrong_share: float = 0.8, max_per_problem: int | None = None
) -> list[tuple[ScoredSample, str]]:
    """The batch to label, as (sample, reason) pairs: the wrong-answer part first (see the module docstring)."""
    if batch_size < 1:
        raise ValueError(f"batch_size should be at least 1, got {batch_size}")
    if not 0 <= wrong_share <= 1:
        raise ValueError(f"wrong_share should be in [0, 1], got {wrong_share}")
    if max_per_problem is not None and max_per_problem < 1:
        raise ValueError(f"max_per_problem should be at least 1 or None, got {max_per_problem}")
    ranked = sorted((s for s in samples if s.text.strip()), key=lambda s: -s.score)  # stable: ties keep file order
    per_problem: Counter = Counter()
    chosen: list[tuple[ScoredSample, str]] = []
    taken: set[int] = set()

    def take(pool: list[tuple[int, ScoredSample]], count: int, reason: str) -> None:
        for index, sample in pool:
            if len(chosen) == count:
                return
            if index in taken or (max_per_problem is not None and per_problem[sample.problem_id] >= max_per_problem):
                continue
            taken.add(index)
            per_problem[sample.problem_id] += 1
            chosen.append((sample, reason))

    indexed = list(enumerate(ranked))
    wrong = [(i, s) for i, s in indexed if not s.correct and s.answer is not None]
    take(wrong, round(batch_size * wrong_share), WRONG_ANSWER)
    take(indexed, batch_size, OTHER)
    return chosen


def labelling_record(
    sample: ScoredSample, problem: MATHProblem, reason: str, score: str, generation: int | None = None
) -> dict[str, Any]:
    """A PRM800K phase-2 record asking for labels on one solution (``generation``: the selection round)."""
    steps = split_steps(sample.text, "prm800k")
    return {
        "labeler": "",  # set when labelled
        "timestamp": "",
        "generation": generation,
        "is_quality_control_question": False,
        "is_initial_screening_question": False,
        "question": {
            "problem": problem.problem,
            "ground_truth_solution": problem.solution,
            "ground_truth_answer": problem.answer,
            "pre_generated_steps": steps,
            "pre_generated_answer": sample.answer,
            "pre_generated_verifier_score": sample.score,
        },
        "label": {
            "steps": [
                {
                    "completions": [{"text": step, "rating": None, "flagged": None}],
                    "human_completion": None,
                    "chosen_completion": 0,
                }
                for step in steps
            ],
            "total_time": None,
            # The solution is laid out to its end; a labeller who stops early sets found_error etc.
            "finish_reason": "solution",
        },
        "selection": {
            "problem_id": sample.problem_id,
            "sample_id": sample.sample_id,
            "correct": sample.correct,
            "score_column": score,
            "reason": reason,
        },
    }


def labelling_records(
    batch: list[tuple[ScoredSample, str]],
    problems: Iterable[MATHProblem],
    score: str,
    generation: int | None = None,
    samples_path: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """PRM800K records for a selected batch; a sample of an unknown problem is a DataError naming it."""
    by_id = {problem.problem_id: problem for problem in problems}
    records = []
    for sample, reason in batch:
        if sample.problem_id not in by_id:
            message = f"problem_id={sample.problem_id!r} (sample_id={sample.sample_id}) is not a problem of the dataset"
            raise DataError(message, samples_path)
        records.append(labelling_record(sample, by_id[sample.problem_id], reason, score, generation))
    return records
