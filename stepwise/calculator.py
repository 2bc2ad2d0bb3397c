"""The calculator: exact, restricted evaluation of ``<<expr=result>>`` annotations (GSM8K),
and of inline LaTeX arithmetic ``$12 \\div 4 = 3$`` (the PRM800K step format).

Cobbe et al. evaluate annotations with Python ``eval``; model output is
untrusted, so here an expression is parsed with ``ast.parse(mode="eval")`` and
only numeric literals, unary ``+``/``-``, binary ``+ - * / // % **`` and
parentheses are walked, in exact :class:`~fractions.Fraction` arithmetic.
Everything else, and anything too big (expression length, size of an intermediate
result, checked before a power is computed), raises :class:`CalculatorError`.

At sampling time generation stops after ``<<expr=``; :func:`calculator_completion`
gives the text to insert (the result and ``>>``). In the ``latex`` notation (MATH) the
trigger is an ``=`` inside inline math right after plain arithmetic
(``$32 - 19 - 13 =``), and the insert is the result (`` 0``); the model closes the
math itself. Lightman et al.'s generator had no calculator: the demo's MATH
sampling uses it because a tiny model cannot do the arithmetic (see docs/demo-design.md).
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

MAX_EXPRESSION_CHARS = 200  # GSM8K's longest annotation has 36
MAX_RESULT_BITS = 4096  # bound on numerator and denominator of every intermediate value
FORMAT_DECIMALS = 6  # decimals kept by format_number for non-terminating values

_NUMBER_LITERAL = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)\Z")
_STATED_RESULT = re.compile(r"\s*(-?(?:\d+/\d+|\d+(?:\.\d*)?|\.\d+))\s*\Z")
_ANNOTATION = re.compile(r"<<([^<>=\n]*)=([^<>=\n]*)>>")
_OPEN_ANNOTATION = re.compile(r"<<([^<>=\n]*)=\Z")
# Inline math opened by a "$" (not "\\$"), then what lies between it (or an earlier "=") and this "=".
_OPEN_LATEX = re.compile(r"(?:(?<!\\)\$|=)([^$=\n]*)=\Z")
_LATEX_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_LATEX_OPERATORS = {"\\cdot": "*", "\\times": "*", "\\div": "/", "{": "(", "}": ")", "^": "**"}
_CALCULATOR_CHARS = re.compile(r"[\d.+\-*/() ]*")
_HAS_OPERATION = re.compile(r"[\d.)]\s*[-+*/]")
NOTATIONS = ("gsm8k", "latex")  # <<expr= annotations; inline LaTeX ``$expr =``

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class CalculatorError(ValueError):
    """The expression is not plain bounded arithmetic (or divides by zero)."""


@dataclass(frozen=True)
class Annotation:
    """One ``<<expr=stated_result>>`` in a text; ``span`` covers the whole ``<<...>>``."""

    expr: str
    stated_result: str
    span: tuple[int, int]


def evaluate(expr: str) -> Fraction:
    """The exact value of an arithmetic expression such as ``"48/2+.5"``."""
    if not isinstance(expr, str):
        raise CalculatorError(f"expected a str expression, got {type(expr).__name__}")
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise CalculatorError(f"not an arithmetic expression: {expr!r}") from err
    return _Evaluator(expr.strip()).visit(tree.body)


class _Evaluator:
    """Walks the allowed node types of one expression; refuses all others."""

    def __init__(self, source: str):
        self.source = source

    def visit(self, node: ast.AST) -> Fraction:
        if isinstance(node, ast.Constant):
            return self._literal(node)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.visit(node.operand))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self._power(self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.visit(node.left), self.visit(node.right)
            try:
                return _bounded(Fraction(_BINARY[type(node.op)](left, right)))
            except ZeroDivisionError:
                raise CalculatorError("division by zero") from None
        raise CalculatorError(f"{type(node).__name__} is not allowed in a calculator expression")

    def _literal(self, node: ast.Constant) -> Fraction:
        # The source text, not node.value: "0.1" must stay exactly 1/10. The
        # pattern also refuses 1e5, 0x1f, 1_000, 1j, strings and None.
        text = ast.get_source_segment(self.source, node) or ""
        if not _NUMBER_LITERAL.match(text):
            raise CalculatorError(f"not a plain decimal number: {text or node.value!r:.40}")
        return _bounded(Fraction(text))

    @staticmethod
    def _power(base: Fraction, exponent: Fraction) -> Fraction:
        if exponent.denominator != 1:
            raise CalculatorError("only integer exponents are allowed")
        # Bound the result before computing it (this also bounds the exponent,
        # since every base has size >= 1).
        size = max(base.numerator.bit_length(), base.denominator.bit_length())
        if size * abs(exponent.numerator) > MAX_RESULT_BITS:
            raise CalculatorError("result too large")
        try:
            return base**exponent.numerator
        except ZeroDivisionError:
            raise CalculatorError("division by zero") from None


def _bounded(value: Fraction) -> Fraction:
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_RESULT_BITS:
        raise CalculatorError(f"intermediate result larger than {MAX_RESULT_BITS} bits")
    return value


def _to_decimal(value: Fraction, decimals: int | None = None) -> Decimal:
    """``value`` as a Decimal, rounded half-even to ``decimals`` places if given.

    The precision (digits) exceeds what any value within MAX_RESULT_BITS needs.
    """
    with localcontext() as context:
        context.prec = MAX_RESULT_BITS
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        if decimals is None:
            return exact
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def format_number(value: Fraction | int) -> str:
    """GSM8K style: ``24``, ``2.5``, ``0.125``; other values rounded to 6 decimals.

    Integers have no ``.0`` and trailing zeros are dropped; a tiny non-zero value
    that would round to 0 keeps 6 significant digits instead. Never uses an
    exponent.
    """
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    rounded = _to_decimal(value, FORMAT_DECIMALS)
    if rounded == 0:
        leading_zeros = -_to_decimal(value).adjusted() - 1  # 3 for 0.000123
        rounded = _to_decimal(value, leading_zeros + FORMAT_DECIMALS)
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def annotation_is_correct(expr: str, stated: str) -> bool:
    """Whether ``stated`` is the value of ``expr``, allowing GSM8K's rounding.

    The rule: with ``d`` decimals written in ``stated``, accept if it equals the
    exact value, or (for ``d >= 1``) if it is within half a unit of the last
    written decimal (rounding, e.g. ``1/3=0.33``) or is the value truncated
    toward zero to ``d`` decimals (``2/3=0.66``). A stated integer or fraction
    (``3/4``) must be exact: ``10/3=3`` is wrong. An expression the calculator
    refuses is wrong.
    """
    match = _STATED_RESULT.match(stated)
    if not match or len(stated) > MAX_EXPRESSION_CHARS:
        return False
    try:
        value = evaluate(expr)
        claimed = Fraction(match.group(1))
    except (CalculatorError, ZeroDivisionError):
        return False
    text = match.group(1)
    if claimed == value:
        return True
    decimals = len(text.partition(".")[2])
    if decimals == 0 or "/" in text:
        return False
    unit = Fraction(1, 10**decimals)
    truncated = Fraction(int(value / unit), 1) * unit  # int() truncates toward zero
    return abs(value - claimed) <= unit / 2 or claimed == truncated


def find_annotations(text: str) -> list[Annotation]:
    """Every ``<<expr=result>>`` in ``text`` (one line each, exactly one ``=``)."""
    return [Annotation(m.group(1), m.group(2), m.span()) for m in _ANNOTATION.finditer(text)]


def latex_expression(text: str) -> str | None:
    """Plain LaTeX arithmetic (``-\\frac{3}{4} \\cdot 2``, ``3^2 + 1``) as a calculator
    expression (``-((3)/(4)) * 2``), or None when ``text`` holds anything else."""
    text = text.replace("\\left", "").replace("\\right", "")
    previous = None
    while previous != text:
        previous, text = text, _LATEX_FRAC.sub(r"((\1)/(\2))", text)
    for latex, plain in _LATEX_OPERATORS.items():
        text = text.replace(latex, plain)
    if not text.strip() or not _CALCULATOR_CHARS.fullmatch(text):
        return None
    return text


def format_latex_number(value: Fraction | int, decimal: bool = False) -> str:
    """``-3``; ``\\frac{3}{4}`` (or with ``decimal``, ``0.75`` when the decimal terminates)."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    places = _decimal_places(value.denominator) if decimal else None
    if places is not None:
        digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
        return ("-" if value < 0 else "") + digits[:-places] + "." + digits[-places:]
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _decimal_places(denominator: int) -> int | None:
    """Places a fraction with this denominator needs as a decimal; None if it does not terminate."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    return max(twos, fives) if denominator == 1 else None


def calculator_completion(text: str, notation: str = "gsm8k") -> str | None:
    """What to append to ``text`` ending in an open calculation.

    ``gsm8k``: after ``<<expr=``, the result and ``>>`` (``"24>>"``). ``latex``:
    after ``$expr =`` in inline math still open on the last line, a space and the
    result (``" 24"``; decimals when the expression has them). None if ``text``
    does not end so or the calculator refuses the expression (the sampler then
    lets the model continue).
    """
    if notation not in NOTATIONS:
        raise ValueError(f"unknown calculator notation {notation!r}; expected one of {NOTATIONS}")
    tail = text[-(MAX_EXPRESSION_CHARS + 3) :]
    if notation == "latex":
        return _latex_completion(tail, text.rpartition("\n")[2])
    match = _OPEN_ANNOTATION.search(tail)
    if match is None:
        return None
    try:
        return format_number(evaluate(match.group(1))) + ">>"
    except CalculatorError:
        return None


def _latex_completion(tail: str, line: str) -> str | None:
    match = _OPEN_LATEX.search(tail)
    if match is None or (line.count("$") - line.count("\\$")) % 2 == 0:
        return None  # no "=" after arithmetic, or the "=" is outside inline math
    expr = latex_expression(match.group(1))
    if expr is None or not _HAS_OPERATION.search(expr):
        return None  # "$x =" or "$12 =": nothing to compute
    try:
        value = evaluate(expr)
    except CalculatorError:
        return None
    return " " + format_latex_number(value, decimal="." in expr)
