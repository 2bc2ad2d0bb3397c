"""Final-answer extraction from model or reference solution text.

Four formats, each with its own function so that a dataset that knows its
format can ask for it directly:

* ``\\boxed{...}`` / ``\\fbox{...}`` (MATH): the last one, braces matched;
* a ``# Answer`` line followed by the answer (PRM800K generator format);
* "The answer is ..." (Math-Shepherd style and many prompts);
* ``#### N`` (GSM8K).

:func:`extract_answer` tries them in that order. Every function returns
``None`` when there is no (non-empty) answer and never raises on a ``str``:
the scans are linear and no regular expression can backtrack badly.
"""

from __future__ import annotations

import re

from stepwise.formats.steps import ANSWER_LINE, GSM8K_ANSWER_MARKER

#: The LaTeX commands that box a final answer (MATH): ``\\boxed{...}`` and ``\\fbox{...}``.
BOX_COMMANDS = ("\\boxed", "\\fbox")
_THE_ANSWER_IS = re.compile(r"the answer is", re.IGNORECASE)
_UNBRACED_BOX_ARGUMENT = re.compile(r"\s*([^\s${}]+)")
_MATH_DELIMITER = re.compile(r"\$\$|\$|\\\(|\\\)")
#: A sentence's full stop after a plain answer (``... is 2/3.``).
_SENTENCE_END = re.compile(r"(?<=[\d)}])\.\s*$")


def _non_empty(answer: str) -> str | None:
    answer = answer.strip()
    return answer or None


def braced_group(text: str, open_index: int) -> str | None:
    """Content of the brace group opening at ``text[open_index] == "{"``.

    A backslash escapes the next character, so ``\\{`` and ``\\}`` are literal
    braces that do not count. Returns None if the group is never closed.
    """
    depth = 0
    index = open_index
    while index < len(text):
        closing = text[index] == "}"
        next_index, depth = brace_step(text, index, depth)
        if closing and depth == 0:
            return text[open_index + 1 : index]
        index = next_index
    return None


def brace_step(text: str, index: int, depth: int) -> tuple[int, int]:
    """Past ``text[index]`` in a brace scan: the next index (a backslash escapes the character after it,
    so ``\\{`` and ``\\}`` do not count) and the brace depth after it."""
    char = text[index]
    if char == "\\":
        return index + 2, depth
    return index + 1, depth + (char == "{") - (char == "}")


