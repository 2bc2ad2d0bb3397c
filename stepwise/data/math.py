"""MATH problems: MATH-500 and the MATH train split of openai/prm800k.

Each JSONL line holds ``problem``, ``solution`` (gold solution with a
``\\boxed{}`` answer), ``answer``, ``subject``, ``level`` and ``unique_id`` (for
example ``test/precalculus/807.json``), which is also the problem id. ``level``
is an integer 1-5 in these files; the original MATH spelling ``"Level 3"`` is
accepted too, and ``"Level ?"`` (a few original problems have no level) reads as
``None``. Other keys are kept in :attr:`MATHProblem.extra`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from stepwise.data import location_error, require_field
from stepwise.io import iter_jsonl

_LEVEL_TEXT = re.compile(r"Level (\d+|\?)")
_FIELDS = ("problem", "solution", "answer", "subject", "level", "unique_id")


@dataclass(frozen=True)
class MATHProblem:
    """One MATH problem with its gold solution and answer."""

    problem: str
    solution: str
    answer: str
    subject: str
    level: int | None
    unique_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def problem_id(self) -> str:
        """The problem id used across the workflow: MATH's ``unique_id``."""
        return self.unique_id

    def to_record(self) -> dict[str, Any]:
        """The JSONL form of this problem (``level`` as an integer or null)."""
        fields = {name: getattr(self, name) for name in _FIELDS}
        return {**fields, **self.extra}


def _parse_level(value: int | str, path: str | os.PathLike | None, line: int | None) -> int | None:
    if isinstance(value, int):
        level = value
    else:
        match = _LEVEL_TEXT.fullmatch(value.strip())
        if match is None:
            raise location_error(f"field 'level' should be an integer or 'Level N', got {value!r}", path, line)
        if match.group(1) == "?":
            return None
        level = int(match.group(1))
    if not 1 <= level <= 5:
        raise location_error(f"field 'level' should be between 1 and 5, got {level}", path, line)
    return level


def parse_math_record(
    record: dict[str, Any], path: str | os.PathLike | None = None, line: int | None = None
) -> MATHProblem:
    """Validate one MATH line and return it as a :class:`MATHProblem`."""
    texts = {
        name: require_field(record, name, str, path=path, line=line)
        for name in ("problem", "solution", "answer", "subject", "unique_id")
    }
    for name in ("problem", "unique_id"):
        if not texts[name].strip():
            raise location_error(f"field '{name}' is empty", path, line)
    level = _parse_level(require_field(record, "level", (int, str), path=path, line=line), path, line)
    extra = {key: value for key, value in record.items() if key not in _FIELDS}
    return MATHProblem(level=level, extra=extra, **texts)


def load_math(path: str | os.PathLike) -> list[MATHProblem]:
    """Read a MATH JSONL file; a bad line or a repeated ``unique_id`` is a DataError naming the line."""
    problems: list[MATHProblem] = []
    first_line: dict[str, int] = {}
    for line, record in iter_jsonl(path):
        problem = parse_math_record(record, path, line)
        if problem.unique_id in first_line:
            raise location_error(
                f"unique_id {problem.unique_id!r} repeats the one on line {first_line[problem.unique_id]}", path, line
            )
        first_line[problem.unique_id] = line
        problems.append(problem)
    return problems
