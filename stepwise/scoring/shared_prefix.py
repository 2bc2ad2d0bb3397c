"""Reading sequences that share prefixes: each group's common prefix forwarded once.

A search guide scores siblings: the children of one partial solution differ
only in their last step, and every candidate of a problem starts with its
prompt. Forwarding every candidate whole re-reads the shared part once per
child (7 tokens scored for each one generated in the demo's searches). Here
each group's longest common prefix of token ids is forwarded once, its KV
cache repeated for the group's members, which forward only their own tokens:
the field's prefix caching, applied to a reward model. The prefix is cut on
token ids, so it is exact whatever the tokenizer merges at the boundary.

Batches: prefixes are right-padded (real tokens keep positions ``0..L-1``);
a member's own tokens continue at its prefix's real length, and the padding
between them is masked. The hidden states equal a whole forward's up to
floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from stepwise.models.collate import RightPaddingCollator
from stepwise.models.reader import LanguageModelReader
from stepwise.scoring.batches import on_scoring_device


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """The length of the longest prefix all ``sequences`` share, leaving each at least its last token."""
    shortest = min(len(sequence) for sequence in sequences)
    length = 0
    while length < shortest - 1 and all(sequence[length] == sequences[0][length] for sequence in sequences):
        length += 1
    return length


def hidden_states_at(
    reader: LanguageModelReader,
    sequences: Sequence[Sequence[int]],
    groups: Sequence[Sequence[int]],
    positions: Sequence[Sequence[int]],
    *,
    pad_token_id: int,
    batch_size: int,
) -> list[torch.Tensor]:
    """The reader's last hidden states at ``positions[i]`` of each sequence ``i``, ``[len(positions[i]), hidden]``.

    ``groups`` partition the sequence indices; each group's common prefix is
    forwarded once. A batch holds whole groups, up to ``batch_size`` members
    (a larger group is a batch of its own). No gradients; on the scoring device.
    """
    covered = sorted(index for group in groups for index in group)
    if covered != list(range(len(sequences))):
        raise ValueError("groups must hold every sequence index exactly once")
    if any(len(sequence) < 2 for sequence in sequences):
        raise ValueError("every sequence needs at least 2 tokens (a prefix and one token of its own)")
    # A group whose members differ from their first token shares nothing: each member is its own group.
    groups = [
        part
        for group in groups
        for part in ([group] if common_prefix_length([sequences[i] for i in group]) else [[i] for i in group])
    ]
    device = on_scoring_device(reader)
    results: list[torch.Tensor | None] = [None] * len(sequences)
    batch: list[Sequence[int]] = []
    with torch.no_grad():
        for group in groups:
            if batch and sum(len(g) for g in batch) + len(group) > batch_size:
                _forward_groups(reader, sequences, batch, positions, pad_token_id, device, results)
                batch = []
            batch.append(group)
        if batch:
            _forward_groups(reader, sequences, batch, positions, pad_token_id, device, results)
    return results  # type: ignore[return-value]


def _forward_groups(reader, sequences, groups, positions, pad_token_id, device, results) -> None:
    from transformers import DynamicCache

    collate = RightPaddingCollator(pad_token_id)
    lengths = [common_prefix_length([sequences[i] for i in group]) for group in groups]
    prefixes = collate([{"input_ids": sequences[group[0]][:length]} for group, length in zip(groups, lengths)])
    prefix_ids, prefix_mask = prefixes["input_ids"].to(device), prefixes["attention_mask"].to(device)
    cache = DynamicCache(config=reader.lm.config)
    prefix_hidden = reader.lm.base_model(
        input_ids=prefix_ids,
        attention_mask=prefix_mask,
        position_ids=torch.arange(prefix_ids.shape[1], device=device).expand_as(prefix_ids),
        past_key_values=cache,
        use_cache=True,
    ).last_hidden_state

    members = [(row, index) for row, group in enumerate(groups) for index in group]
    rows = torch.tensor([row for row, _ in members], device=device)
    cache.batch_select_indices(rows)
    own = collate([{"input_ids": sequences[index][lengths[row] :]} for row, index in members])
    own_ids, own_mask = own["input_ids"].to(device), own["attention_mask"].to(device)
    starts = torch.tensor([lengths[row] for row, _ in members], device=device)
    own_hidden = reader.lm.base_model(
        input_ids=own_ids,
        attention_mask=torch.cat([prefix_mask[rows], own_mask], dim=1),
        position_ids=starts[:, None] + torch.arange(own_ids.shape[1], device=device),
        past_key_values=cache,
        use_cache=True,
    ).last_hidden_state

    for member, (row, index) in enumerate(members):
        length = lengths[row]
        states = [
            prefix_hidden[row, position] if position < length else own_hidden[member, position - length]
            for position in positions[index]
        ]
        results[index] = torch.stack(states) if states else prefix_hidden.new_zeros((0, prefix_hidden.shape[-1]))
