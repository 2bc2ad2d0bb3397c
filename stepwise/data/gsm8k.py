"""GSM8K problems: ``{"question": str, "answer": str}`` per JSONL line.

The answer is the full worked solution (with ``<<expr=result>>`` calculator
annotations) and ends with a line ``#### <final answer>``. Keys other than
``question`` and ``answer`` (such as the demo's ``demo`` field) are kept in
:attr:`GSM8KProblem.extra` and written back by :meth:`GSM8KProblem.to_record`.

Problem ids: ``problem_id`` is the first 16 hex digits of the SHA-256 of the
question text. Unlike a line index it survives reordering, subsetting and
renaming of the file, so samples, labels and scores keyed by it join correctly
across stages; a file with the same question twice is rejected.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from stepwise.data import location_error, require_field
from stepwise.formats.steps import GSM8K_ANSWER_MARKER
from stepwise.io import iter_jsonl


@dataclass(frozen=True)
class GSM8KProblem:
    """One GSM8K problem with its gold solution."""

    problem_id: str
    question: str
    answer: str  # full gold solution text, ending with "#### <final answer>"
    final_answer: str  # the text after "####", stripped
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """The JSONL form this problem was read from (question, answer and extra keys)."""
        return {"question": self.question, "answer": self.answer, **self.extra}


def question_id(question: str) -> str:
    """Stable id of a GSM8K question: 16 hex digits of the SHA-256 of its text."""
    return hashlib.sha256(question.encode("utf-8")).hexdigest()[:16]


def final_answer_of(solution: str) -> str | None:
    """The text after the single ``####`` marker of a gold solution, or None if it has none."""
    if solution.count(GSM8K_ANSWER_MARKER) != 1:
        return None
    answer = solution.split(GSM8K_ANSWER_MARKER, 1)[1].strip()
    return answer or None


def parse_gsm8k_record(
    record: dict[str, Any], path: str | os.PathLike | None = None, line: int | None = None
) -> GSM8KProblem:
    """Validate one GSM8K line and return it as a :class:`GSM8KProblem`."""
    question = require_field(record, "question", str, path=path, line=line)
    answer = require_field(record, "answer", str, path=path, line=line)
    if not question.strip():
        raise location_error("field 'question' is empty", path, line)
    final_answer = final_answer_of(answer)
    if final_answer is None:
        message = f"field 'answer' should contain exactly one '{GSM8K_ANSWER_MARKER}' followed by the final answer"
        raise location_error(message, path, line)
    extra = {key: value for key, value in record.items() if key not in ("question", "answer")}
    return GSM8KProblem(question_id(question), question, answer, final_answer, extra)


def load_gsm8k(path: str | os.PathLike) -> list[GSM8KProblem]:
    """Read a GSM8K JSONL file; a bad line or a repeated question is a DataError naming the line."""
    problems: list[GSM8KProblem] = []
    first_line: dict[str, int] = {}
    for line, record in iter_jsonl(path):
        problem = parse_gsm8k_record(record, path, line)
        if problem.problem_id in first_line:
            message = f"question repeats the one on line {first_line[problem.problem_id]} (problem ids must be unique)"
            raise location_error(message, path, line)
        first_line[problem.problem_id] = line
        problems.append(problem)
    return problems
