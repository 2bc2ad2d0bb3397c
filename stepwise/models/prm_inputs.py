"""How the process reward model reads a solution, in training and in scoring alike.

**Input.** The prompt, then each step followed by a step-end marker token, the
steps separated as the step format joins them (``stepwise.formats.steps``, a newline)::

    <prompt> step_1 <M> \\n step_2 <M> ... \\n step_K <M>

The ids are built piece by piece (prompt, each step's text, the marker's id), so
the marker never merges with neighbouring characters, and a step's label is
never in the input (a later step cannot see an earlier verdict). A prompt or
step that tokenizes to the marker is an error.

**Long inputs.** A solution longer than ``max_length`` tokens is cut into
windows of at most ``max_length`` tokens, each ending at a marker and reaching
as far back as it can, so every step is trained and scored with as much of
what comes before it as fits (the start of the prompt goes first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stepwise.formats.steps import STEP_SEPARATOR
from stepwise.io import DataError


@dataclass(frozen=True)
class EncodedSteps:
    """Token ids of prompt + marked steps; ``step_ends[k]`` is the index of step ``k``'s marker."""

    input_ids: list[int]
    step_ends: list[int]


def encode_steps(tokenizer, prompt: str, steps: Sequence[str], marker_id: int) -> EncodedSteps:
    """Tokenize the prompt and each step, a marker after every step (see the module docstring)."""
    input_ids = list(tokenizer(prompt)["input_ids"])
    step_ends = []
    for number, step in enumerate(steps):
        piece = step if number == 0 else STEP_SEPARATOR + step
        input_ids += tokenizer(piece, add_special_tokens=False)["input_ids"]
        step_ends.append(len(input_ids))
        input_ids.append(marker_id)
    if input_ids.count(marker_id) != len(steps):
        raise DataError(f"the prompt or a step contains the step marker (token {marker_id})")
    return EncodedSteps(input_ids, step_ends)


def step_windows(step_ends: Sequence[int], max_length: int) -> list[tuple[int, int, range]]:
    """``(start, end, steps)``: token windows ``[start, end)`` of at most ``max_length`` tokens,
    each ending at a marker, whose ``steps`` together are every step once."""
    windows, first = [], 0
    while first < len(step_ends):
        last = first
        while last + 1 < len(step_ends) and step_ends[last + 1] - step_ends[first] < max_length:
            last += 1
        end = step_ends[last] + 1
        windows.append((max(0, end - max_length), end, range(first, last + 1)))
        first = last + 1
    return windows
