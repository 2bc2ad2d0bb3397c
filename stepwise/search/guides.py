"""Guides: scorers of partial solutions that steer a search, with a count of the tokens they forward.

One interface, ``score(problems, partial_solutions) -> list[float]`` (problems
are the problems' own texts, read as the guide's task prompts them), over

* a PRM the workflow trained (PRM800K, Math-Shepherd): the partial solution's
  steps scored as in :func:`stepwise.scoring.prm.score_steps`, aggregated so
  far (``last``, ``min``, ``prod``, ``mean``: :mod:`stepwise.selection.aggregate`);
* the token-level outcome verifier (:mod:`stepwise.scoring.verifier`): its value
  at the last token of the partial solution; a finished solution is read at
  its eos, as the verifier's score files read every sample.

The model loads on the first score, so that counting tokens
(:meth:`Guide.token_counts`, best-of-N's accounting) needs only the tokenizer.
``forwarded_tokens`` adds up every token the guide has forwarded (a long PRM
input scored in windows counts each window).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from transformers import AutoTokenizer

from stepwise.io import DataError
from stepwise.scoring.batches import score_in_batches
from stepwise.scoring.marked import solution_steps
from stepwise.scoring.prm import encode_solutions, read_step_scores
from stepwise.scoring.verifier import score_batch
from stepwise.selection.aggregate import aggregate_steps
from stepwise.training import prm_model, verifier
from stepwise.training.collate import RightPaddingCollator, encode_solution
from stepwise.training.prm_config import PRMSettings
from stepwise.training.prm_inputs import step_windows
from stepwise.training.reward_model import read_settings

GUIDE_KINDS = ("prm", "verifier")


class Guide:
    """A scorer of partial solutions (see the module docstring); subclasses encode and forward."""

    def __init__(self, folder: str | os.PathLike, task, batch_size: int):
        self.folder = folder
        self.task = task
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        if self.tokenizer.pad_token is None:  # as the guide's loader does (stepwise.training.lm)
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.forwarded_tokens = 0

    def score(
        self, problems: Sequence[str], partial_solutions: Sequence[str], finished: Sequence[bool] | None = None
    ) -> list[float]:
        """The guide's score of each partial solution (``finished``: which are whole solutions)."""
        return self.evaluate(problems, partial_solutions, finished)[0]

    def evaluate(
        self, problems: Sequence[str], partial_solutions: Sequence[str], finished: Sequence[bool] | None = None
    ) -> tuple[list[float], list[int]]:
        """``(scores, tokens forwarded for each)``; adds the tokens to ``forwarded_tokens``."""
        inputs, tokens = self._checked_encode(problems, partial_solutions, finished)
        scores = self._forward(inputs) if inputs else []
        self.forwarded_tokens += sum(tokens)
        return scores, tokens

    def token_counts(
        self, problems: Sequence[str], solutions: Sequence[str], finished: Sequence[bool] | None = None
    ) -> list[int]:
        """The tokens the guide would forward to score each solution (no model needed)."""
        return self._checked_encode(problems, solutions, finished)[1]

    def _checked_encode(self, problems, solutions, finished) -> tuple[list[Any], list[int]]:
        if len(problems) != len(solutions):
            raise ValueError(f"{len(problems)} problems but {len(solutions)} solutions")
        return self._encode(problems, solutions, finished)

    def _encode(self, problems, solutions, finished) -> tuple[list[Any], list[int]]:
        """The model's inputs for each solution, and the tokens each forwards."""
        raise NotImplementedError

    def _forward(self, inputs: list[Any]) -> list[float]:
        raise NotImplementedError


class PRMGuide(Guide):
    """A trained PRM's step scores of a partial solution so far, aggregated (``last`` by default)."""

    def __init__(
        self,
        folder: str | os.PathLike,
        task,
        batch_size: int,
        *,
        step_format: str,
        aggregation: str = "last",
        neutral_is_correct: bool = True,
    ):
        super().__init__(folder, task, batch_size)
        self.settings, _ = read_settings(folder, prm_model.CONFIG_FILE, prm_model.KIND, PRMSettings)
        self.step_format = step_format
        self.aggregation = aggregation
        self.neutral_is_correct = neutral_is_correct
        aggregate_steps([1.0], aggregation)  # an unknown aggregation fails now, not after the first step

    @cached_property
    def model(self):
        return prm_model.load_prm(self.folder)[0]

    def _encode(self, problems, solutions, finished):
        encoded = encode_solutions(
            self.tokenizer,
            self.settings,
            [self.task.prompt(p) for p in problems],
            solution_steps(solutions, self.step_format),
        )
        tokens = [
            sum(end - start for start, end, _ in step_windows(e.step_ends, self.settings.max_length)) for e in encoded
        ]
        return encoded, tokens

    def _forward(self, encoded):
        step_scores = read_step_scores(
            self.model,
            self.tokenizer,
            self.settings,
            encoded,
            self.batch_size,
            self.neutral_is_correct,
            description="PRM guide",
        )
        return [aggregate_steps(scores, self.aggregation) for scores in step_scores]


class VerifierGuide(Guide):
    """The token-level outcome verifier's value at a partial solution's last token (a finished one's eos)."""

    def __init__(self, folder: str | os.PathLike, task, batch_size: int):
        super().__init__(folder, task, batch_size)
        self.settings, _ = read_settings(folder, verifier.CONFIG_FILE, verifier.KIND, verifier.VerifierSettings)

    @cached_property
    def model(self):
        return verifier.load_verifier(self.folder)[0]

    def _encode(self, problems, solutions, finished):
        finished = [False] * len(solutions) if finished is None else finished
        features = []
        for problem, solution, whole in zip(problems, solutions, finished, strict=True):
            ids = encode_solution(
                self.tokenizer, self.task.prompt(problem), solution, self.settings.max_length
            ).input_ids
            # encode_solution appends eos to a solution; a partial one is read at its own last token
            appended_eos = ids[-1] == self.tokenizer.eos_token_id and not solution.endswith(self.tokenizer.eos_token)
            features.append({"input_ids": ids[:-1] if appended_eos and not whole else ids})
        return features, [len(feature["input_ids"]) for feature in features]

    def _forward(self, features):
        collate = RightPaddingCollator(self.tokenizer.pad_token_id)
        return score_in_batches(
            self.model,
            features,
            collate,
            lambda batch: score_batch(self.model, batch, self.settings.loss, "last").tolist(),
            self.batch_size,
            "verifier guide",
        )


def guide_from_settings(
    folder: str | os.PathLike, task, guide: Mapping[str, Any], *, step_format: str, aggregation: str
) -> Guide:
    """The guide in ``folder`` from the settings' ``guide`` entry: its ``kind`` (prm, verifier), ``batch_size``
    and, for a PRM, ``neutral_is_correct``; ``aggregation``: how a PRM's step scores so far make one score."""
    from stepwise.cli import required

    kind, batch_size = required(guide, "kind", "batch_size", where="--settings guide")
    if kind == "prm":
        (neutral_is_correct,) = required(guide, "neutral_is_correct", where="--settings guide")
        return PRMGuide(
            folder,
            task,
            batch_size,
            step_format=step_format,
            aggregation=aggregation,
            neutral_is_correct=neutral_is_correct,
        )
    if kind == "verifier":
        return VerifierGuide(folder, task, batch_size)
    raise DataError(f"--settings guide: unknown kind {kind!r}; expected one of {GUIDE_KINDS}")
