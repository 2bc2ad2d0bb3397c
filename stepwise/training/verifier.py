"""Training the token-level outcome verifier of Cobbe et al. (2021) (the model: :mod:`stepwise.models.verifier`).

The verifier is the generator's language model with a scalar head
(``Linear(hidden, 1)``) on every token's last hidden state. Trained on sampled
solutions labelled 1 (correct final answer) or 0, it predicts the label at every
solution token (question tokens are masked), with mean squared error (Cobbe's
choice) or binary cross-entropy on logits, jointly with the ordinary language
modelling loss on the same solution tokens weighted by ``lm_weight``.
Scores come from :func:`stepwise.scoring.verifier.score_solutions`.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from stepwise.io import DataError
from stepwise.models.collate import RightPaddingCollator, encode_solution
from stepwise.models.lm import load_causal_lm
from stepwise.models.verifier import TokenVerifier, save_verifier
from stepwise.training.reward_model import train_with_loss
from stepwise.training.verifier_config import BALANCE_MODES, VerifierSettings

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- training data


def check_verifier_examples(examples: Sequence[dict[str, Any]]) -> None:
    """Raise :class:`DataError` naming the example and key unless each has str ``prompt``,
    str ``completion`` and a ``label`` in [0, 1] (bool, 0/1, or a soft float)."""
    if not examples:
        raise DataError("no verifier examples")
    for index, example in enumerate(examples):
        for key in ("prompt", "completion"):
            if not isinstance(example.get(key), str):
                raise DataError(
                    f"verifier example {index}: {key!r} must be a string, got {type(example.get(key)).__name__}"
                )
        label = example.get("label")
        if isinstance(label, bool) or (isinstance(label, (int, float)) and 0 <= label <= 1):
            continue
        raise DataError(f"verifier example {index}: 'label' must be a bool or a number in [0, 1], got {label!r}")


def balance_examples(
    examples: Sequence[dict[str, Any]], mode: str, seed: int
) -> tuple[list[dict[str, Any]], list[float]]:
    """Examples and their loss weights so that correct (label >= 0.5) and wrong ones count equally.

    "weight": weight ``n / (2 n_class)`` per example; "subsample": a random
    subset with as many of each class; "within_prompt": only prompts that have
    both correct and wrong solutions, each class weighted to half of its
    prompt's examples (the verifier then cannot score by problem difficulty
    alone); "none": all examples, weight 1.
    """
    if mode == "within_prompt":
        return _balance_within_prompts(examples)
    correct = [e for e in examples if _is_correct(e)]
    wrong = [e for e in examples if not _is_correct(e)]
    if mode == "none" or not correct or not wrong:
        return list(examples), [1.0] * len(examples)
    if mode == "weight":
        weight = {True: len(examples) / (2 * len(correct)), False: len(examples) / (2 * len(wrong))}
        return list(examples), [weight[_is_correct(e)] for e in examples]
    if mode == "subsample":
        rng = random.Random(seed)
        size = min(len(correct), len(wrong))
        kept = rng.sample(correct, size) + rng.sample(wrong, size)
        rng.shuffle(kept)
        return kept, [1.0] * len(kept)
    raise ValueError(f"balance must be one of {BALANCE_MODES}, got {mode!r}")


def _is_correct(example: dict[str, Any]) -> bool:
    return float(example["label"]) >= 0.5


def _balance_within_prompts(examples: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[float]]:
    by_prompt: dict[str, list[dict[str, Any]]] = {}
    for example in examples:
        by_prompt.setdefault(example["prompt"], []).append(example)
    kept, weights = [], []
    for group in by_prompt.values():
        n_correct = sum(_is_correct(e) for e in group)
        if 0 < n_correct < len(group):
            kept += group
            weights += [len(group) / (2 * (n_correct if _is_correct(e) else len(group) - n_correct)) for e in group]
    if not kept:
        raise DataError("balance='within_prompt' needs prompts with both correct and wrong solutions; there are none")
    return kept, weights


def _features(
    tokenizer, examples: Sequence[dict[str, Any]], weights: Sequence[float], max_length: int
) -> list[dict[str, Any]]:
    features = []
    for example, weight in zip(examples, weights):
        encoded = encode_solution(tokenizer, example["prompt"], example["completion"], max_length)
        features.append(
            {
                "input_ids": encoded.input_ids,
                "solution_mask": encoded.solution_mask(),
                "label": float(example["label"]),
                "weight": weight,
            }
        )
    return features


def _collator(tokenizer) -> RightPaddingCollator:
    return RightPaddingCollator(
        tokenizer.pad_token_id, token_fields={"solution_mask": 0}, example_fields=("label", "weight")
    )


# ---------------------------------------------------------------- losses


def value_loss(values: torch.Tensor, batch: dict[str, torch.Tensor], loss: str) -> torch.Tensor:
    """Weighted mean over solution tokens of the head's error against the solution's label."""
    mask = batch["solution_mask"].to(values.dtype)
    targets = batch["label"][:, None].expand_as(values).to(values.dtype)
    if loss == "mse":
        per_token = (values - targets) ** 2
    else:
        per_token = F.binary_cross_entropy_with_logits(values, targets, reduction="none")
    token_weights = mask * batch["weight"][:, None].to(values.dtype)
    return (per_token * token_weights).sum() / token_weights.sum().clamp_min(1e-8)


def lm_positions(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Where the LM loss is taken: the positions whose next token is a solution token."""
    positions = torch.zeros_like(batch["solution_mask"], dtype=torch.bool)
    positions[:, :-1] = batch["solution_mask"][:, 1:].bool()
    return positions