def extract_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` or ``\\fbox{...}`` (also ``\\boxed 5``).

    Only the last box counts: if it is unclosed (a truncated sample) there is no
    answer, rather than an earlier box from the middle of the reasoning.
    """
    start = -1
    command = ""
    for candidate in BOX_COMMANDS:
        # Skip longer command names that merely start with ours (\boxedanswer).
        position = len(text)
        while True:
            position = text.rfind(candidate, 0, position)
            if position < 0:
                break
            following = text[position + len(candidate) : position + len(candidate) + 1]
            if not following.isalpha():
                break
        if position > start:
            start, command = position, candidate
    if start < 0:
        return None
    index = start + len(command)
    if index < len(text) and text[index] == "{":
        group = braced_group(text, index)
        return None if group is None else _non_empty(group)
    # "\boxed 5": the argument is the next run of non-space characters.
    match = _UNBRACED_BOX_ARGUMENT.match(text, index)
    return match.group(1) if match else None


def extract_prm800k_answer(text: str) -> str | None:
    """The first non-blank line after the last ``# Answer`` line (PRM800K format)."""
    last = None
    for match in ANSWER_LINE.finditer(text):
        last = match
    if last is None:
        return None
    for line in text[last.end() :].split("\n"):
        if line.strip():
            return line.strip()
    return None


def extract_the_answer_is(text: str) -> str | None:
    """The rest of the line after the last "The answer is" (any case).

    A leading colon, surrounding ``$`` and a trailing period are dropped:
    ``"The answer is: $\\frac12$."`` gives ``\\frac12``.
    """
    last = None
    for match in _THE_ANSWER_IS.finditer(text):
        last = match
    if last is None:
        return None
    answer = text[last.end() :].split("\n", 1)[0].strip()
    answer = answer.removeprefix(":").rstrip(" \t.$").lstrip(" \t$")
    return _non_empty(answer)


def extract_hash_answer(text: str) -> str | None:
    """The rest of the line after the last ``####`` (GSM8K format)."""
    position = text.rfind(GSM8K_ANSWER_MARKER)
    if position < 0:
        return None
    return _non_empty(text[position + len(GSM8K_ANSWER_MARKER) :].split("\n", 1)[0])


#: How much of a free-form solution's end :func:`free_form_answer` reads: the final answer is there.
FREE_FORM_TAIL_CHARS = 4000


def _has_split_inline_math(text: str) -> bool:
    """Whether some inline math's content starts or ends on another line than its delimiter (``$``
    newline ``9`` newline ``$``, or the same between ``\\(`` and ``\\)``): math-verify's LaTeX rules
    do not read it. Delimiters pair up in order; display math (``$$``, ``\\[``) is not inline."""
    opened: tuple[str, int] | None = None
    for delimiter in _MATH_DELIMITER.finditer(text):
        mark = delimiter.group()
        if opened is None:
            opened = (mark, delimiter.end()) if mark in ("$", "$$", "\\(") else None
            continue
        if (opened[0], mark) in (("$", "$"), ("\\(", "\\)")):
            content = text[opened[1] : delimiter.start()].strip(" \t")
            if content.startswith("\n") or content.endswith("\n"):
                return True
        if (opened[0], mark) in (("$", "$"), ("$$", "$$"), ("\\(", "\\)")):
            opened = None
    return False


def free_form_answer(text: str) -> str | None:
    """The final answer of a free-form solution, or None.

    For solutions an off-the-shelf model wrote. A text with one of the
    workflow's own answer markers (``#### N``, which few-shot prompted models
    copy, or a ``# Answer`` line) gives that answer, as
    :func:`extract_hash_answer` and :func:`extract_prm800k_answer` read it;
    any other text is read by
    math-verify: it reads the end of the text with its LaTeX extraction
    (``\\boxed{}`` first, all boxes together; then "final answer is $...$",
    inline and display math) and then its plain-expression extraction (a
    number after "Answer:", or the last one), and the matched text (which it
    normalises: ``1000,99`` reads ``1000.99``) is the answer, less a sentence's
    full stop (``... is 2/3.`` gives ``2/3``). An escaped dollar (``\\$18``,
    currency in prose) is dropped first, so that it opens no math. A text whose
    inline math opens or closes on another line than its content (``$``
    newline ``9`` newline ``$``), which math-verify's LaTeX rules do not read,
    gives None unless it has a box: unsure is "no answer", never a guess. Its
    plain-expression extraction hands text to sympy's ``parse_expr``: call this
    only inside the answer checker's restricted workers
    (:meth:`stepwise.answers.AnswerChecker.extract_many`).
    """
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    marked = extract_hash_answer(text) or extract_prm800k_answer(text)
    if marked is not None:
        return marked
    tail = text[-FREE_FORM_TAIL_CHARS:].replace("\\$", "")
    if _has_split_inline_math(tail) and not any(command in tail for command in BOX_COMMANDS):
        return None  # math-verify reads no math there, and the last plain number may not be the answer
    parsed = parse(
        tail,
        extraction_config=[LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()],
        extraction_mode="first_match",
        fallback_mode="first_match",
        parsing_timeout=None,
    )
    matched = [item for item in parsed if isinstance(item, str)]
    return _non_empty(_SENTENCE_END.sub("", matched[0])) if matched else None


def extract_answer(text: str) -> str | None:
    """The final answer in any known format, or None.

    Order: last box, then ``# Answer``, then "The answer is", then ``####``.
    """
    for extract in (extract_boxed, extract_prm800k_answer, extract_the_answer_is, extract_hash_answer):
        answer = extract(text)
        if answer is not None:
            return answer
    return None
