"""How the outcome verifier and the process reward model train alike.

Both (:mod:`stepwise.models.reader`) train with their own loss on transformers'
``Trainer``, checkpointed and resumed like generator SFT and data-parallel under
``accelerate launch``; :mod:`stepwise.training.verifier` and
:mod:`stepwise.training.prm_trainer` add their losses and features.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stepwise.models.collate import RightPaddingCollator
from stepwise.training.checkpoints import last_checkpoint, remove_checkpoints
from stepwise.training.lm import shared_training_arguments

log = logging.getLogger(__name__)

Batch = dict[str, torch.Tensor]


# ---------------------------------------------------------------- training


def train_with_loss(
    model: nn.Module,
    features: Sequence[dict[str, Any]],
    collator: RightPaddingCollator,
    loss: Callable[[nn.Module, Batch], torch.Tensor],
    settings: Any,
    out_dir: str | os.PathLike,
    save: Callable[[], None],
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict[str, float]:
    """Train ``model`` with transformers' ``Trainer`` on ``loss(model, batch)``; return the metrics.

    ``settings`` carries the fields :func:`shared_training_arguments` reads;
    batches are random draws of the (seeded) data order. Checkpoints go to
    ``checkpoint_dir`` (default ``out_dir``) and training resumes from the last
    one there. Afterwards the main process alone calls ``save()``, which writes
    the model to ``out_dir``, and removes the checkpoints (see
    :func:`~stepwise.training.checkpoints.remove_checkpoints`).
    """
    from transformers import Trainer, TrainingArguments
    from transformers.utils import SAFE_WEIGHTS_NAME

    class LossTrainer(Trainer):
        loss_is_scaled_for_ga = False  # ``loss`` is a per-batch mean; the Trainer divides by the accumulation steps

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            value = loss(model, inputs)
            return (value, {}) if return_outputs else value

        # The Trainer saves a model that is not a PreTrainedModel as its plain state dict, which
        # safetensors refuses when tensors are shared (an LM's tied input and output embeddings);
        # safetensors' own model functions store a shared tensor once and restore it on load.
        def _save(self, output_dir=None, state_dict=None):
            from safetensors.torch import save_model

            output_dir = Path(output_dir or self.args.output_dir)
            output_dir.mkdir(parents=True, exist_ok=True)
            save_model(bare_model(self.model), str(output_dir / SAFE_WEIGHTS_NAME), metadata={"format": "pt"})

        def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
            from safetensors.torch import load_model

            model = bare_model(self.model if model is None else model)
            load_model(model, str(Path(resume_from_checkpoint) / SAFE_WEIGHTS_NAME))

    out_dir = Path(out_dir)
    checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else out_dir
    # Batches are drawn at random, not grouped by length: in step-labelled data length goes with the
    # labels (PRM800K's phase 2 stops at the first wrong step), and length-grouped batches of mostly
    # one label kept the demo's PRM at the loss of the label prior (0.68 vs 0.20 at random; AUROC 43%).
    args = TrainingArguments(**shared_training_arguments(checkpoint_dir, settings), remove_unused_columns=False)
    trainer = LossTrainer(model=model, args=args, train_dataset=list(features), data_collator=collator)
    checkpoint = last_checkpoint(checkpoint_dir)
    if checkpoint:
        log.info("resuming from %s", checkpoint)
    metrics = dict(trainer.train(resume_from_checkpoint=checkpoint).metrics)
    if trainer.is_world_process_zero():
        save()
        remove_checkpoints(checkpoint_dir, out_dir)
    return metrics


def bare_model(model: nn.Module) -> nn.Module:
    """The model inside a distributed or compiled wrapper (itself when unwrapped)."""
    from accelerate.utils import extract_model_from_parallel

    return extract_model_from_parallel(model)