def solution_lm_loss(lm_logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Next-token cross-entropy on the solution tokens, from the logits at :func:`lm_positions`."""
    return F.cross_entropy(lm_logits.float(), batch["input_ids"][:, 1:][batch["solution_mask"][:, 1:].bool()])


def verifier_loss(model: nn.Module, batch: dict[str, torch.Tensor], loss: str, lm_weight: float) -> torch.Tensor:
    """The verifier's value loss plus ``lm_weight`` times the LM loss on the solution tokens."""
    values, lm_logits = model(
        batch["input_ids"], batch["attention_mask"], lm_positions(batch) if lm_weight > 0 else None
    )
    total = value_loss(values, batch, loss)
    if lm_weight > 0:
        total = total + lm_weight * solution_lm_loss(lm_logits, batch)
    return total


def train_verifier(
    model_dir: str | os.PathLike,
    examples: Sequence[dict[str, Any]],
    out_dir: str | os.PathLike,
    settings: VerifierSettings,
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict[str, float]:
    """Train a token-level verifier initialised from the causal LM in ``model_dir``.

    ``examples`` are ``{"prompt", "completion", "label"}`` dicts (label 1 for a
    correct final answer). Saves to ``out_dir`` (see :func:`stepwise.models.verifier.load_verifier`) and
    returns the training metrics; checkpoints and resuming as in
    :func:`~stepwise.training.reward_model.train_with_loss`.
    """
    check_verifier_examples(examples)
    out_dir = Path(out_dir)
    from transformers import set_seed

    lm, tokenizer = load_causal_lm(model_dir, settings.dropout)
    # The head's initial weights are the one random draw before the Trainer seeds itself.
    set_seed(settings.seed)
    model = TokenVerifier(lm, settings.dropout)
    kept, weights = balance_examples(examples, settings.balance, settings.seed)
    n_correct = sum(_is_correct(e) for e in kept)
    log.info(
        "verifier from %s on %d examples (%d correct, balance=%s) -> %s",
        model_dir,
        len(kept),
        n_correct,
        settings.balance,
        out_dir,
    )
    return train_with_loss(
        model,
        _features(tokenizer, kept, weights, settings.max_length),
        _collator(tokenizer),
        lambda model, batch: verifier_loss(model, batch, settings.loss, settings.lm_weight),
        settings,
        out_dir,
        lambda: save_verifier(model, tokenizer, settings, out_dir),
        checkpoint_dir,
    )
