"""What the outcome verifier and the process reward model share as models.

Both are a causal LM read through its last hidden states by a head of their
own, saved as the LM's Hugging Face folder plus a JSON file of settings
(:func:`write_settings`, :func:`read_settings`). Training
(:mod:`stepwise.training`) and scoring (:mod:`stepwise.scoring`) both use them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from stepwise.io import DataError, atomic_output

Settings = TypeVar("Settings")
Batch = dict[str, torch.Tensor]


class LanguageModelReader(nn.Module):
    """A causal LM whose last hidden states (and next-token logits of chosen states) are read by a head."""

    def __init__(self, lm: nn.Module):
        super().__init__()
        self.lm = lm

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The LM's last hidden state at every token ``[batch, seq, hidden]``."""
        return self.lm.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def next_token_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """The LM's next-token logits for (selected) hidden states: its output layer, nothing else."""
        return self.lm.get_output_embeddings()(hidden)


def write_settings(out_dir: str | os.PathLike, file_name: str, kind: str, settings: Any, **extra: Any) -> None:
    """Write ``{"kind", "settings", **extra}`` as JSON; write it last, as it marks a complete save."""
    with atomic_output(Path(out_dir) / file_name) as handle:
        json.dump({"kind": kind, "settings": asdict(settings), **extra}, handle, indent=2)


def read_settings(
    model_dir: str | os.PathLike, file_name: str, kind: str, settings_class: type[Settings]
) -> tuple[Settings, dict[str, Any]]:
    """``(settings, stored JSON)`` from a folder written with :func:`write_settings`.

    A missing file, or one of another kind of model, is a :class:`DataError`
    naming the folder. Settings unknown to ``settings_class`` are ignored
    (a folder saved by an older version still loads).
    """
    path = Path(model_dir) / file_name
    if not path.is_file():
        raise DataError(f"not a {kind} folder (no {file_name})", model_dir)
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("kind", kind) != kind:
        raise DataError(f"{file_name} describes a {stored['kind']!r}, not a {kind!r}", model_dir)
    known = {field.name for field in fields(settings_class)}
    settings = settings_class(**{k: v for k, v in stored.get("settings", {}).items() if k in known})
    return settings, stored
