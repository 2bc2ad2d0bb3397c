"""Step-labelled solutions in the Math-Shepherd and TRL stepwise-supervision formats.

Both hold the same thing, a :class:`StepwiseExample` (prompt, steps, one label
per step), and convert into each other without loss.

**TRL stepwise supervision** (what ``trl.PRMTrainer`` reads)::

    {"prompt": str, "completions": [str, ...], "labels": [bool, ...]}

*Soft labels*: our own TRL-style files may instead carry numbers in [0, 1]
(Math-Shepherd's soft estimate: the fraction of completions that reach the
answer). They are written as JSON numbers and read back only when the reader is
called with ``allow_soft=True``; a record holds either all booleans or all
numbers. :func:`harden` turns soft labels into the hard estimate (good when
``label > 0``: some completion reached the answer).

**Math-Shepherd** (layout of the public ``peiyi9979/Math-Shepherd`` dataset)::

    {"input": "<question> Step 1: ... ки\\nStep 2: ... ки", "label": <same text, each tag as "+" or "-">}

Every step ends with the step tag (default ``ки``), and ``label`` is ``input``
with each tag replaced by ``+`` (good) or ``-`` (bad). The public data have no
marker between the question and the first step; converters split at its first
``Step 1:``. Files we write are exact instead:

    input  = prompt + "\\n" + step_1 + " " + tag + "\\n" + ... + "\\n" + step_K + " " + tag

plus a ``prompt`` key holding the prompt, so reading back gives the very same
prompt and steps (whatever newlines or ``Step 1:`` they contain). The tag must
not occur in the prompt or in any step. Soft labels cannot be written in this
format (:func:`harden` them first).

Keys other than the format's own travel along in :attr:`StepwiseExample.extra`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stepwise.data import is_instance, location_error, require_field
from stepwise.io import DataError, iter_jsonl, write_jsonl

DEFAULT_STEP_TAG = "ки"
GOOD_MARK, BAD_MARK = "+", "-"
PUBLIC_FIRST_STEP = "Step 1:"  # where the public Math-Shepherd data's first step starts
TRL_KEYS = ("prompt", "completions", "labels")
MATH_SHEPHERD_KEYS = ("input", "label", "prompt")


@dataclass(frozen=True)
class StepwiseExample:
    """A prompt, its solution steps and one label per step (bools, or floats in [0, 1])."""

    prompt: str
    steps: tuple[str, ...]
    labels: tuple[bool, ...] | tuple[float, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_soft(self) -> bool:
        """True when the labels are numbers rather than booleans."""
        return any(not isinstance(label, bool) for label in self.labels)


def harden(example: StepwiseExample, threshold: float = 0.0) -> StepwiseExample:
    """Hard labels from soft ones: good when ``label > threshold`` (0: Math-Shepherd's hard estimate)."""
    labels = tuple(bool(label > threshold) for label in example.labels)
    return StepwiseExample(example.prompt, example.steps, labels, dict(example.extra))


def check_example(
    example: StepwiseExample,
    tag: str | None = None,
    *,
    allow_soft: bool = True,
    path: str | os.PathLike | None = None,
    line: int | None = None,
) -> None:
    """Raise DataError unless the example is well formed (and, given a tag, free of it)."""

    def fail(message: str) -> DataError:
        return location_error(message, path, line)

    if not example.steps:
        raise fail("the solution has no steps")
    if len(example.labels) != len(example.steps):
        raise fail(f"{len(example.steps)} steps but {len(example.labels)} labels")
    for number, step in enumerate(example.steps, start=1):
        if not step:
            raise fail(f"step {number} is empty")
    _check_labels(list(example.labels), allow_soft, fail)
    if tag is not None:
        if not tag.strip():
            raise fail("the step tag is empty")
        if tag in example.prompt:
            raise fail(f"the prompt contains the step tag {tag!r}")
        for number, step in enumerate(example.steps, start=1):
            if tag in step:
                raise fail(f"step {number} contains the step tag {tag!r}")


def _check_labels(labels: list[Any], allow_soft: bool, fail) -> None:
    if all(isinstance(label, bool) for label in labels):
        return
    if not allow_soft:
        raise fail(
            "labels should be booleans; numbers are soft labels, allowed only in TRL-style files "
            "(read them with allow_soft=True; harden() them for Math-Shepherd)"
        )
    for number, label in enumerate(labels, start=1):
        if isinstance(label, bool) or not is_instance(label, float):
            raise fail(f"label {number} should be a number like the others, got {label!r}")
        if not 0.0 <= label <= 1.0:
            raise fail(f"soft label {number} should be in [0, 1], got {label!r}")


def _extra(record: dict[str, Any], own_keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in own_keys}


def _merge_extra(fields: dict[str, Any], extra: dict[str, Any], path, line) -> dict[str, Any]:
    clash = sorted(set(fields) & set(extra))
    if clash:
        raise location_error(f"extra key(s) {clash} clash with the format's own keys", path, line)
    return {**fields, **extra}


# ---------------------------------------------------------------- TRL


def to_trl(example: StepwiseExample, *, path=None, line=None) -> dict[str, Any]:
    """The TRL stepwise-supervision record of an example (soft labels as numbers)."""
    check_example(example, path=path, line=line)
    fields = {"prompt": example.prompt, "completions": list(example.steps), "labels": list(example.labels)}
    return _merge_extra(fields, example.extra, path, line)


def from_trl(record: dict[str, Any], *, allow_soft: bool = False, path=None, line=None) -> StepwiseExample:
    """Validate a TRL stepwise-supervision record and return it as an example."""
    prompt = require_field(record, "prompt", str, path=path, line=line)
    steps = require_field(record, "completions", list, path=path, line=line)
    labels = require_field(record, "labels", list, path=path, line=line)
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, str):
            raise location_error(f"completion {number} should be a string, got {type(step).__name__}", path, line)
    example = StepwiseExample(prompt, tuple(steps), tuple(labels), _extra(record, TRL_KEYS))
    check_example(example, allow_soft=allow_soft, path=path, line=line)
    return example


