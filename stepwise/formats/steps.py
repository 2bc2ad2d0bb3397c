"""Splitting a solution into steps, and joining the steps back without loss.

The workflow's own formats put one step per line:

* ``gsm8k``: the ``#### N`` line is the last step;
* ``prm800k``: the ``# Answer`` line and everything after it (a blank line and
  the answer) form the last step.

``paragraphs`` (off-the-shelf models, which write a step per paragraph, as
Qwen's PRM and search-and-learn split them) puts one step per block of text
between blank lines (``"\\n\\n"``).

Blank pieces are not steps: a whitespace-only line (paragraph) belongs to the
step before it (or, at the very start, to the first step). So every step has
visible content, and ``join_steps(split_steps(text, fmt), fmt) == text`` for
every string, because the steps partition the text's pieces and are joined
with the same separator (:func:`step_separator`).
"""

from __future__ import annotations

import re
from typing import Literal

StepFormat = Literal["gsm8k", "prm800k", "paragraphs"]
STEP_FORMATS = ("gsm8k", "prm800k", "paragraphs")
STEP_SEPARATOR = "\n"  # the workflow's own formats'
PARAGRAPH_SEPARATOR = "\n\n"

#: The marker that opens a PRM800K-format solution's final answer, on a line of its own: the one
#: definition of it (answer extraction, step splitting, MATH reference steps and the demo use it).
ANSWER_MARKER = "# Answer"
#: A line holding just :data:`ANSWER_MARKER` (surrounding blanks and a Windows line end allowed).
ANSWER_LINE = re.compile(rf"^[ \t]*{re.escape(ANSWER_MARKER)}[ \t]*\r?$", re.MULTILINE)
#: What precedes the final answer in a GSM8K solution (its last line is ``#### N``).
GSM8K_ANSWER_MARKER = "####"
_NON_BLANK_LINE = re.compile(r"^[ \t\r]*\S", re.MULTILINE)


def step_separator(fmt: StepFormat) -> str:
    """What separates the steps of a format: a newline, or a blank line for ``paragraphs``."""
    if fmt not in STEP_FORMATS:
        raise ValueError(f"unknown step format {fmt!r}; expected one of {', '.join(STEP_FORMATS)}")
    return PARAGRAPH_SEPARATOR if fmt == "paragraphs" else STEP_SEPARATOR


def split_steps(text: str, fmt: StepFormat) -> list[str]:
    """The steps of ``text``, one per non-blank line or paragraph (see the module docstring).

    An empty text has no steps; a whitespace-only text is one (blank) step, so
    that joining gives it back.
    """
    separator = step_separator(fmt)
    if not isinstance(text, str):
        raise TypeError(f"expected the solution as a str, got {type(text).__name__}")
    if text == "":
        return []
    groups: list[list[str]] = []
    leading_blank: list[str] = []
    lines = text.split(separator)
    for index, line in enumerate(lines):
        if fmt == "prm800k" and ANSWER_LINE.fullmatch(line):
            groups.append(leading_blank + lines[index:])
            leading_blank = []
            break
        if not line.strip():
            (groups[-1] if groups else leading_blank).append(line)
        else:
            groups.append(leading_blank + [line])
            leading_blank = []
    if leading_blank:  # the text had no visible content at all
        groups.append(leading_blank)
    return [separator.join(group) for group in groups]


#: The formats whose solutions end with an answer line (:func:`answer_line_end`).
ANSWER_FORMATS = ("gsm8k", "prm800k")


def answer_line_end(text: str, fmt: StepFormat) -> int | None:
    """Where the line that holds ``text``'s final answer ends (the index of its newline, or ``len(text)``
    when it is the last line); None when ``text`` has no answer yet.

    The answer line is the first line with ``####`` (``gsm8k``, as :func:`extract_hash_answer` reads it) or
    the first non-blank line after the first ``# Answer`` line (``prm800k``). What a solution writes after
    it is not part of the solution: the reference solutions end there.
    """
    if fmt not in ANSWER_FORMATS:
        raise ValueError(f"step format {fmt!r} has no answer line; expected one of {', '.join(ANSWER_FORMATS)}")
    if fmt == "gsm8k":
        start = text.find(GSM8K_ANSWER_MARKER)
    else:
        marker = ANSWER_LINE.search(text)
        answer = marker and _NON_BLANK_LINE.search(text, marker.end() + 1)
        start = answer.start() if answer else -1
    if start < 0:
        return None
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def answer_line_ended(text: str, fmt: StepFormat) -> bool:
    """Whether a newline has closed ``text``'s answer line (:func:`answer_line_end`): sampling ends there."""
    end = answer_line_end(text, fmt)
    return end is not None and end < len(text)


def join_steps(steps: list[str], fmt: StepFormat = "gsm8k") -> str:
    """The text that :func:`split_steps` split into ``steps`` in format ``fmt``."""
    return step_separator(fmt).join(steps)
