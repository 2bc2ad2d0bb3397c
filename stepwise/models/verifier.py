"""The token-level outcome verifier of Cobbe et al. (2021) as a model: a value head on every token.

Saved as the language model's Hugging Face folder (loadable on its own) plus
``value_head.safetensors`` and ``verifier.json``; trained by
:mod:`stepwise.training.verifier`, read by :mod:`stepwise.scoring.verifier`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stepwise.models.lm import load_causal_lm
from stepwise.models.reader import LanguageModelReader, read_settings, write_settings
from stepwise.training.verifier_config import VerifierSettings

HEAD_FILE = "value_head.safetensors"
CONFIG_FILE = "verifier.json"
KIND = "token_verifier"


class TokenVerifier(LanguageModelReader):
    """A causal LM with a scalar value head on the last hidden state of every token."""

    def __init__(self, lm: nn.Module, head_dropout: float = 0.0):
        super().__init__(lm)
        hidden_size = lm.config.get_text_config().hidden_size
        self.head_dropout = nn.Dropout(head_dropout)
        self.head = nn.Linear(hidden_size, 1)
        # Small initial values: the head starts near 0 without disturbing the LM.
        nn.init.normal_(self.head.weight, std=0.1 / hidden_size**0.5)
        nn.init.zeros_(self.head.bias)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, lm_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(values, lm_logits)``: the head's raw output per token ``[batch, seq]`` and, given a
        boolean ``lm_mask``, the next-token logits at those positions ``[n, vocab]`` (else None).

        The logits are computed here, inside the forward that data-parallel training
        wraps, so that an untied output layer counts as used once per step.
        """
        hidden = self.hidden_states(input_ids, attention_mask)
        values = self.head(self.head_dropout(hidden)).squeeze(-1)
        return values, None if lm_mask is None else self.next_token_logits(hidden[lm_mask])


def save_verifier(model: TokenVerifier, tokenizer, settings: VerifierSettings, out_dir: str | os.PathLike) -> None:
    """Write the LM folder, the head weights and ``verifier.json`` (written last: it marks a complete save)."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    model.lm.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    save_file(
        {name: tensor.detach().cpu().contiguous() for name, tensor in model.head.state_dict().items()},
        str(out_dir / HEAD_FILE),
    )
    write_settings(out_dir, CONFIG_FILE, KIND, settings)


def load_verifier(verifier_dir: str | os.PathLike) -> tuple[TokenVerifier, Any, VerifierSettings]:
    """``(model, tokenizer, settings)`` from a folder written by :func:`save_verifier`; model in eval mode."""
    from safetensors.torch import load_file

    verifier_dir = Path(verifier_dir)
    settings, _ = read_settings(verifier_dir, CONFIG_FILE, KIND, VerifierSettings)
    lm, tokenizer = load_causal_lm(verifier_dir)
    model = TokenVerifier(lm)
    model.head.load_state_dict(load_file(str(verifier_dir / HEAD_FILE)))
    return model.eval(), tokenizer, settings
