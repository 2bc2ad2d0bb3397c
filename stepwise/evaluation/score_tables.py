"""Score files: each scorer's scores of a sample set, in a file of its own, joined to the samples when read.

A score file has one JSON record per sample: its keys ``problem_id`` and
``sample_id`` and the scorer's columns (e.g. ``orm``, or a PRM's step scores
``prm800k_prm`` and its solution scores ``prm800k_prm_prod``, ...). Keeping
scores apart from the samples means a new scorer adds a file, and rescoring
rewrites only its own file. :class:`ScoreTable` joins score files to sample
records on ``(problem_id, sample_id)``; a sample without a score, a score
without a sample, a repeated key and a column in two files are errors that
name the file.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stepwise.data import require_field
from stepwise.io import DataError, iter_jsonl

KEYS = ("problem_id", "sample_id")


def score_record(sample: Mapping[str, Any], **columns: Any) -> dict[str, Any]:
    """A score file's record: the sample's keys and the scorer's columns."""
    return {key: sample[key] for key in KEYS} | columns


def sample_key(
    record: Mapping[str, Any], path: str | os.PathLike | None = None, line: int | None = None
) -> tuple[str, int]:
    """``(problem_id, sample_id)`` of a sample or score record; a missing or mistyped key is a DataError."""
    return (
        str(require_field(record, "problem_id", (str, int), path=path, line=line)),
        require_field(record, "sample_id", int, path=path, line=line),
    )


class ScoreTable:
    """The columns of several score files, by sample key (see the module docstring)."""

    def __init__(self, paths: Sequence[str | os.PathLike]):
        self.paths = [str(path) for path in paths]
        self._scores: list[dict[tuple[str, int], dict[str, Any]]] = []
        self._used: list[set[tuple[str, int]]] = []
        owner: dict[str, tuple[int, str]] = {}  # column -> the file that has it
        for index, path in enumerate(self.paths):
            scores: dict[tuple[str, int], dict[str, Any]] = {}
            for line, record in iter_jsonl(path):
                key = sample_key(record, path, line)
                if key in scores:
                    raise DataError(f"a second score for problem_id={key[0]!r}, sample_id={key[1]}", path, line)
                scores[key] = {name: value for name, value in record.items() if name not in KEYS}
                for name in scores[key]:
                    if owner.setdefault(name, (index, path))[0] != index:
                        raise DataError(f"column {name!r} is also in {owner[name][1]}", path, line)
            self._scores.append(scores)
            self._used.append(set())

    def join(
        self, sample: Mapping[str, Any], path: str | os.PathLike | None = None, line: int | None = None
    ) -> dict[str, Any]:
        """The sample record with every file's columns for its key added."""
        key = sample_key(sample, path, line)
        joined = dict(sample)
        for score_path, scores, used in zip(self.paths, self._scores, self._used):
            if key not in scores:
                where = f" ({path}:{line})" if path is not None else ""
                raise DataError(f"no score for the sample problem_id={key[0]!r}, sample_id={key[1]}{where}", score_path)
            joined.update(scores[key])
            used.add(key)
        return joined

    def check_all_joined(self, samples_path: str | os.PathLike | None = None) -> None:
        """Raise a DataError naming the file if a score file scores samples that were never joined."""
        for score_path, scores, used in zip(self.paths, self._scores, self._used):
            extra = [key for key in scores if key not in used]
            if extra:
                of = f" of {samples_path}" if samples_path is not None else ""
                raise DataError(
                    f"{len(extra)} scores for samples that are not among the samples{of}, "
                    f"e.g. problem_id={extra[0][0]!r}, sample_id={extra[0][1]}",
                    score_path,
                )


def join_score_files(samples_path: str | os.PathLike, score_paths: Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    """The sample records of ``samples_path`` with the columns of every score file joined."""
    table = ScoreTable(list(score_paths))
    records = [table.join(record, samples_path, line) for line, record in iter_jsonl(samples_path)]
    table.check_all_joined(samples_path)
    return records


def random_score(seed: int, problem_id: str, sample_id: int) -> float:
    """A score in [0, 1) drawn for one sample from its own seeded generator: the same for the same
    (seed, problem, sample) whatever else is scored or in which order (the chance baseline scorer)."""
    return random.Random(f"{seed}\x1f{problem_id}\x1f{sample_id}").random()
