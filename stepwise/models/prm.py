"""The process reward model (PRM) of Lightman et al. (2023): a causal LM read at step ends.

**Classes.** At each step-end marker the LM's next-token logits, restricted to
the label tokens ("+" correct, "-" wrong, and "0" neutral with three classes),
form a softmax over the classes. Restricting to the label tokens makes the
classifier exactly a C-way softmax: mass the LM puts on other tokens neither
costs loss nor leaks into a step's probability.

**The marker token.** By default a dedicated special token ``<|step_end|>`` is
added to the tokenizer, and the embedding matrix grows when the new id lies
beyond it; the new row starts at the mean of the existing embeddings. A
special token never comes out of tokenizing ordinary text, so no generated
solution can contain a stray step end, which neither a newline nor an existing
rare word can promise. A tokenizer that already has a single token spelled like
``step_marker`` (a model's reserved special token, or a marker from an earlier
PRM) uses it as it is.

Saved as the LM's Hugging Face folder (its tokenizer holds the marker; it loads
on its own) plus ``prm.json`` with the settings and the token ids.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from stepwise.io import DataError
from stepwise.models.lm import load_causal_lm
from stepwise.models.reader import LanguageModelReader, read_settings, write_settings
from stepwise.training.prm_config import PRMSettings

log = logging.getLogger(__name__)

CONFIG_FILE = "prm.json"
KIND = "process_reward_model"


class ProcessRewardModel(LanguageModelReader):
    """A causal LM read at step ends through the logits of its label tokens."""

    def __init__(self, lm: nn.Module, label_token_ids: Sequence[int]):
        super().__init__(lm)
        self.register_buffer("label_token_ids", torch.tensor(list(label_token_ids), dtype=torch.long), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, step_mask: torch.Tensor) -> torch.Tensor:
        """Label-token logits ``[n_steps, n_classes]`` at the positions where ``step_mask`` is true, row by row."""
        hidden = self.hidden_states(input_ids, attention_mask)
        return self.next_token_logits(hidden[step_mask.bool()])[:, self.label_token_ids]


# ---------------------------------------------------------------- tokens


def single_token_id(tokenizer, text: str) -> int | None:
    """The id of the one token spelled ``text`` (a vocabulary entry, or text that encodes to one token), else None."""
    vocabulary_id = tokenizer.get_vocab().get(text)
    if vocabulary_id is not None:
        return vocabulary_id
    ids = tokenizer.encode(text, add_special_tokens=False)
    return ids[0] if len(ids) == 1 else None


def label_token_ids(tokenizer, settings: PRMSettings) -> list[int]:
    """The ids of the label tokens, each of which must be a single token of the tokenizer."""
    ids = []
    for token in settings.label_tokens:
        token_id = single_token_id(tokenizer, token)
        if token_id is None:
            raise DataError(
                f"label token {token!r} is not a single token of this tokenizer; choose another in the PRM settings"
            )
        ids.append(token_id)
    if len(set(ids)) < len(ids):
        raise DataError(f"label tokens {settings.label_tokens} do not map to distinct token ids ({ids})")
    return ids


def add_step_marker(lm: nn.Module, tokenizer, marker: str) -> int:
    """The marker's token id; a marker the tokenizer lacks is added as a special token with a new embedding row."""
    existing = single_token_id(tokenizer, marker)
    if existing is not None:
        log.info("step marker %r is the tokenizer's token %d", marker, existing)
        return existing
    tokenizer.add_tokens([marker], special_tokens=True)
    marker_id = tokenizer.convert_tokens_to_ids(marker)
    if marker_id >= lm.get_input_embeddings().num_embeddings:
        lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    embeddings = lm.get_input_embeddings().weight
    with torch.no_grad():
        embeddings[marker_id] = embeddings[:marker_id].mean(dim=0)
    log.info("step marker %r added as special token %d (%d embedding rows)", marker, marker_id, embeddings.shape[0])
    return marker_id


# ---------------------------------------------------------------- saving and loading


def save_prm(model: ProcessRewardModel, tokenizer, settings: PRMSettings, out_dir: str | os.PathLike) -> None:
    """Write the LM folder and ``prm.json`` (written last: it marks a complete save)."""
    model.lm.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    write_settings(
        out_dir,
        CONFIG_FILE,
        KIND,
        settings,
        step_marker_id=single_token_id(tokenizer, settings.step_marker),
        label_token_ids=model.label_token_ids.tolist(),
    )


def load_prm(prm_dir: str | os.PathLike) -> tuple[ProcessRewardModel, Any, PRMSettings]:
    """``(model, tokenizer, settings)`` from a folder written by :func:`save_prm`; model in eval mode."""
    settings, stored = read_settings(prm_dir, CONFIG_FILE, KIND, PRMSettings)
    lm, tokenizer = load_causal_lm(prm_dir)
    ids = {
        "step_marker_id": single_token_id(tokenizer, settings.step_marker),
        "label_token_ids": label_token_ids(tokenizer, settings),
    }
    for key, value in ids.items():
        if stored.get(key) != value:
            raise DataError(f"{CONFIG_FILE} says {key} = {stored.get(key)} but the tokenizer gives {value}", prm_dir)
    return ProcessRewardModel(lm, ids["label_token_ids"]).eval(), tokenizer, settings
