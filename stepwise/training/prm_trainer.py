"""Training the process reward model: step-labelled examples, their windows, the loss, the run.

**Labels and loss.** Each step's rating becomes a class
(:meth:`~stepwise.training.prm_config.PRMSettings.target`) placed at its marker
(see :mod:`stepwise.models.prm_inputs`). Training is cross-entropy on the
label-token logits at the markers only (the mean over the batch's labelled
steps): prompt and step tokens carry no loss, and there is no language-modelling
loss.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from stepwise.data.stepwise_formats import StepwiseExample, check_example
from stepwise.io import DataError
from stepwise.models.collate import RightPaddingCollator
from stepwise.models.lm import load_causal_lm
from stepwise.models.prm import (
    ProcessRewardModel,
    add_step_marker,
    label_token_ids,
    save_prm,
)
from stepwise.models.prm_inputs import encode_steps, step_windows
from stepwise.training.prm_config import PRMSettings
from stepwise.training.reward_model import train_with_loss

log = logging.getLogger(__name__)

RATINGS_KEY = "ratings"  # optional per-step PRM800K ratings (+1/0/-1) carried next to a record's labels
IGNORE_INDEX = -100  # positions without a label


def step_ratings(example: StepwiseExample) -> list[int]:
    """The example's per-step ratings: its ``ratings`` extra (+1/0/-1) if present, else its labels as +1/-1."""
    ratings = example.extra.get(RATINGS_KEY)
    if ratings is None:
        return [1 if label else -1 for label in example.labels]
    if not isinstance(ratings, list) or len(ratings) != len(example.steps):
        raise DataError(
            f"{RATINGS_KEY!r} must be a list with one rating per step ({len(example.steps)}), got {ratings!r}"
        )
    for number, (rating, label) in enumerate(zip(ratings, example.labels), start=1):
        if isinstance(rating, bool) or rating not in (-1, 0, 1):
            raise DataError(f"rating {number} must be -1, 0 or 1, got {rating!r}")
        if rating and label != (rating > 0):
            raise DataError(f"rating {number} is {rating} but label {number} is {label}")
    return list(ratings)


def check_prm_examples(examples: Sequence[StepwiseExample]) -> list[list[int]]:
    """Each example's ratings; :class:`DataError` naming the example unless all are well formed with hard labels."""
    if not examples:
        raise DataError("no PRM examples")
    all_ratings = []
    for index, example in enumerate(examples):
        try:
            if not isinstance(example, StepwiseExample):
                raise DataError(f"expected a StepwiseExample, got {type(example).__name__}")
            if example.is_soft:
                raise DataError("the PRM trains on hard labels; harden() soft labels first")
            check_example(example, allow_soft=False)
            all_ratings.append(step_ratings(example))
        except DataError as err:
            raise DataError(f"PRM example {index}: {err}") from None
    return all_ratings


def training_features(
    tokenizer,
    examples: Sequence[StepwiseExample],
    ratings: Sequence[Sequence[int]],
    settings: PRMSettings,
    marker_id: int,
) -> list[dict[str, list[int]]]:
    """One feature per window: ``input_ids`` and ``step_labels`` (the class at each marker, ignored elsewhere)."""
    features = []
    for index, (example, example_ratings) in enumerate(zip(examples, ratings)):
        try:
            encoded = encode_steps(tokenizer, example.prompt, example.steps, marker_id)
        except DataError as err:
            raise DataError(f"PRM example {index}: {err}") from None
        for start, end, steps in step_windows(encoded.step_ends, settings.max_length):
            labels = [IGNORE_INDEX] * (end - start)
            for step in steps:
                labels[encoded.step_ends[step] - start] = settings.target(example_ratings[step])
            features.append({"input_ids": encoded.input_ids[start:end], "step_labels": labels})
    return features


def step_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of the label-token logits at the labelled step ends (mean over the batch's steps)."""
    labels = batch["step_labels"]
    labelled = labels != IGNORE_INDEX
    logits = model(batch["input_ids"], batch["attention_mask"], labelled)
    return F.cross_entropy(logits.float(), labels[labelled])


def train_prm(
    model_dir: str | os.PathLike,
    examples: Sequence[StepwiseExample],
    out_dir: str | os.PathLike,
    settings: PRMSettings | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict[str, float]:
    """Train a PRM initialised from the causal LM in ``model_dir`` on step-labelled examples.

    Examples are :class:`StepwiseExample` (e.g. from
    :func:`stepwise.data.stepwise_formats.read_trl`), optionally with per-step
    ``ratings`` in their extras. Saves to ``out_dir`` (see
    :func:`~stepwise.models.prm.load_prm`) and returns the training
    metrics; checkpoints and resuming as in
    :func:`~stepwise.training.reward_model.train_with_loss`.
    """
    settings = settings if settings is not None else PRMSettings()
    ratings = check_prm_examples(examples)
    out_dir = Path(out_dir)
    lm, tokenizer = load_causal_lm(model_dir, settings.dropout)
    marker_id = add_step_marker(lm, tokenizer, settings.step_marker)
    model = ProcessRewardModel(lm, label_token_ids(tokenizer, settings))
    features = training_features(tokenizer, examples, ratings, settings, marker_id)
    counts = Counter(settings.label_tokens[settings.target(r)] for rs in ratings for r in rs)
    log.info(
        "PRM from %s on %d examples (%d windows), step targets %s (neutral=%s) -> %s",
        model_dir,
        len(examples),
        len(features),
        dict(counts),
        settings.neutral,
        out_dir,
    )
    collator = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"step_labels": IGNORE_INDEX})
    return train_with_loss(
        model,
        features,
        collator,
        step_loss,
        settings,
        out_dir,
        lambda: save_prm(model, tokenizer, settings, out_dir),
        checkpoint_dir,
    )
