"""Best-of-N with a guide, the search methods' baseline, from the task's existing samples and score file.

Per problem the first ``n`` sampled (non-greedy) test samples, by sample id,
and the one the guide scores highest (the first of ties). No new generation:
its generated tokens are those samples' ``num_tokens``, its scored tokens the
tokens the guide forwards to score them (finished solutions, read as its score
file was written). The guide's score of a sample comes from its score file:
a PRM's solution score column ``<name>_<aggregation>``, or its step scores
``<name>`` aggregated here; a verifier's column ``<name>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from stepwise.io import DataError, iter_jsonl
from stepwise.sampling.shards import RECORD_KEYS as SAMPLE_KEYS
from stepwise.search.guides import Guide
from stepwise.search.runner import SearchProblem
from stepwise.selection.aggregate import aggregate_steps


def guide_score(record: Mapping[str, Any], name: str, aggregation: str, path: str | os.PathLike, line: int) -> float:
    """A sample's guide score from its score-file record (see the module docstring)."""
    aggregated = f"{name}_{aggregation}"
    if aggregated in record:
        value = record[aggregated]
    elif isinstance(record.get(name), list):
        return aggregate_steps(record[name], aggregation, where=f"{path}:{line}")
    else:
        value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"no score column {aggregated!r} or {name!r} with a number (have {sorted(record)})", path, line)
    return float(value)


def best_of_n_records(
    problems: Sequence[SearchProblem],
    samples_path: str | os.PathLike,
    scores_path: str | os.PathLike,
    budgets: Sequence[int],
    guide: Guide,
    guide_name: str,
    aggregation: str,
) -> list[dict[str, Any]]:
    """One record per problem and budget (:mod:`stepwise.search.records`), problem by problem."""
    wanted = {problem.problem_id for problem in problems}
    sampled: dict[str, list[dict[str, Any]]] = {}
    for line, sample in iter_jsonl(samples_path):
        missing = [key for key in SAMPLE_KEYS if key not in sample]
        if missing:
            raise DataError(f"sample record lacks {missing}", samples_path, line)
        if sample["problem_id"] in wanted and not sample["greedy"]:
            sampled.setdefault(sample["problem_id"], []).append(sample)
    scores = {}
    for line, record in iter_jsonl(scores_path):
        if record.get("problem_id") in wanted:
            scores[(record["problem_id"], record.get("sample_id"))] = guide_score(
                record, guide_name, aggregation, scores_path, line
            )
    largest = max(budgets)
    chosen: list[tuple[SearchProblem, list[dict[str, Any]]]] = []
    for problem in problems:
        samples = sorted(sampled.get(problem.problem_id, []), key=lambda s: s["sample_id"])[:largest]
        if len(samples) < largest:
            raise DataError(
                f"problem {problem.problem_id!r} has {len(samples)} sampled solutions; best-of-{largest} "
                "needs that many",
                samples_path,
            )
        missing = [s["sample_id"] for s in samples if (problem.problem_id, s["sample_id"]) not in scores]
        if missing:
            raise DataError(
                f"no guide score for problem {problem.problem_id!r}, sample ids {missing[:10]}", scores_path
            )
        chosen.append((problem, samples))
    tokens = iter(
        guide.token_counts(
            [p.text for p, samples in chosen for _ in samples],
            [s["text"] for _, samples in chosen for s in samples],
            [True] * sum(len(samples) for _, samples in chosen),
        )
    )
    records = []
    for problem, samples in chosen:
        scored = [next(tokens) for _ in samples]
        for n in budgets:
            first = samples[:n]
            pick = max(range(n), key=lambda i: (scores[(problem.problem_id, first[i]["sample_id"])], -i))
            sample = first[pick]
            records.append(
                {
                    "problem_id": problem.problem_id,
                    "method": "best_of_n",
                    "n": n,
                    "answer": sample["answer"],
                    "correct": bool(sample["correct"]),
                    "score": scores[(problem.problem_id, sample["sample_id"])],
                    "text": sample["text"],
                    "finished": sum(s["finish_reason"] == "stop" for s in first),
                    "generated_tokens": sum(s["num_tokens"] for s in first),
                    "scored_tokens": sum(scored[:n]),
                }
            )
    return records
