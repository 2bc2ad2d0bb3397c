"""Loading a causal language model for training or scoring: dropout, device and precision.

Shared by generator SFT, the outcome verifier and the process reward model, in
training and in scoring, so that every stage treats a model folder the same way.
"""

from __future__ import annotations

import logging
import os

import torch

log = logging.getLogger(__name__)

# Config attributes that hold a dropout probability, across common architectures
# (Llama/Qwen2 only have attention dropout; GPT-2 style models also have
# residual and embedding dropout).
DROPOUT_ATTRIBUTES = (
    "attention_dropout",
    "resid_pdrop",
    "embd_pdrop",
    "attn_pdrop",
    "hidden_dropout",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
)


def set_dropout(config, probability: float) -> list[str]:
    """Set every dropout attribute that ``config`` has to ``probability``; return their names."""
    if not 0.0 <= probability < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {probability}")
    text_config = config.get_text_config()
    found = [name for name in DROPOUT_ATTRIBUTES if hasattr(text_config, name)]
    for name in found:
        setattr(text_config, name, probability)
    if probability > 0 and not found:
        log.warning(
            "%s has no dropout setting; dropout %.2f is not applied to the model", type(config).__name__, probability
        )
    return found


def load_causal_lm(model_dir: str | os.PathLike, dropout: float | None = None):
    """The causal LM (float32) and tokenizer in ``model_dir``, with dropout set if given.

    A tokenizer without a pad token gets its eos token as pad token.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    config = AutoConfig.from_pretrained(model_dir)
    if dropout is not None:
        changed = set_dropout(config, dropout)
        log.info("dropout %.2f on %s", dropout, ", ".join(changed) or "nothing")
    model = AutoModelForCausalLM.from_pretrained(model_dir, config=config, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def default_device() -> torch.device:
    """The first CUDA device when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def bf16_available() -> bool:
    """Whether bf16 mixed precision is worth using: a CUDA GPU that supports it."""
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
