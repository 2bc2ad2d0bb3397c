"""Tokenisation, masking and padding shared by the outcome verifier and the process reward model.

An example is a prompt followed by a solution (the completion), optionally made
of segments (the steps a process reward model labels). The prompt and the
solution are tokenized separately and concatenated, so the boundary between
them is exact whatever the tokenizer merges, and the prompt's token ids are the
ones a sampler feeds the generator. The solution ends with the eos token, so its
final token (where an outcome verifier is read) has seen the whole solution.

Batches are right-padded: real tokens sit at the same positions whether an
example is scored alone or in a batch, and the final real token of row ``i`` is
at ``attention_mask[i].sum() - 1``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodedSolution:
    """Token ids of prompt + solution.

    ``solution_start`` is the index of the first solution token;
    ``segment_ends[k]`` is the index of the last token of segment ``k`` (for a
    solution given as one string, the single segment ends at the last token,
    the eos). Segments cut off by truncation are left out.
    """

    input_ids: list[int]
    solution_start: int
    segment_ends: list[int]

    def solution_mask(self) -> list[int]:
        """1 on solution tokens, 0 on prompt tokens."""
        return [0] * self.solution_start + [1] * (len(self.input_ids) - self.solution_start)


def _segment_token_ends(offsets: Sequence[tuple[int, int]], char_ends: Sequence[int]) -> list[int]:
    """For each segment's end character, the index of the last token starting before it."""
    ends, token = [], 0
    for char_end in char_ends:
        while token < len(offsets) and offsets[token][0] < char_end:
            token += 1
        ends.append(token - 1)
    return ends


def encode_solution(
    tokenizer,
    prompt: str,
    solution: str | Sequence[str],
    max_length: int | None = None,
) -> EncodedSolution:
    """Tokenize ``prompt`` and ``solution`` (a string or its segments) and append eos.

    An eos is added unless the solution text already ends with the eos token.
    Longer than ``max_length``: the start of the prompt is dropped (the end of
    the solution, where the verdict is read, is kept); if the solution alone is
    longer, its end is dropped instead.
    """
    segments = [solution] if isinstance(solution, str) else list(solution)
    text = "".join(segments)
    prompt_ids = tokenizer(prompt)["input_ids"]
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    solution_ids, offsets = list(encoded["input_ids"]), list(encoded["offset_mapping"])
    if not text.endswith(tokenizer.eos_token):
        solution_ids.append(tokenizer.eos_token_id)
        offsets.append((len(text), len(text)))
    char_ends, total = [], 0
    for segment in segments:
        total += len(segment)
        char_ends.append(total)
    segment_ends = _segment_token_ends(offsets, char_ends)
    segment_ends[-1] = len(solution_ids) - 1  # the last segment owns the eos
    return _truncate(prompt_ids, solution_ids, segment_ends, max_length)


def _truncate(
    prompt_ids: list[int], solution_ids: list[int], segment_ends: list[int], max_length: int | None
) -> EncodedSolution:
    input_ids = prompt_ids + solution_ids
    ends = [len(prompt_ids) + end for end in segment_ends]
    if max_length is None or len(input_ids) <= max_length:
        return EncodedSolution(input_ids, len(prompt_ids), ends)
    if len(solution_ids) < max_length:
        cut = len(input_ids) - max_length
        return EncodedSolution(input_ids[cut:], len(prompt_ids) - cut, [end - cut for end in ends])
    # The solution alone does not fit: keep one prompt token for context, then the solution's start.
    kept = [prompt_ids[-1]] + solution_ids[: max_length - 1]
    return EncodedSolution(
        kept, 1, [end - len(prompt_ids) + 1 for end in ends if end - len(prompt_ids) + 1 < max_length]
    )


def pad_right(sequences: Sequence[Sequence[int | float]], value: int | float, dtype: torch.dtype) -> torch.Tensor:
    """Stack variable-length sequences into one tensor, padding each row on the right with ``value``."""
    length = max(len(sequence) for sequence in sequences)
    batch = torch.full((len(sequences), length), value, dtype=dtype)
    for row, sequence in enumerate(sequences):
        batch[row, : len(sequence)] = torch.as_tensor(sequence, dtype=dtype)
    return batch


@dataclass
class RightPaddingCollator:
    """Batches feature dicts: ``input_ids`` padded with the pad token, an ``attention_mask``,
    the per-token fields in ``token_fields`` (name -> pad value) padded likewise,
    and the per-example scalars in ``example_fields`` stacked as float tensors.
    """

    pad_token_id: int
    token_fields: Mapping[str, int] = field(default_factory=dict)
    example_fields: Sequence[str] = ()

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        ids = [feature["input_ids"] for feature in features]
        batch = {
            "input_ids": pad_right(ids, self.pad_token_id, torch.long),
            "attention_mask": pad_right([[1] * len(row) for row in ids], 0, torch.long),
        }
        for name, pad_value in self.token_fields.items():
            batch[name] = pad_right([feature[name] for feature in features], pad_value, torch.long)
        for name in self.example_fields:
            batch[name] = torch.tensor([float(feature[name]) for feature in features])
        return batch


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of each row's final real token in a right-padded batch."""
    return attention_mask.sum(dim=1) - 1
