"""Step scores from a trained process reward model: P(step correct) at every step end.

The model reads each solution as it did in training
(:mod:`stepwise.models.prm_inputs`); a step's score is the softmax over the
label tokens at its marker (:mod:`stepwise.models.prm`), P("+"), plus
P("0") with three classes when neutral counts as correct.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from stepwise.io import DataError
from stepwise.models.prm import load_prm, single_token_id
from stepwise.models.prm_inputs import encode_steps
from stepwise.scoring.marked import read_marked_steps, solution_steps
from stepwise.training.prm_config import GOOD, NEUTRAL


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
    model, tokenizer, settings = load_prm(prm_dir)
    encoded = encode_solutions(tokenizer, settings, prompts, solution_steps(solutions, step_format))
    return read_step_scores(model, tokenizer, settings, encoded, batch_size, neutral_is_correct)


def encode_solutions(tokenizer, settings, prompts: Sequence[str], all_steps: Sequence[Sequence[str]]) -> list:
    """Each prompt and its steps as the PRM reads them (:func:`~stepwise.models.prm_inputs.encode_steps`,
    with the PRM's step marker); an error names the solution."""
    marker_id = single_token_id(tokenizer, settings.step_marker)
    encoded = []
    for index, (prompt, steps) in enumerate(zip(prompts, all_steps, strict=True)):
        try:
            encoded.append(encode_steps(tokenizer, prompt, steps, marker_id))
        except DataError as err:
            raise DataError(f"solution {index}: {err}") from None
    return encoded


def read_step_scores(
    model,
    tokenizer,
    settings,
    encoded: Sequence,
    batch_size: int,
    neutral_is_correct: bool,
    description: str = "PRM step scoring",
) -> list[list[float]]:
    """P(step correct) at every step end of :func:`encode_solutions`' inputs, in windows of the PRM's max length."""
    return read_marked_steps(
        model,
        encoded,
        lambda p: correct_probability(p, neutral_is_correct),
        max_length=settings.max_length,
        batch_size=batch_size,
        pad_token_id=tokenizer.pad_token_id,
        description=description,
    )
