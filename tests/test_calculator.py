"""The restricted calculator: exact values, refusals, formatting, GSM8K annotations and inline LaTeX."""

import random
from fractions import Fraction

import pytest

from stepwise.calculator import (
    MAX_EXPRESSION_CHARS,
    Annotation,
    CalculatorError,
    annotation_is_correct,
    calculator_completion,
    evaluate,
    find_annotations,
    format_latex_number,
    format_number,
    latex_expression,
)


@pytest.mark.parametrize(
    "expr, expected",
    [  # expected values worked out by hand
        ("48/2", Fraction(24)),
        ("18*.5", Fraction(9)),
        ("2-.5", Fraction(3, 2)),
        ("0.1+0.2", Fraction(3, 10)),  # exact: a float would give 0.30000000000000004
        ("1/3", Fraction(1, 3)),
        ("7//2", Fraction(3)),
        ("7%3", Fraction(1)),
        ("-3--2", Fraction(-1)),
        ("+(1+2)*3", Fraction(9)),
        ("2**10", Fraction(1024)),
        ("2**-2", Fraction(1, 4)),
        (" 5 * 3 ", Fraction(15)),
        ("1.", Fraction(1)),
    ],
)
def test_evaluate(expr, expected):
    value = evaluate(expr)
    assert isinstance(value, Fraction) and value == expected


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "abs(-1)",
        "x",
        "x+1",
        "(lambda: 1)()",
        "1 if 1 else 2",
        "[1]",
        "1<2",
        "1 and 2",
        "'1'",
        "True",
        "None",
        "(1).__class__",
        "1e5",
        "0x10",
        "1_000",
        "1j",
        "2**0.5",  # irrational: refused rather than approximated
        "9**9**9",
        "2**4096",
        "(2**2000)*(2**2000)*(2**2000)",
        "1/0",
        "0**-1",
        "5%0",
        "",
        "1+",
        "1;2",
        "\x00",
        "1" * (MAX_EXPRESSION_CHARS + 1),
    ],
)
def test_evaluate_refuses(expr):
    with pytest.raises(CalculatorError):
        evaluate(expr)


def test_size_bounds_allow_large_but_bounded_values():
    assert evaluate("2**2000") == 2**2000
    assert evaluate("(2**2000)*(2**2000)") == 2**4000
    assert evaluate("(" * 90 + "1" + ")" * 90) == 1
    assert evaluate("-" * 199 + "1") == -1


def _random_expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.3:
        integer, decimal = rng.randint(0, 99), rng.randint(0, 99)
        return rng.choice([str(rng.randint(0, 999)), f"{integer}.{decimal}", f".{rng.randint(1, 9)}"])
    op = rng.choice(["+", "-", "*", "/"])
    return f"({_random_expression(rng, depth + 1)}{op}{_random_expression(rng, depth + 1)})"


def test_evaluate_agrees_with_fraction_arithmetic_and_formatting_round_trips():
    rng = random.Random(3)
    checked = 0
    for _ in range(500):
        expr = _random_expression(rng)
        # Independent oracle: the same expression with every literal as a Fraction,
        # evaluated by Python (safe: the test generated the string).
        oracle_source = "".join(
            f"Fraction('{token}')" if token[:1].isdigit() or token[:1] == "." else token for token in _tokens(expr)
        )
        try:
            expected = eval(oracle_source, {"Fraction": Fraction})  # noqa: S307 - test-generated
        except ZeroDivisionError:
            with pytest.raises(CalculatorError, match="division by zero"):
                evaluate(expr)
            continue
        assert evaluate(expr) == expected, expr
        assert annotation_is_correct(expr, format_number(expected)), expr
        checked += 1
    assert checked > 400


def _tokens(expr: str) -> list[str]:
    tokens, number = [], ""
    for char in expr:
        if char.isdigit() or char == ".":
            number += char
            continue
        if number:
            tokens.append(number)
            number = ""
        tokens.append(char)
    return tokens + ([number] if number else [])