# ---------------------------------------------------------------- Math-Shepherd


def to_math_shepherd(example: StepwiseExample, tag: str = DEFAULT_STEP_TAG, *, path=None, line=None) -> dict[str, Any]:
    """The Math-Shepherd record of an example with hard labels (see the module docstring)."""
    check_example(example, tag, allow_soft=False, path=path, line=line)
    tagged = [f"{step} {tag}" for step in example.steps]
    marked = [f"{step} {GOOD_MARK if good else BAD_MARK}" for step, good in zip(example.steps, example.labels)]
    text = "\n".join([example.prompt, *tagged])
    if text.count(tag) != len(example.steps):  # e.g. a tag that starts with a newline
        raise location_error(f"the step tag {tag!r} appears across a step boundary", path, line)
    fields = {"input": text, "label": "\n".join([example.prompt, *marked]), "prompt": example.prompt}
    return _merge_extra(fields, example.extra, path, line)


def from_math_shepherd(record: dict[str, Any], tag: str = DEFAULT_STEP_TAG, *, path=None, line=None) -> StepwiseExample:
    """Validate a Math-Shepherd record (ours or the public layout) and return it as an example."""
    text = require_field(record, "input", str, path=path, line=line)
    marked = require_field(record, "label", str, path=path, line=line)
    prompt = require_field(record, "prompt", str, path=path, line=line, optional=True)
    segments = text.split(tag)
    if len(segments) < 2:
        raise location_error(f"field 'input' has no step tag {tag!r}", path, line)
    if segments[-1].strip():
        raise location_error(f"field 'input' has text after its last step tag {tag!r}", path, line)
    labels = _read_marks(segments, marked, path, line)
    first_step, prompt = _split_prompt(segments[0], prompt, path, line)
    steps = [_untag(first_step)] + [_untag(segment.removeprefix("\n")) for segment in segments[1:-1]]
    example = StepwiseExample(prompt, tuple(steps), labels, _extra(record, MATH_SHEPHERD_KEYS))
    check_example(example, tag, path=path, line=line)
    return example


