"""ProcessBench (Zheng et al., 2024): solutions in steps, each labelled with its earliest wrong step.

A subset file (``gsm8k.json``, ``math.json``, ``olympiadbench.json``,
``omnimath.json``) is one JSON list of records
``{"id", "generator", "problem", "steps", "final_answer_correct", "label"}``;
``label`` is the index of the earliest wrong step, or -1 when every step is
right. The demo writes its own set in the same format (one JSON list per
subset), built from its test samples and their ground-truth step labels.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from stepwise.data import require_field
from stepwise.io import DataError

SUBSETS = ("gsm8k", "math", "olympiadbench", "omnimath")
NO_ERROR = -1


@dataclass(frozen=True)
class ProcessBenchRecord:
    """One solution: its problem, its steps and the index of its earliest wrong step (-1: none)."""

    id: str
    problem: str
    steps: tuple[str, ...]
    label: int
    generator: str = ""
    final_answer_correct: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "generator": self.generator,
            "problem": self.problem,
            "steps": list(self.steps),
            "final_answer_correct": self.final_answer_correct,
            "label": self.label,
        }


def parse_record(record: Any, path: str | os.PathLike, index: int) -> ProcessBenchRecord:
    """Validate one record of a subset file (``index``: its position in the list, for errors)."""
    where = f"record {index}"
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected an object, got {type(record).__name__}", path)
    record_id = require_field(record, "id", str, path=path, where=where)
    problem = require_field(record, "problem", str, path=path, where=where)
    steps = require_field(record, "steps", list, path=path, where=where)
    label = require_field(record, "label", int, path=path, where=where)
    if not steps or not all(isinstance(step, str) for step in steps):
        raise DataError(f"{where} ({record_id}): 'steps' must be a non-empty list of strings", path)
    if not NO_ERROR <= label < len(steps):
        raise DataError(f"{where} ({record_id}): 'label' {label} is not -1 or a step index below {len(steps)}", path)
    correct = record.get("final_answer_correct")
    if correct is not None and not isinstance(correct, bool):
        raise DataError(f"{where} ({record_id}): 'final_answer_correct' must be a boolean, got {correct!r}", path)
    generator = record.get("generator") or ""
    if not isinstance(generator, str):
        raise DataError(f"{where} ({record_id}): 'generator' must be a string, got {generator!r}", path)
    return ProcessBenchRecord(record_id, problem, tuple(steps), label, generator, correct)


def read_processbench(path: str | os.PathLike) -> list[ProcessBenchRecord]:
    """The records of one subset file; a malformed file or record is a :class:`DataError` naming it."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as error:
        raise DataError(f"not JSON ({error})", path) from None
    if not isinstance(data, list) or not data:
        raise DataError("expected a non-empty JSON list of records", path)
    records = [parse_record(record, path, index) for index, record in enumerate(data)]
    seen: set[str] = set()
    for index, record in enumerate(records):
        if record.id in seen:
            raise DataError(f"record {index}: id {record.id!r} appears twice", path)
        seen.add(record.id)
    return records


def write_processbench(records: list[ProcessBenchRecord], handle) -> None:
    """Write records as a subset file (one JSON list) to an open text handle."""
    json.dump([record.to_json() for record in records], handle, ensure_ascii=False, indent=1)
    handle.write("\n")