@pytest.mark.parametrize(
    "value, text",
    [
        (24, "24"),
        (Fraction(24), "24"),
        (Fraction(5, 2), "2.5"),
        (Fraction(-5, 2), "-2.5"),
        (Fraction(1, 8), "0.125"),
        (Fraction(1, 3), "0.333333"),
        (Fraction(2, 3), "0.666667"),
        (Fraction(1, 3 * 10**9), "0.000000000333333"),  # tiny: 6 significant digits
        (10**30, "1" + "0" * 30),  # never an exponent
        (Fraction(10**20 + 1, 10**20), "1"),  # rounds to 6 decimals, then drops ".000000"
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize(
    "expr, stated, correct",
    [
        ("48/2", "24", True),
        ("48/2", "25", False),
        ("18*.5", "9.00", True),
        ("5/2", "2.50", True),
        ("1/3", "0.33", True),  # rounded
        ("1/3", "0.34", False),
        ("2/3", "0.67", True),  # rounded
        ("2/3", "0.66", True),  # truncated
        ("2/3", "0.65", False),
        ("-2/3", "-0.66", True),
        ("1/3", ".3", True),
        ("10/3", "3", False),  # a stated integer must be exact
        ("3/4", "3/4", True),  # GSM8K test states one result as a fraction
        ("6/8", "3/4", True),
        ("1/3", "33/100", False),  # fractions are exact, no rounding allowance
        ("1/3", "0.3/1", False),
        ("1", "1/0", False),
        ("1", "1" * 5000, False),
        ("abs(1)", "1", False),
        ("1", "x", False),
        ("1", "", False),
    ],
)
def test_annotation_is_correct(expr, stated, correct):
    assert annotation_is_correct(expr, stated) is correct


def test_find_annotations():
    text = "Natalia sold 48/2 = <<48/2=24>>24 clips.\nThen <<48+24=72>>72 in all. <<x>> <<1=2=3>> <<1+\n1=2>>"
    first, second = text.index("<<48/2"), text.index("<<48+24")
    assert find_annotations(text) == [
        Annotation("48/2", "24", (first, first + len("<<48/2=24>>"))),
        Annotation("48+24", "72", (second, second + len("<<48+24=72>>"))),
    ]
    assert find_annotations("no annotations") == []


@pytest.mark.parametrize(
    "text, completion",
    [
        ("so 48/2 = <<48/2=", "24>>"),
        ("<<1+1=2>>2 and then <<2*3=", "6>>"),
        ("<<1/3=", "0.333333>>"),
        ("<<1/0=", None),
        ("<<__import__('os')=", None),
        ("<<48/2=24>> done", None),
        ("no annotation", None),
        ("<<48/2", None),
        ("", None),
    ],
)
def test_calculator_completion(text, completion):
    assert calculator_completion(text) == completion


@pytest.mark.parametrize(
    "text, completion",
    [  # results worked out by hand
        ("The red $10$ and green $12$ socks leave $22 - 10 - 12 =", " 0"),
        ("So there are $12 - 10 =", " 2"),
        ("Expanding, $x = 3 \\cdot 4 =", " 12"),  # from the last "=" on
        ("$\\frac{3}{4} + \\frac{1}{4} \\div 2 =", " \\frac{7}{8}"),
        ("$\\dfrac{1}{2} - 1 =", " -\\frac{1}{2}"),
        ("As a decimal, $0.25 \\cdot 6 =", " 1.5"),  # decimals in, decimals out
        ("$2^3 - (1 + 1) =", " 6"),
        ("$-3 - 4 =", " -7"),
        ("It costs \\$5, and $3 - 5 =", " -2"),  # an escaped dollar sign opens no math
        ("Line one has $a$.\nThen $7 \\cdot 6 =", " 42"),  # math opened on this line
        ("so 19 - 13 =", None),  # outside inline math
        ("$3$ + 4 =", None),  # the math closed before the "="
        ("Line one opens $\nand 3 + 4 =", None),  # a "$" on an earlier line does not count
        ("$x =", None),  # nothing to compute
        ("$12 =", None),
        ("$2x + 1 =", None),
        ("$1 \\div 0 =", None),
        ("$\\sqrt{4} + 1 =", None),
        ("$3 - 1 = 2$", None),  # no open "="
        ("<<3*5=", None),  # the GSM8K annotation is the other notation
    ],
)
def test_latex_calculator_completion(text, completion):
    assert calculator_completion(text, "latex") == completion


def test_gsm8k_notation_ignores_inline_latex_and_notations_are_checked():
    assert calculator_completion("$22 - 10 - 12 =", "gsm8k") is None
    with pytest.raises(ValueError, match="notation"):
        calculator_completion("<<1+1=", "markdown")


@pytest.mark.parametrize(
    "text, expr",
    [
        ("\\frac{3}{4} \\cdot 2", "((3)/(4)) * 2"),
        ("\\left(1 + 2\\right) \\times 3^2", "(1 + 2) * 3**2"),
        ("12 \\div 4", "12 / 4"),
        ("2x", None),
        ("", None),
    ],
)
def test_latex_expression(text, expr):
    assert latex_expression(text) == expr


@pytest.mark.parametrize(
    "value, decimal, text",
    [
        (Fraction(3), False, "3"),
        (Fraction(-3, 4), False, "-\\frac{3}{4}"),
        (Fraction(-3, 4), True, "-0.75"),
        (Fraction(1, 8), True, "0.125"),
        (Fraction(1, 3), True, "\\frac{1}{3}"),  # does not terminate: stays a fraction
        (Fraction(101, 20), True, "5.05"),
    ],
)
def test_format_latex_number(value, decimal, text):
    assert format_latex_number(value, decimal) == text
