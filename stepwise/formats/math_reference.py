"""MATH reference solutions rewritten in the PRM800K generator's step format.

PRM800K's generator writes one step per line, then ``# Answer``, a blank line
and the answer (:mod:`stepwise.formats.steps`, format ``prm800k``). MATH's reference
solutions are LaTeX prose. :func:`reference_steps` turns the prose into steps:

* a solution that already has a ``# Answer`` line (the demo's, or PRM800K's
  own) is in the step format: it is kept exactly as it is;
* ``[asy]...[/asy]`` figure code is dropped (a text model cannot draw);
* math is atomic: ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]`` and the
  display environments (``align``, ``equation``, ...) never break a step, and a
  display block stays in the sentence around it ("Therefore, \\[...\\]");
* a step is a sentence: it ends at ``.``, ``!`` or ``?`` outside math and
  braces, followed by white space and a character that can start a sentence
  (not a lower-case letter, so "e.g. the" stays whole), or at the end of a math
  block whose last character is a full stop (``$x = 3.$  Also``); a blank line
  (paragraph break) always ends a step;
* white space inside a step, line breaks in displays included, becomes a single
  space, so each step is one line;
* ``\\boxed{X}`` (and ``\\fbox``) becomes ``X``: the answer goes after
  ``# Answer``, as the generator writes it, not in a box.

The answer line is the problem's ``answer`` field with its white space collapsed.
"""

from __future__ import annotations

import re

from stepwise.answers.extract import BOX_COMMANDS, brace_step, braced_group
from stepwise.formats.steps import ANSWER_LINE, ANSWER_MARKER, join_steps

_ASY = re.compile(r"\[asy\].*?\[/asy\]", re.DOTALL)
_DISPLAY_ENVIRONMENT = re.compile(
    r"\\begin\{(align|aligned|alignat|equation|eqnarray|gather|multline|displaymath|array|split)(\*?)\}"
)
_BOX = re.compile("(?:" + "|".join(map(re.escape, BOX_COMMANDS)) + ")(?![A-Za-z])")
_SENTENCE_END = ".!?"
_CLOSERS = ")\"'"


def answer_tail(answer: str) -> str:
    """The last step of a solution in the generator format: the marker, a blank line, the answer."""
    return f"{ANSWER_MARKER}\n\n{' '.join(answer.split())}"


def reference_steps(solution: str, answer: str) -> str:
    """A MATH reference solution in the PRM800K generator format (see the module docstring)."""
    if ANSWER_LINE.search(solution):
        return solution
    steps = [" ".join(unbox(sentence).split()) for sentence in sentences(_ASY.sub(" ", solution))]
    return join_steps([step for step in steps if step] + [answer_tail(answer)])


def unbox(text: str) -> str:
    """``text`` with every ``\\boxed{X}`` / ``\\fbox{X}`` replaced by ``X`` (an unclosed box is left alone)."""
    out, position = [], 0
    for match in _BOX.finditer(text):
        if match.start() < position:  # inside a box already unwrapped
            continue
        brace = match.end()
        while brace < len(text) and text[brace] == " ":
            brace += 1
        if brace >= len(text) or text[brace] != "{":
            continue
        content = braced_group(text, brace)
        if content is None:
            continue
        out += [text[position : match.start()], unbox(content)]
        position = brace + len(content) + 2
    return "".join(out) + text[position:]


def sentences(text: str) -> list[str]:
    """The sentences of LaTeX prose, math atomic (see the module docstring); white space is kept as it is."""
    pieces, start, index, depth = [], 0, 0, 0
    while index < len(text):
        span = _math_span(text, index) if depth == 0 else None
        if span is not None:
            content_end, index = span
            # A math block ending in a full stop ends the sentence (``$x = 3.$  Also``).
            if text[:content_end].rstrip().endswith(".") and _starts_sentence(text, index, need_space=False):
                pieces.append(text[start:index])
                start = index
            continue
        char = text[index]
        if char in "\\{}":
            index, depth = brace_step(text, index, depth)
            depth = max(0, depth)  # a stray closing brace does not open a group
            continue
        if depth == 0 and char == "\n" and _blank_line_follows(text, index):
            pieces.append(text[start:index])
            start = index
        elif depth == 0 and char in _SENTENCE_END:
            end = index + 1
            while end < len(text) and text[end] in _CLOSERS:  # "(... $x$.) Next"
                end += 1
            if _starts_sentence(text, end, need_space=True):
                pieces.append(text[start:end])
                start = index = end
                continue
        index += 1
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def _math_span(text: str, index: int) -> tuple[int, int] | None:
    """If a math span opens at ``index``: where its content ends and where the span ends
    (both the text's end if it never closes)."""
    if text.startswith("$$", index):
        return _closing(text, index + 2, "$$")
    if text.startswith("\\$", index):
        return None
    if text[index] == "$":
        return _closing(text, index + 1, "$")
    if text.startswith("\\[", index):
        return _closing(text, index + 2, "\\]")
    if text.startswith("\\(", index):
        return _closing(text, index + 2, "\\)")
    match = _DISPLAY_ENVIRONMENT.match(text, index)
    if match:
        return _closing(text, match.end(), f"\\end{{{match.group(1)}{match.group(2)}}}")
    return None


def _closing(text: str, index: int, delimiter: str) -> tuple[int, int]:
    """Where ``delimiter`` starts and ends, searching from ``index``; a backslash escapes a ``$``."""
    while index < len(text):
        if text.startswith(delimiter, index):
            return index, index + len(delimiter)
        index += 2 if text[index] == "\\" and delimiter.startswith("$") else 1
    return len(text), len(text)


def _starts_sentence(text: str, index: int, need_space: bool) -> bool:
    """Whether a sentence can start after ``text[:index]``: white space (if needed), then no lower-case letter."""
    rest = text[index:]
    stripped = rest.lstrip()
    if not stripped:
        return False
    if need_space and len(stripped) == len(rest):
        return False
    return not stripped[0].islower() and stripped[0] not in ",;:)]}"


def _blank_line_follows(text: str, index: int) -> bool:
    """Whether the newline at ``index`` starts a blank line (a paragraph break)."""
    end = text.find("\n", index + 1)
    return end >= 0 and not text[index + 1 : end].strip()
