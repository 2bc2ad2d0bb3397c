"""Sample records, and splitting a sampling job into shards and merging them back.

A sample record is one JSON object per generated solution::

    {"problem_id", "sample_id", "greedy", "text", "answer", "correct",
     "num_tokens", "finish_reason"}

``sample_id`` numbers a problem's samples from 0: the greedy sample first when
one is asked for (``greedy: true``), then the ``n`` sampled ones. Each shard
file is written atomically (a killed job leaves no file), so rerunning a job
redoes only the shards that are missing.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from stepwise.io import DataError, iter_jsonl, write_jsonl
from stepwise.sampling.base import Generation, Sampler, SamplingParams

log = logging.getLogger(__name__)

RECORD_KEYS = ("problem_id", "sample_id", "greedy", "text", "answer", "correct", "num_tokens", "finish_reason")


class Problem(NamedTuple):
    """A problem to sample: its id, the prompt to continue, and the reference answer."""

    problem_id: str
    prompt: str
    reference: str


def shard_slice(n_items: int, n_shards: int, index: int) -> range:
    """The items of shard ``index`` of ``n_shards``: a contiguous, balanced range.

    The first ``n_items % n_shards`` shards get one item more than the others,
    so sizes differ by at most one and the shards in order cover ``range(n_items)``
    exactly once. Deterministic: the same arguments give the same range.
    """
    if n_items < 0:
        raise ValueError(f"n_items must be >= 0, got {n_items}")
    if n_shards < 1:
        raise ValueError(f"n_shards must be >= 1, got {n_shards}")
    if not 0 <= index < n_shards:
        raise ValueError(f"shard index must be in [0, {n_shards}), got {index}")
    size, extra = divmod(n_items, n_shards)
    start = index * size + min(index, extra)
    return range(start, start + size + (index < extra))


def sample_records(
    sampler: Sampler,
    problems: Iterable[Problem | tuple[str, str, str]],
    params: SamplingParams,
    *,
    extract: Callable[[str], str | None],
    grade: Callable[[str, str], bool],
    greedy: bool = False,
    chunk_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Sample ``params.n`` solutions per problem (after one greedy one if ``greedy``).

    ``extract(text)`` gives the final answer (None if there is none) and
    ``grade(answer, reference)`` whether it is correct; a missing answer is
    incorrect. Problems are sampled ``chunk_size`` at a time (None: all in one
    call, best for vLLM) and records are yielded chunk by chunk.
    """
    problems = [Problem(*problem) for problem in problems]
    step = chunk_size or max(1, len(problems))
    greedy_params = dataclasses.replace(params, n=1, temperature=0.0)
    for start in range(0, len(problems), step):
        chunk = problems[start : start + step]
        log.info("sampling problems %d-%d of %d", start + 1, start + len(chunk), len(problems))
        prompts = [problem.prompt for problem in chunk]
        greedy_generations = sampler.generate(prompts, greedy_params) if greedy else [[] for _ in chunk]
        sampled_generations = sampler.generate(prompts, params)
        for problem, first, rest in zip(chunk, greedy_generations, sampled_generations):
            generations = [(True, g) for g in first] + [(False, g) for g in rest]
            for sample_id, (is_greedy, generation) in enumerate(generations):
                yield sample_record(problem, sample_id, is_greedy, generation, extract, grade)


def sample_record(
    problem: Problem,
    sample_id: int,
    greedy: bool,
    generation: Generation,
    extract: Callable[[str], str | None],
    grade: Callable[[str, str], bool],
) -> dict[str, Any]:
    """The record of one generation (see the module docstring for its keys)."""
    answer = extract(generation.text)
    return {
        "problem_id": problem.problem_id,
        "sample_id": sample_id,
        "greedy": greedy,
        "text": generation.text,
        "answer": answer,
        "correct": answer is not None and bool(grade(answer, problem.reference)),
        "num_tokens": generation.num_tokens,
        "finish_reason": generation.finish_reason,
    }


def sample_shard(
    sampler: Sampler,
    problems: Sequence[Problem | tuple[str, str, str]],
    params: SamplingParams,
    path: str | os.PathLike,
    *,
    n_shards: int,
    index: int,
    extract: Callable[[str], str | None],
    grade: Callable[[str, str], bool],
    greedy: bool = False,
) -> int:
    """Sample shard ``index`` of ``problems`` (see :func:`shard_slice`) into ``path``, atomically.

    Returns the number of records written.
    """
    items = shard_slice(len(problems), n_shards, index)
    log.info("shard %d/%d: problems %d to %d -> %s", index, n_shards, items.start, items.stop - 1, path)
    records = sample_records(sampler, [problems[i] for i in items], params, extract=extract, grade=grade, greedy=greedy)
    return write_jsonl(path, records)


def merge_shards(
    paths: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    samples_per_problem: int | None = None,
    problem_ids: Iterable[str] | None = None,
) -> int:
    """Concatenate shard files into ``out`` (atomically) after checking they are complete.

    Every record needs all of :data:`RECORD_KEYS`; no ``(problem_id, sample_id)``
    may repeat; every problem must have sample ids ``0 .. k-1`` with
    ``k = samples_per_problem`` (default: the largest count seen), and, if
    ``problem_ids`` is given, exactly those problems must be present. Any
    violation raises :class:`~stepwise.io.DataError` naming the file (and line).
    Returns the number of records written.
    """
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, Any], str] = {}
    for path in paths:
        if not os.path.exists(path):
            raise DataError("shard file is missing", path)
        for line, record in iter_jsonl(path):
            missing = [key for key in RECORD_KEYS if key not in record]
            if missing:
                raise DataError(f"sample record lacks {missing}", path, line)
            key = (record["problem_id"], record["sample_id"])
            if key in seen:
                raise DataError(f"duplicate (problem_id, sample_id) {key}, first seen at {seen[key]}", path, line)
            seen[key] = f"{path}:{line}"
            records.append(record)
    _check_complete(seen, samples_per_problem, problem_ids, paths)
    count = write_jsonl(out, records)
    log.info("merged %d shards: %d records -> %s", len(paths), count, out)
    return count


def _check_complete(
    seen: dict[tuple[Any, Any], str],
    samples_per_problem: int | None,
    problem_ids: Iterable[str] | None,
    paths: Sequence[str | os.PathLike],
) -> None:
    sample_ids: dict[Any, set[Any]] = {}
    for problem_id, sample_id in seen:
        sample_ids.setdefault(problem_id, set()).add(sample_id)
    where = f" (shards: {', '.join(str(p) for p in paths)})"
    if problem_ids is not None:
        expected = set(problem_ids)
        absent, unexpected = expected - sample_ids.keys(), sample_ids.keys() - expected
        if absent or unexpected:
            raise DataError(
                f"problems missing: {sorted(absent, key=str)[:10]}; "
                f"unexpected: {sorted(unexpected, key=str)[:10]}{where}"
            )
    if not sample_ids:
        return
    count = samples_per_problem or max(len(ids) for ids in sample_ids.values())
    full = set(range(count))
    for problem_id, ids in sample_ids.items():
        if ids != full:
            raise DataError(
                f"problem {problem_id!r} has sample ids {sorted(ids, key=str)[:20]}, expected 0..{count - 1}{where}"
            )
