"""Reading a classifier at marked tokens of solutions: one score per step, long solutions in windows.

Every PRM, the workflow's own and the public ones, is read the same way once a
solution is token ids plus the positions to read (one per step,
:class:`~stepwise.models.prm_inputs.EncodedSteps`): a *reader* module maps
``(input_ids, attention_mask, step_mask)`` to class logits at the marked
positions, and a step's score is the softmax probability of the classes that
mean "correct". A solution longer than ``max_length`` tokens is cut into
windows as in training (:func:`~stepwise.models.prm_inputs.step_windows`):
each ends at a marked position and reaches back as far as fits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import torch
from torch import nn

from stepwise.formats.steps import split_steps
from stepwise.io import DataError
from stepwise.models.collate import RightPaddingCollator
from stepwise.models.prm_inputs import EncodedSteps, step_windows
from stepwise.scoring.batches import score_in_batches

log = logging.getLogger(__name__)


def steps_to_score(text: str, step_format: str) -> list[str]:
    """The steps of a solution text (:func:`stepwise.formats.steps.split_steps`); an empty text is one empty step,
    so that every solution gets at least one score."""
    return split_steps(text, step_format) or [text]


def solution_steps(solutions: Sequence[str | Sequence[str]], step_format: str | None) -> list[list[str]]:
    """Every solution as its list of steps: a text is split with :func:`steps_to_score` in
    ``step_format`` ("prm800k" or "gsm8k"); a list of step texts is taken as it is."""
    all_steps = []
    for index, solution in enumerate(solutions):
        if isinstance(solution, str):
            if step_format is None:
                raise ValueError(f"solution {index} is a text; pass step_format to split it into steps")
            all_steps.append(steps_to_score(solution, step_format))
        elif not solution or not all(isinstance(step, str) for step in solution):
            raise DataError(f"solution {index} must be a text or a non-empty list of step texts, got {solution!r}")
        else:
            all_steps.append(list(solution))
    return all_steps


def read_marked_steps(
    reader: nn.Module,
    encoded: Sequence[EncodedSteps],
    correct_probability: Callable[[torch.Tensor], torch.Tensor],
    *,
    max_length: int,
    batch_size: int,
    pad_token_id: int,
    description: str,
    dtype: torch.dtype | None = None,
) -> list[list[float]]:
    """P(step correct) at every marked position of every solution, in input order.

    ``correct_probability`` maps class probabilities ``[n, n_classes]`` to
    ``[n]``. Windows of similar length share a batch; no gradients; on the GPU
    when there is one, in ``dtype`` (default: bf16 there, float32 on the CPU).
    """
    features, owners = [], []  # owners[i]: (solution, its steps) scored by feature i
    windowed = 0
    for index, solution in enumerate(encoded):
        windows = step_windows(solution.step_ends, max_length)
        windowed += len(windows) > 1 or (bool(windows) and windows[0][0] > 0)
        for start, end, window_steps in windows:
            mask = [0] * (end - start)
            for step in window_steps:
                mask[solution.step_ends[step] - start] = 1
            features.append({"input_ids": solution.input_ids[start:end], "step_mask": mask})
            owners.append((index, window_steps))
    if windowed:
        log.info(
            "%d of %d solutions are longer than max_length = %d tokens: scored in windows",
            windowed,
            len(encoded),
            max_length,
        )
    collator = RightPaddingCollator(pad_token_id, token_fields={"step_mask": 0})

    def scores(batch: dict[str, torch.Tensor]) -> list[list[float]]:
        mask = batch["step_mask"].bool()
        probabilities = reader(batch["input_ids"], batch["attention_mask"], mask).float().softmax(dim=-1)
        return [correct_probability(p).tolist() for p in probabilities.split(mask.sum(dim=1).tolist())]

    window_scores = score_in_batches(reader, features, collator, scores, batch_size, description, dtype)
    result = [[0.0] * len(solution.step_ends) for solution in encoded]
    for (index, window_steps), values in zip(owners, window_scores, strict=True):
        for step, value in zip(window_steps, values, strict=True):
            result[index][step] = value
    return result
