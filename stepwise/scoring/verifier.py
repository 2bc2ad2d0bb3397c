"""Solution scores from a trained token-level outcome verifier (:mod:`stepwise.models.verifier`).

A solution's score is the head's value at its final token (or the mean over its
solution tokens): a raw value for an MSE verifier, a probability for a BCE one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from stepwise.models.collate import (
    RightPaddingCollator,
    encode_solution,
    last_token_index,
)
from stepwise.models.verifier import TokenVerifier, load_verifier
from stepwise.scoring.batches import score_in_batches

REDUCTIONS = ("last", "mean")


def token_scores(values: torch.Tensor, loss: str) -> torch.Tensor:
    """Head outputs as scores: raw values for MSE, probabilities for BCE."""
    return torch.sigmoid(values) if loss == "bce" else values


@torch.no_grad()
def score_batch(model: TokenVerifier, batch: dict[str, torch.Tensor], loss: str, reduction: str) -> torch.Tensor:
    """One score per row of a collated batch: at the final real token, or the mean over solution tokens."""
    values, _ = model(batch["input_ids"], batch["attention_mask"])
    scores = token_scores(values.float(), loss)
    if reduction == "last":
        return scores.gather(1, last_token_index(batch["attention_mask"])[:, None]).squeeze(1)
    mask = batch["solution_mask"].to(scores.dtype)
    return (scores * mask).sum(1) / mask.sum(1).clamp_min(1)


def score_solutions(
    verifier_dir: str | os.PathLike,
    prompts: Sequence[str],
    completions: Sequence[str],
    batch_size: int = 32,
    reduction: str = "last",
) -> list[float]:
    """The verifier's score for each (prompt, completion) pair, in input order.

    ``reduction``: "last" is the value at the solution's final token (the eos,
    Cobbe et al.'s choice), "mean" the mean over solution tokens. MSE verifiers
    give raw values, BCE verifiers probabilities. Batched by similar length, no
    gradients, on the GPU when there is one.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
    model, tokenizer, settings = load_verifier(verifier_dir)
    encoded = [encode_solution(tokenizer, p, c, settings.max_length) for p, c in zip(prompts, completions)]
    features = [{"input_ids": e.input_ids, "solution_mask": e.solution_mask()} for e in encoded]
    collate = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"solution_mask": 0})

    def scores(batch: dict[str, torch.Tensor]) -> list[float]:
        return score_batch(model, batch, settings.loss, reduction).tolist()

    return score_in_batches(model, features, collate, scores, batch_size, "verifier scoring")
