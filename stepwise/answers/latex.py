"""MATH answers for math-verify: the forms compared on the fast path, and what runs in the checking
workers (:mod:`stepwise.answers.sandbox`): math-verify's verdict on two extracted answers and its reading
of one. Each answer is wrapped in ``\\boxed{...}`` and read by the LaTeX extraction alone (see
:mod:`stepwise.answers.check`)."""

from __future__ import annotations

import math
import re

from stepwise.answers.extract import braced_group

_SPACING_COMMANDS = re.compile(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\[!,;: ]")
_SPACE_NOT_BETWEEN_LETTERS = re.compile(r"(?<![a-zA-Z]) | (?![a-zA-Z])")
_WHITESPACE = re.compile(r"\s+")
WARM_UP_PAIRS = [("1", "1"), ("(x+1)^2", "x^2+2x+1"), ("[0,1)", "(0,1)"), ("\\{1,2\\}", "\\{2,1\\}"), ("x=3", "3")]
ARITHMETIC_ONLY = re.compile(r"[\d\s.,+\-*/()^]*")
BOX_COMMANDS = ("\\boxed", "\\fbox")


def strip_answer(answer: str | None) -> str | None:
    """The answer without surrounding blanks and ``$`` delimiters; None if empty."""
    if answer is None:
        return None
    answer = answer.strip()
    if len(answer) >= 2 and answer.startswith("$") and answer.endswith("$") and not answer.endswith("\\$"):
        answer = answer.strip("$").strip()
    return answer or None


def normalise_latex_answer(answer: str) -> str:
    """Cheap canonical form for the fast path: no ``\\left``/``\\right``, spacing
    commands or spaces (except between two letters), one kind of fraction."""
    answer = _SPACING_COMMANDS.sub("", answer)
    answer = answer.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    answer = _WHITESPACE.sub(" ", answer).strip()
    return _SPACE_NOT_BETWEEN_LETTERS.sub("", answer)


def braces_balanced(answer: str) -> bool:
    """Whether every ``{`` in ``answer`` closes (escape-aware), so wrapping it in a box is safe."""
    wrapped = "{" + answer + "}"
    return braced_group(wrapped, 0) == answer


def math_verdict(pred: str, ref: str) -> bool:
    """math-verify's verdict on two extracted answers (``ref`` is the gold side).

    Runs inside a pool worker: no timeouts of its own (the pool enforces them).
    """
    from math_verify import verify

    gold, target = parse_answer(ref), parse_answer(pred)
    return bool(gold) and bool(target) and bool(verify(gold, target, timeout_seconds=None))


def parse_answer(answer: str) -> list:
    """math-verify's reading of one extracted answer: the answer boxed, read by the LaTeX extraction alone."""
    from math_verify import LatexExtractionConfig, parse

    return parse(
        "\\boxed{" + answer + "}",
        extraction_config=[LatexExtractionConfig(boxed_match_priority=0)],
        extraction_mode="first_match",
        parsing_timeout=None,
    )


def answer_form(answer: str) -> tuple[str, float | None]:
    """What math-verify reads in one extracted answer, for grouping (:class:`AnswerForm`'s kinds).
    Runs inside a pool worker."""
    import sympy

    expressions = [item for item in parse_answer(answer) if isinstance(item, (sympy.Basic, sympy.MatrixBase))]
    if not expressions:
        return "unparsed", None
    expression = expressions[0]
    value = _plain_number(expression)
    if value is not None:
        return "number", value
    if isinstance(expression, sympy.Eq) and isinstance(expression.lhs, sympy.Symbol):
        value = _plain_number(expression.rhs)
        if value is not None:
            return "assignment", value
    if _is_text_like(expression):
        return "text", None
    return "other", None


def _plain_number(expression) -> float | None:
    """The real value of a number without symbols (not a percentage), else None."""
    import sympy

    # math-verify writes x% as x*UnevaluatedExpr(1/100) and compares it with x and with x/100.
    if not (isinstance(expression, sympy.Expr) and expression.is_number) or expression.atoms(sympy.UnevaluatedExpr):
        return None
    value = complex(expression.evalf(30))
    return value.real if value.imag == 0 and math.isfinite(value.real) else None


def _is_text_like(expression) -> bool:
    """Whether an expression is a product of letters (how math-verify reads words): it never equals a
    number. Not a lone ``e`` (math-verify equates the letter with Euler's number) and no symbol named
    other than by letters (a symbol ``5`` would equal the number 5 by name)."""
    import sympy

    factors = expression.args if isinstance(expression, sympy.Mul) else (expression,)
    symbols = expression.free_symbols
    if not symbols or not all(s.name.isalpha() for s in symbols):
        return False
    if isinstance(expression, sympy.Symbol) and expression.name.lower() == "e":
        return False

    def letter_or_constant(factor) -> bool:
        if isinstance(factor, sympy.Pow):
            return factor.exp.is_Integer and letter_or_constant(factor.base)
        return factor is sympy.I or isinstance(factor, (sympy.Symbol, sympy.Number, sympy.NumberSymbol))

    return all(letter_or_constant(factor) for factor in factors)


def warm_up() -> None:
    """Run math-verify once on numbers, sets, intervals and a simplification, so
    that its imports, lazy sympy imports and compiled patterns are in place."""
    for pred, ref in WARM_UP_PAIRS:
        math_verdict(pred, ref)


def enclosure(form: str) -> str | None:
    """The brackets around ``form``: "set" for ``\\{...\\}``, "sequence" for
    ``(...)`` or ``[...]`` (a tuple or an interval), else None."""
    if form.startswith("\\{") and form.endswith("\\}"):
        return "set"
    if len(form) >= 2 and form[0] in "([" and form[-1] in ")]":
        return "sequence"
    return None


def has_box(answer: str) -> bool:
    return any(command in answer for command in BOX_COMMANDS)
