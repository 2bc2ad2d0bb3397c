"""Guides: scorers of partial solutions that steer a search, with a count of the tokens they forward.

One interface, ``score(problems, partial_solutions) -> list[float]`` (problems
are the problems' own texts, read as the guide's task prompts them), over

* a PRM the workflow trained (PRM800K, Math-Shepherd): the partial solution's
  steps scored as in :func:`stepwise.scoring.prm.score_steps`, aggregated so
  far (``last``, ``min``, ``prod``, ``mean``: :mod:`stepwise.selection.aggregate`);
* the token-level outcome verifier (:mod:`stepwise.scoring.verifier`): its value
  at the last token of the partial solution; a finished solution is read at
  its eos, as the verifier's score files read every sample.

Siblings share their parent's tokens: each group of candidates of one problem
with the same steps before their last is read with its common prefix
forwarded once (:mod:`stepwise.scoring.shared_prefix`; a PRM input longer
than its max length falls back to windows, read whole). ``forwarded_tokens``
counts each candidate's whole input, as a guide without the cache would read
it: the budget's accounting does not depend on the implementation.

The model loads on the first score, so that counting tokens
(:meth:`Guide.token_counts`, best-of-N's accounting) needs only the tokenizer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import torch
from transformers import AutoTokenizer

from stepwise.formats.steps import STEP_SEPARATOR
from stepwise.io import DataError
from stepwise.models import prm as prm_model
from stepwise.models import verifier
from stepwise.models.collate import encode_solution
from stepwise.models.prm_inputs import step_windows
from stepwise.models.reader import read_settings
from stepwise.scoring.marked import solution_steps
from stepwise.scoring.prm import correct_probability, encode_solutions, read_step_scores
from stepwise.scoring.shared_prefix import hidden_states_at
from stepwise.scoring.verifier import token_scores
from stepwise.selection.aggregate import aggregate_steps
from stepwise.training.prm_config import PRMSettings

GUIDE_KINDS = ("prm", "verifier")


class Guide:
    """A scorer of partial solutions (see the module docstring); subclasses encode and forward."""

    def __init__(self, folder: str | os.PathLike, task, batch_size: int):
        self.folder = folder
        self.task = task
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        if self.tokenizer.pad_token is None:  # as the guide's loader does (stepwise.models.lm)
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
        scores = self._forward(inputs, sibling_groups(problems, partial_solutions)) if inputs else []
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

    def _forward(self, inputs: list[Any], groups: list[list[int]]) -> list[float]:
        """The score of each input; ``groups``: indices of inputs likely to share a prefix."""
        raise NotImplementedError


def sibling_groups(problems: Sequence[str], solutions: Sequence[str]) -> list[list[int]]:
    """Indices of the partial solutions of one problem with the same text before their last step separator."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, (problem, solution) in enumerate(zip(problems, solutions, strict=True)):
        parent = solution.rsplit(STEP_SEPARATOR, 1)[0] if STEP_SEPARATOR in solution else ""
        groups.setdefault((problem, parent), []).append(index)
    return list(groups.values())


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

    @torch.no_grad()
    def _forward(self, encoded, groups):
        if max(len(e.input_ids) for e in encoded) > self.settings.max_length:
            step_scores = read_step_scores(
                self.model,
                self.tokenizer,
                self.settings,
                encoded,
                self.batch_size,
                self.neutral_is_correct,
                description="PRM guide",
            )
        else:
            hidden = hidden_states_at(
                self.model,
                [e.input_ids for e in encoded],
                groups,
                [e.step_ends for e in encoded],
                pad_token_id=self.tokenizer.pad_token_id,
                batch_size=self.batch_size,
            )
            step_scores = [
                correct_probability(
                    self.model.next_token_logits(states)[:, self.model.label_token_ids].float().softmax(dim=-1),
                    self.neutral_is_correct,
                ).tolist()
                for states in hidden
            ]
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

    @torch.no_grad()
    def _forward(self, features, groups):
        ids = [feature["input_ids"] for feature in features]
        hidden = hidden_states_at(
            self.model,
            ids,
            groups,
            [[len(sequence) - 1] for sequence in ids],
            pad_token_id=self.tokenizer.pad_token_id,
            batch_size=self.batch_size,
        )
        values = self.model.head(torch.cat(hidden)).squeeze(-1)
        return token_scores(values.float(), self.settings.loss).tolist()


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