def _read_marks(segments: list[str], marked: str, path, line) -> tuple[bool, ...]:
    """The +/- marks of ``label``, checking it is ``input`` with each tag replaced by one mark."""
    labels = []
    position = 0
    for number, segment in enumerate(segments[:-1], start=1):
        end = position + len(segment)
        mark = marked[end : end + 1]
        if marked[position:end] != segment or mark not in (GOOD_MARK, BAD_MARK):
            raise location_error(
                f"field 'label' does not match 'input' with step tag {number} replaced by '+' or '-'", path, line
            )
        labels.append(mark == GOOD_MARK)
        position = end + 1
    if marked[position:] != segments[-1]:
        raise location_error("field 'label' does not match 'input' after the last step tag", path, line)
    return tuple(labels)


def _split_prompt(head: str, prompt: str | None, path, line) -> tuple[str, str]:
    """Split the text before the first tag into (first step, prompt)."""
    if prompt is not None:
        if not head.startswith(prompt + "\n"):
            raise location_error("field 'input' does not start with field 'prompt' and a newline", path, line)
        return head[len(prompt) + 1 :], prompt
    start = head.find(PUBLIC_FIRST_STEP)
    if start < 0:
        message = f"cannot tell where the question ends: no 'prompt' field and no {PUBLIC_FIRST_STEP!r} in 'input'"
        raise location_error(message, path, line)
    return head[start:], head[:start].strip()


def _untag(segment: str) -> str:
    """A step's text from the segment before its tag (drop the one space written before the tag)."""
    return segment.removesuffix(" ")


# ---------------------------------------------------------------- files and conversions


def math_shepherd_to_trl(record: dict[str, Any], tag: str = DEFAULT_STEP_TAG) -> dict[str, Any]:
    """Convert one Math-Shepherd record to a TRL stepwise-supervision record."""
    return to_trl(from_math_shepherd(record, tag))


def trl_to_math_shepherd(record: dict[str, Any], tag: str = DEFAULT_STEP_TAG) -> dict[str, Any]:
    """Convert one TRL stepwise-supervision record (hard labels) to a Math-Shepherd record."""
    return to_math_shepherd(from_trl(record), tag)


def read_trl(path: str | os.PathLike, *, allow_soft: bool = False) -> list[StepwiseExample]:
    """Read a TRL stepwise-supervision JSONL file; errors name file and line."""
    return [from_trl(record, allow_soft=allow_soft, path=path, line=line) for line, record in iter_jsonl(path)]


def write_trl(path: str | os.PathLike, examples: Iterable[StepwiseExample]) -> int:
    """Write examples as TRL stepwise-supervision JSONL (atomically); return the count."""
    return write_jsonl(path, (to_trl(ex, path=path, line=n) for n, ex in enumerate(examples, start=1)))


def read_math_shepherd(path: str | os.PathLike, tag: str = DEFAULT_STEP_TAG) -> list[StepwiseExample]:
    """Read a Math-Shepherd JSONL file; errors name file and line."""
    return [from_math_shepherd(record, tag, path=path, line=line) for line, record in iter_jsonl(path)]


def write_math_shepherd(
    path: str | os.PathLike, examples: Iterable[StepwiseExample], tag: str = DEFAULT_STEP_TAG
) -> int:
    """Write examples as Math-Shepherd JSONL (atomically); return the count."""
    return write_jsonl(path, (to_math_shepherd(ex, tag, path=path, line=n) for n, ex in enumerate(examples, start=1)))
