"""The optimisation settings every training stage shares, and the ``TrainingArguments`` they make."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch

from stepwise.models.lm import bf16_available

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingSettings:
    """The optimisation settings every training stage shares (what
    :func:`shared_training_arguments` reads, plus ``max_length`` and
    ``dropout``); SFT, the verifier and the PRM add their own fields and
    defaults. ``save_steps`` says how often a checkpoint is written (how much a
    killed job redoes)."""

    epochs: float = 1.0
    learning_rate: float = 1e-5
    batch_size: int = 16
    gradient_accumulation_steps: int = 1
    max_length: int = 1024
    dropout: float = 0.0
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    lr_scheduler: str = "linear"
    seed: int = 0
    logging_steps: int = 10
    save_steps: int = 500
    bf16: bool | None = None


def shared_training_arguments(out_dir: str | os.PathLike, settings: TrainingSettings) -> dict[str, Any]:
    """TrainingArguments keywords that SFT and the reward models set alike from their settings.

    ``out_dir`` receives the checkpoints: one every ``save_steps`` steps and
    one at the end, only the newest kept (all a restarted job needs).
    """
    return dict(
        output_dir=str(out_dir),
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=1,
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        warmup_steps=settings.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=settings.weight_decay,
        lr_scheduler_type=settings.lr_scheduler,
        seed=settings.seed,
        data_seed=settings.seed,
        logging_steps=settings.logging_steps,
        bf16=bf16_available() if settings.bf16 is None else settings.bf16,
        report_to="none",
        dataloader_pin_memory=torch.cuda.is_available(),
    )
