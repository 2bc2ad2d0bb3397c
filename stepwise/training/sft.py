"""Generator fine-tuning (SFT) with trl's ``SFTTrainer`` on prompt-completion pairs,
and the demo's pretraining on plain texts.

Prompt-completion examples train on completion tokens only (trl labels prompt
tokens -100); ``{"text"}`` examples (trl's language-modelling format, the tiny
model's pretraining) train on every token. Checkpoints go to ``out_dir`` (or a
checkpoint folder of their own) and a restarted job resumes from the last one;
the final model and tokenizer are saved to ``out_dir``, an ordinary Hugging Face
folder, and the checkpoints are then removed. Launched with ``accelerate
launch`` on several GPUs, it trains data-parallel and the main process saves.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stepwise.io import DataError
from stepwise.models.lm import load_causal_lm
from stepwise.training.checkpoints import last_checkpoint, remove_checkpoints
from stepwise.training.lm import TrainingSettings, shared_training_arguments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SFTSettings(TrainingSettings):
    """Generator SFT hyper-parameters (Cobbe et al. fine-tune for 2 epochs).

    ``dropout`` goes to the model config's dropout attributes (attention dropout
    for Llama/Qwen2, which have no residual dropout). ``bf16``: None means "when
    a GPU supports it". ``packing`` uses trl's best-fit-decreasing packing, which
    is padding-free and keeps the completion-only loss; it needs an attention
    implementation that respects sequence boundaries from position ids.
    """

    epochs: float = 2.0
    warmup_ratio: float = 0.03
    lr_scheduler: str = "cosine"
    packing: bool = False


def check_sft_examples(examples: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """The examples' keys, ``("prompt", "completion")`` or ``("text",)`` (set by the first example);
    raise :class:`DataError` naming the example and key unless every example has them as strings
    and a non-empty last one."""
    if not examples:
        raise DataError("no SFT examples")
    keys = ("text",) if "text" in examples[0] else ("prompt", "completion")
    for index, example in enumerate(examples):
        for key in keys:
            if not isinstance(example.get(key), str):
                raise DataError(f"SFT example {index}: {key!r} must be a string, got {type(example.get(key)).__name__}")
        if not example[keys[-1]]:
            raise DataError(f"SFT example {index}: empty {keys[-1]!r}")
    return keys


def _trl_config(out_dir: str | os.PathLike, settings: SFTSettings):
    from trl import SFTConfig

    return SFTConfig(
        **shared_training_arguments(out_dir, settings),
        max_length=settings.max_length,
        gradient_checkpointing=False,  # trl turns it on by default; small models do not need it
        completion_only_loss=None,  # trl's choice: completion tokens of prompt-completion pairs, every token of texts
        packing=settings.packing,
        # Without packing, batches of similar length waste little compute on padding.
        train_sampling_strategy="random" if settings.packing else "group_by_length",
        include_num_input_tokens_seen="non_padding",
    )


def build_sft_trainer(
    model_dir: str | os.PathLike, examples: Sequence[dict[str, Any]], out_dir: str | os.PathLike, settings: SFTSettings
):
    """An ``SFTTrainer`` ready to train the model in ``model_dir`` on ``examples``.

    ``examples`` are ``{"prompt", "completion"}`` dicts, or ``{"text"}`` dicts
    for pretraining; trl appends the eos token to a completion or text that
    does not already end with it.
    """
    from datasets import Dataset
    from trl import SFTTrainer

    keys = check_sft_examples(examples)
    model, tokenizer = load_causal_lm(model_dir, settings.dropout)
    dataset = Dataset.from_list([{key: e[key] for key in keys} for e in examples])
    return SFTTrainer(
        model=model, args=_trl_config(out_dir, settings), train_dataset=dataset, processing_class=tokenizer
    )


def _tokens_seen_at(checkpoint: str | None) -> int:
    """Tokens a resumed run had already trained on (0 for a fresh run)."""
    from transformers import TrainerState

    if checkpoint is None:
        return 0
    return TrainerState.load_from_json(os.path.join(checkpoint, "trainer_state.json")).num_input_tokens_seen


def train_sft(
    model_dir: str | os.PathLike,
    examples: Sequence[dict[str, Any]],
    out_dir: str | os.PathLike,
    settings: SFTSettings = SFTSettings(),
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict[str, float]:
    """Fine-tune the causal LM in ``model_dir`` on ``examples``; save it to ``out_dir``.

    Checkpoints go to ``checkpoint_dir`` (default ``out_dir``), and training
    resumes from the last one there if a previous run left one; a separate
    ``checkpoint_dir`` is removed once the model is saved. Returns the training
    metrics, with ``tokens_per_second`` (non-padding tokens trained on by this
    run).
    """
    out_dir = Path(out_dir)
    checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else out_dir
    trainer = build_sft_trainer(model_dir, examples, checkpoint_dir, settings)
    checkpoint = last_checkpoint(checkpoint_dir)
    log.info(
        "SFT of %s on %d examples -> %s (%s)%s",
        model_dir,
        len(examples),
        out_dir,
        asdict(settings),
        f", resuming from {checkpoint}" if checkpoint else "",
    )
    tokens_before = _tokens_seen_at(checkpoint)  # read now: training rotates old checkpoints away
    metrics = dict(trainer.train(resume_from_checkpoint=checkpoint).metrics)
    tokens = trainer.state.num_input_tokens_seen - tokens_before
    metrics["tokens_per_second"] = tokens / metrics["train_runtime"] if metrics.get("train_runtime") else 0.0
    log.info(
        "SFT done: loss %.4f, %.0f s, %.0f tokens/s",
        metrics.get("train_loss", float("nan")),
        metrics.get("train_runtime", 0.0),
        metrics["tokens_per_second"],
    )
    trainer.save_model(str(out_dir))  # every process calls it; the main process writes
    if trainer.is_world_process_zero():
        trainer.processing_class.save_pretrained(str(out_dir))
        remove_checkpoints(checkpoint_dir, out_dir)
    return metrics
