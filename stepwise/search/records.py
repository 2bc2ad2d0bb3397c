"""Search records: one JSON line per (problem, method, budget), the contract with the analysis.

Keys::

    {"problem_id": str, "method": "beam_search" | "dvts" | "best_of_n" | "lookahead", "n": int,
     "answer": str | null, "correct": bool, "score": float | null, "text": str | null,
     "finished": int, "generated_tokens": int, "scored_tokens": int}

``text`` is the chosen solution (without the prompt), ``score`` the guide's
score of it, ``answer`` its final answer (all null when no candidate
finished: then ``correct`` is false); ``finished`` counts the finished
candidates the method found; the token counts are the problem's compute
(:mod:`stepwise.search.runner`, whose ``search_record`` makes them, :mod:`stepwise.search.best_of_n`). Files are
written atomically; reading checks every record and names the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from stepwise.io import DataError, iter_jsonl, write_jsonl

METHODS = ("beam_search", "dvts", "best_of_n", "lookahead")
RECORD_KEYS = (
    "problem_id",
    "method",
    "n",
    "answer",
    "correct",
    "score",
    "text",
    "finished",
    "generated_tokens",
    "scored_tokens",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def record_problem(record: Any) -> str | None:
    """What is wrong with a search record, or None when it keeps the contract."""
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    missing = [key for key in RECORD_KEYS if key not in record]
    unknown = sorted(set(record) - set(RECORD_KEYS))
    if missing or unknown:
        return f"search record lacks {missing} / has unknown keys {unknown}"
    checks = {
        "problem_id": isinstance(record["problem_id"], str),
        "method": record["method"] in METHODS,
        "n": _is_int(record["n"]) and record["n"] >= 1,
        "answer": record["answer"] is None or isinstance(record["answer"], str),
        "correct": isinstance(record["correct"], bool) and (record["answer"] is not None or not record["correct"]),
        "score": record["score"] is None
        or (isinstance(record["score"], (int, float)) and not isinstance(record["score"], bool)),
        "text": record["text"] is None or isinstance(record["text"], str),
        **{key: _is_int(record[key]) and record[key] >= 0 for key in ("finished", "generated_tokens", "scored_tokens")},
    }
    bad = [key for key, ok in checks.items() if not ok]
    if bad:
        return "bad value(s): " + ", ".join(f"{key}={record[key]!r}" for key in bad)
    return None


def write_search_records(path: str | os.PathLike, records: Iterable[dict[str, Any]]) -> int:
    """Write search records atomically (a killed job leaves no file); returns how many. A bad record is a DataError."""
    checked = []
    for number, record in enumerate(records, start=1):
        problem = record_problem(record)
        if problem:
            raise DataError(f"search record {number} to write: {problem}", path)
        checked.append(record)
    return write_jsonl(path, checked)


def read_search_records(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every search record of a file, checked; a bad or repeated (problem_id, method, n) is a DataError at its line."""
    records, seen = [], {}
    for line, record in iter_jsonl(path):
        problem = record_problem(record)
        if problem:
            raise DataError(problem, path, line)
        key = (record["problem_id"], record["method"], record["n"])
        if key in seen:
            raise DataError(
                f"a second record for problem_id={key[0]!r}, method={key[1]}, n={key[2]} (first at line {seen[key]})",
                path,
                line,
            )
        seen[key] = line
        records.append(record)
    return records
