"""Step scores from a trained process reward model: P(step correct) at every step end.

The model reads each solution as it did in training
(:mod:`stepwise.training.prm_inputs`); a step's score is the softmax over the
label tokens at its marker (:mod:`stepwise.training.prm_model`), P("+"), plus
P("0") with three classes when neutral counts as correct.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from stepwise.io import DataError
from stepwise.scoring.batches import score_in_batches
from stepwise.steps import split_steps
from stepwise.training.collate import RightPaddingCollator
from stepwise.training.prm_config import GOOD, NEUTRAL
from stepwise.training.prm_inputs import encode_steps, step_windows
from stepwise.training.prm_model import ProcessRewardModel, load_prm, single_token_id


def steps_to_score(text: str, step_format: str) -> list[str]:
    """The steps of a solution text (:func:`stepwise.steps.split_steps`); an empty text is one empty step,
    so that every solution gets at least one score."""
    return split_steps(text, step_format) or [text]


def class_probabilities(model: ProcessRewardModel, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """Per row of a collated batch, the class probabilities ``[n_marked, n_classes]`` at its marked steps, in order."""
    mask = batch["step_mask"].bool()
    probabilities = model(batch["input_ids"], batch["attention_mask"], mask).float().softmax(dim=-1)
    return list(probabilities.split(mask.sum(dim=1).tolist()))


def correct_probability(probabilities: torch.Tensor, neutral_is_correct: bool) -> torch.Tensor:
    """P(step correct) from class probabilities: P(good), plus P(neutral) when it counts as correct."""
    correct = probabilities[..., GOOD]
    if probabilities.shape[-1] > NEUTRAL and neutral_is_correct:
        correct = correct + probabilities[..., NEUTRAL]
    return correct


def score_steps(
    prm_dir: str | os.PathLike,
    prompts: Sequence[str],
    solutions: Sequence[str | Sequence[str]],
    batch_size: int = 32,
    *,
    step_format: str | None = None,
    neutral_is_correct: bool = True,
) -> list[list[float]]:
    """The PRM's P(step correct) for every step of every solution, in input order.

    A solution is its list of steps, or its text, split with
    :func:`steps_to_score` in ``step_format`` ("prm800k" or "gsm8k").
    With three classes P(correct) is P("+") + P("0") when ``neutral_is_correct``
    (Lightman et al.'s evaluation), else P("+"). Batched by similar length, no
    gradients, on the GPU when there is one.
    """
    if len(prompts) != len(solutions):
        raise ValueError(f"{len(prompts)} prompts but {len(solutions)} solutions")
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
    model, tokenizer, settings = load_prm(prm_dir)
    marker_id = single_token_id(tokenizer, settings.step_marker)
    features, owners = [], []  # owners[i]: (solution, its steps) scored by feature i
    for index, (prompt, steps) in enumerate(zip(prompts, all_steps)):
        try:
            encoded = encode_steps(tokenizer, prompt, steps, marker_id)
        except DataError as err:
            raise DataError(f"solution {index}: {err}") from None
        for start, end, window_steps in step_windows(encoded.step_ends, settings.max_length):
            mask = [0] * (end - start)
            for step in window_steps:
                mask[encoded.step_ends[step] - start] = 1
            features.append({"input_ids": encoded.input_ids[start:end], "step_mask": mask})
            owners.append((index, window_steps))
    collator = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"step_mask": 0})

    def scores(batch: dict[str, torch.Tensor]) -> list[list[float]]:
        return [correct_probability(p, neutral_is_correct).tolist() for p in class_probabilities(model, batch)]

    window_scores = score_in_batches(model, features, collator, scores, batch_size, "PRM step scoring")
    result = [[0.0] * len(steps) for steps in all_steps]
    for (index, window_steps), values in zip(owners, window_scores, strict=True):
        for step, value in zip(window_steps, values, strict=True):
            result[index][step] = value
    return result
