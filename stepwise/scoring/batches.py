"""Scoring with a trained verifier or PRM: batches of similar length, no gradients, on the GPU when there is one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from stepwise.models.collate import RightPaddingCollator
from stepwise.models.lm import bf16_available, default_device
from stepwise.models.reader import Batch


def scoring_dtype() -> torch.dtype:
    """The default scoring precision: bf16 on a GPU that supports it, else float32."""
    return torch.bfloat16 if bf16_available() else torch.float32


def on_scoring_device(model: nn.Module, dtype: torch.dtype | None = None) -> torch.device:
    """Move ``model`` to the GPU or keep it on the CPU, in ``dtype`` (default :func:`scoring_dtype`); return the
    device."""
    device = default_device()
    model.to(device, dtype=dtype or scoring_dtype())
    return device


def score_in_batches(
    model: nn.Module,
    features: Sequence[dict[str, Any]],
    collator: RightPaddingCollator,
    score_batch: Callable[[Batch], Sequence[Any]],
    batch_size: int,
    description: str,
    dtype: torch.dtype | None = None,
) -> list[Any]:
    """``score_batch``'s result for every feature, in input order.

    Features are batched by similar length (little padding), moved to the
    scoring device in ``dtype`` (see :func:`on_scoring_device`) and scored without gradients;
    ``score_batch`` returns one result per row of a collated batch.
    """
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = on_scoring_device(model, dtype)
    order = sorted(range(len(features)), key=lambda i: len(features[i]["input_ids"]))
    results: list[Any] = [None] * len(features)
    with torch.no_grad():
        for start in tqdm(range(0, len(order), batch_size), desc=description, unit="batch"):
            rows = order[start : start + batch_size]
            batch = {key: value.to(device) for key, value in collator([features[i] for i in rows]).items()}
            for row, result in zip(rows, score_batch(batch), strict=True):
                results[row] = result
    return results
