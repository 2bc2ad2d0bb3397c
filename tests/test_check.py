"""Answer checking: GSM8K numbers, MATH equivalence through math-verify, the pool glue."""

import os
import re
import time
from fractions import Fraction

import pytest

from stepwise.answers import AnswerChecker, gsm8k_equal, latex, parse_gsm8k_number, sandbox
from stepwise.answers import check as check_module
from stepwise.selection import pairwise_grouper

# (pred, ref). Every pair is accepted by the checker and, with the fast path
# off, by math-verify itself, so the glue does not depend on string identity.
MATH_MUST_ACCEPT = [
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),
    ("\\frac12", "0.5"),
    ("10\\%", "10"),
    ("90^\\circ", "90"),
    ("\\$18.00", "18"),
    ("\\dfrac{1}{2}", "\\frac{1}{2}"),
    (".5", "0.5"),
    ("1/2", "\\frac{1}{2}"),
    ("\\text{(B)}", "B"),
    ("(B)", "\\text{(B)}"),
    ("[0, 1)", "[0,1)"),
    ("(-\\infty, 2]", "(-\\infty,2]"),
    ("(2,\\infty)\\cup(-\\infty,1)", "(-\\infty,1)\\cup(2,\\infty)"),
    ("\\{2,1\\}", "\\{1,2\\}"),
    ("3, 2", "2, 3"),  # a list of solutions is unordered
    ("3", "x=3"),
    ("10,\\!000", "10000"),
    ("\\sqrt{2}/2", "\\frac{\\sqrt2}{2}"),
    ("5 \\text{ cm}", "5"),
    ("2\\sqrt{2}", "\\sqrt{8}"),
    ("(x+1)^2", "x^2+2x+1"),
    ("$\\frac{1}{2}$", "0.5"),
    ("\\tfrac{3}{4}", "0.75"),
    ("-\\frac{1}{2}", "\\frac{-1}{2}"),
    ("\\pi/2", "\\frac{\\pi}{2}"),
    ("\\text{Evelyn}", "\\text{Evelyn}"),
]

MATH_MUST_REJECT = [
    ("0.33", "\\frac{1}{3}"),
    ("(\\frac{\\pi}{2},3)", "(3,\\frac{\\pi}{2})"),  # an ordered pair
    ("-2", "2"),
    ("x-1", "x+1"),
    ("(0,1)", "[0,1]"),
    ("[1,2]", "[1,2)"),
    ("\\{1,2\\}", "(1,2)"),  # a set is not a pair or an interval
    ("(1,2)", "\\{1,2\\}"),
    ("\\text{(A)}", "\\text{(B)}"),
    ("x=3", "y=3"),
    ("3y", "3x"),
    ("1.0000001", "1"),
    ("100", "10"),
    ("2", "\\sqrt{2}"),
    ("2", "\\frac{1}{2}"),
    ("5", "0.5"),
    ("2", "2\\pi"),
    ("x^3", "x^2"),
    ("-\\infty", "\\infty"),
    ("1.57", "\\frac{\\pi}{2}"),
    ("1, 2", "1, 2, 3"),
    ("(1,2)", "(1,2,3)"),
    ("\\text{Evelyn}", "\\text{Sam}"),
    ("0", "1"),
    ("(1,2)\\cup(3,4)", "(1,2)\\cup[3,4]"),
    ("12", "21"),
    ("\\frac{2}{3}", "\\frac{3}{2}"),
    (None, "5"),
    ("", "5"),
    ("   ", " "),
    ("\\frac{1}{2", "\\frac{1}{2}"),  # unbalanced braces are not sent to math-verify
]


@pytest.fixture(scope="module", params=[True, False], ids=["fast-path", "math-verify-only"])
def math_checker(request):
    with AnswerChecker(kind="math", workers=2, timeout_s=10, fast_path=request.param) as checker:
        yield checker


def test_math_must_accept(math_checker):
    verdicts = math_checker.check_many(MATH_MUST_ACCEPT)
    assert [pair for pair, ok in zip(MATH_MUST_ACCEPT, verdicts) if not ok] == []


def test_math_must_reject(math_checker):
    verdicts = math_checker.check_many(MATH_MUST_REJECT)
    assert [pair for pair, ok in zip(MATH_MUST_REJECT, verdicts) if ok] == []
    assert len(MATH_MUST_REJECT) >= len(MATH_MUST_ACCEPT)


@pytest.mark.parametrize(
    "pred, ref",
    [
        ("18 dollars", "18"),
        ("$18.00", "18"),
        ("18.00", "18"),
        ("-5", "-5"),
        ("\u22125", "-5"),  # unicode minus
        ("1,000", "1000"),
        ("$1,018.50 per week", "1018.5"),
        (".5", "0.5"),
        ("2 + 3 = 5", "5"),  # the last number is the answer
        ("72", "72"),
    ],
)
def test_gsm8k_accept(pred, ref):
    assert gsm8k_equal(pred, ref)


@pytest.mark.parametrize(
    "pred, ref",
    [
        ("18", "-18"),
        ("-5", "5"),
        ("18.01", "18"),
        ("0.30000000000000004", "0.3"),  # exact, not float-tolerant
        ("18", "1800"),
        ("1,8", "18"),  # a comma separates thousands only before three digits
        (None, "18"),
        ("", "18"),
        ("eighteen", "18"),
        ("1" * 61, "1" * 61),  # beyond MAX_GSM8K_DIGITS: unparsable
    ],
)
def test_gsm8k_reject(pred, ref):
    assert not gsm8k_equal(pred, ref)


def test_parse_gsm8k_number_is_exact():
    # 1018.50 = 2037/2 and 0.1 = 1/10 exactly (by hand), not binary floats.
    assert parse_gsm8k_number("$1,018.50 per week") == Fraction(2037, 2)
    assert parse_gsm8k_number("0.1") == Fraction(1, 10)
    assert parse_gsm8k_number("from 3 to -4 degrees") == -4
    assert parse_gsm8k_number("no digits") is None


def test_gsm8k_checker_runs_without_a_pool():
    with AnswerChecker(kind="gsm8k") as checker:
        assert checker.check_many([("18 dollars", "18"), ("17", "18"), (None, "18")]) == [True, False, False]
        assert checker._pool is None
        assert checker.stats.fast_path == 3


def test_cache_checks_each_distinct_pair_once():
    with AnswerChecker(workers=2, timeout_s=10) as checker:
        verdicts = checker.check_many([("1/2", "0.5"), ("2", "3"), ("1/2", "0.5"), ("1/2", "0.5")])
        assert verdicts == [True, False, True, True]
        assert checker.stats.worker_checks == 2
        assert checker.stats.cache_hits == 2
        assert checker.equal("1/2", "0.5")
        assert checker.stats.worker_checks == 2 and checker.stats.cache_hits == 3


def test_timeout_kills_the_item_and_the_pool_recovers():
    with AnswerChecker(workers=1, timeout_s=1) as checker:
        start = time.perf_counter()
        assert not checker.equal("9^{9^{9^{9}}}", "1")
        assert time.perf_counter() - start < 1 + 1.5
        assert checker.stats.timeouts == 1
        assert checker.equal("\\frac12", "0.5")  # a fresh worker took over


_TEST_PROCESS = os.getpid()
_REAL_VERDICT = latex.math_verdict


def _verdict_or_failure(pred, ref):
    """The real verdict, except that the marker answers make the worker die or raise."""
    if pred == "die":
        os._exit(3)
    if pred == "raise":
        raise RuntimeError("boom")
    return _REAL_VERDICT(pred, ref)


def test_a_failing_item_is_an_error_and_only_that_item_fails(monkeypatch):
    monkeypatch.setattr(check_module, "math_verdict", _verdict_or_failure)
    with AnswerChecker(workers=1, timeout_s=10) as checker:
        pairs = [("die", "1"), ("1/2", "0.5"), ("raise", "1"), ("2", "2.0")]
        assert checker.check_many(pairs) == [False, True, False, True]
        assert checker.stats.errors == 2
        assert checker.stats.timeouts == 0


def _die_in_a_worker():
    if os.getpid() != _TEST_PROCESS:
        os._exit(3)


def test_a_broken_pool_is_replaced_then_given_up_without_hanging(monkeypatch):
    # Every worker dies while starting, so pebble declares the pool broken; its
    # queued tasks would never finish if the checker simply waited for them.
    monkeypatch.setattr(latex, "warm_up", _die_in_a_worker)  # the workers' initializer calls it
    with AnswerChecker(workers=1, timeout_s=10) as checker:
        start = time.perf_counter()
        assert checker.check_many([("1/2", "0.5"), ("2", "2.0")]) == [False, False]
        assert time.perf_counter() - start < 10
        assert checker.stats.pool_restarts == 2
        assert checker.stats.errors == 2


def _allocate_past_the_limit(queue):
    sandbox.limit_address_space_growth(100 * 1024 * 1024)
    try:
        bytearray(400 * 1024 * 1024)
    except MemoryError:
        queue.put("MemoryError")
    else:
        queue.put("allocated")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="the memory cap needs /proc (Linux)")
def test_worker_memory_growth_is_capped():
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_allocate_past_the_limit, args=(queue,))
    process.start()
    process.join(30)
    assert queue.get(timeout=5) == "MemoryError"


def test_long_and_malformed_answers_get_only_the_fast_path():
    long_half = "\\frac{1}{2}" + "+0" * 600  # equals 1/2 but is over max_chars
    with AnswerChecker(max_chars=1000) as checker:
        assert not checker.equal(long_half, "0.5")
        assert checker.equal("x" * 5000, "x" * 5000)  # identical strings need no parsing
        assert not checker.equal("\\boxed{5}", "5")  # a box inside an answer is not unwrapped
        assert checker.stats.too_long_or_malformed == 2
        assert checker.stats.worker_checks == 0


GROUPING_CASES = [
    # spellings of one number, a far one, a percentage (math-verify: 50% equals both 50 and 0.5), an interval,
    # a relation whose right side is a number, sets, text, unparsable answers, identical unparsable ones
    [
        "\\frac12",
        "0.5",
        None,
        "2",
        "1/2",
        "2.0",
        "-2",
        "0.5",
        "50\\%",
        "50",
        "x=2",
        "(0, 1]",
        "\\{1,2\\}",
        "2,1",
        "\\text{(B)}",
        "B",
        "\\frac{",
        "\\frac{",
        "))",
        "0.5000001",
        "0.49",
        "\\sqrt{2}",
        "1.414214",
        "1.4142",
        "\\pi",
    ],
    ["3", "3.0", "x = 3", "\\frac{6}{2}", "3.0001", "3.00000001", "1000", "1,000", "10^3", "999.99995", None],
    # words (read as products of letters), the letter e (math-verify: Euler's number), assignments, a set of one
    [
        "I could not solve it",
        "5",
        "see above",
        "e",
        "2.718282",
        "\\text{five}",
        "x=5",
        "y = 5",
        "x = 6",
        "5.0000001",
        "\\sin^2 x + \\cos^2 x",
        "1",
        "\\{3\\}",
        "3",
        "\\text{E}",
        "see above",
    ],
]


def test_grouping_settles_pairs_without_checks_and_agrees_with_pairwise():
    with AnswerChecker(workers=2, timeout_s=10) as checker:
        grouped = checker.group_many(GROUPING_CASES)
        worker_checks = checker.stats.worker_checks
        with AnswerChecker(workers=2, timeout_s=10) as reference:
            assert grouped == pairwise_grouper(reference.equal)(GROUPING_CASES)
            assert worker_checks < 0.6 * reference.stats.worker_checks  # pairs of numbers need no check
    first = grouped[0]
    assert first[:8] == [0, 0, None, 1, 0, 1, 2, 0]
    assert first[8] == first[0] != first[9]  # 50% joins 0.5's group (math-verify: 50% = 0.5), so 50 founds one
    assert first[16] == first[17] and first[21] == first[22] != first[23]  # the same text; sqrt(2) to 6 decimals


def test_grouping_gsm8k():
    with AnswerChecker(kind="gsm8k") as checker:
        assert checker.group_many([["18", "$18.00", "17", None, "18 dollars", "abc", "abc"]]) == [
            [0, 0, 1, None, 0, 2, 2]
        ]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown answer kind 'latex'"):
        AnswerChecker(kind="latex")
    with AnswerChecker(kind="gsm8k") as checker:
        with pytest.raises(TypeError, match="pair 1: expected \\(str \\| None, str\\), got \\(int, str\\)"):
            checker.check_many([("1", "1"), (1, "1")])
        with pytest.raises(TypeError, match="pair 0: expected a \\(pred, ref\\) pair"):
            checker.check_many(["123"])


INJECTIONS = [
    "__import__('os').system('true')",
    "1+2*3",
    "9**9",
    "(lambda: 1)()",
    "exec('1')",
    "1/2 + 3",
    "\\operatorname{__import__}(os)",
]

_PARSE_EXPR_HOLDERS = ("sympy.parsing.sympy_parser", "math_verify.parser", "latex2sympy2_extended.latex2sympy2")


def test_math_verify_glue_reaches_parse_expr_only_with_numbers(monkeypatch):
    """What we pass to math-verify reaches parse_expr (sympify's eval) only as
    number tokens (sympy.Number on a LaTeX number), never as names or code."""
    import importlib

    import math_verify
    import sympy

    modules = [importlib.import_module(name) for name in _PARSE_EXPR_HOLDERS]
    original = modules[0].parse_expr
    seen = []

    def spy(text, *args, **kwargs):
        seen.append(text)
        return original(text, *args, **kwargs)

    for module in modules:
        monkeypatch.setattr(module, "parse_expr", spy)
    # The spy sits where sympify and math-verify's own expression path land.
    sympy.sympify("x + 1")
    math_verify.parse("so 1+2*3 it is", [math_verify.ExprExtractionConfig()])
    assert seen[:2] == ["x + 1", "1+2*3"]
    seen.clear()

    pairs = MATH_MUST_ACCEPT + [p for p in MATH_MUST_REJECT if p[0] and p[0].strip()] + [(s, s) for s in INJECTIONS]
    for pred, ref in pairs:
        latex.math_verdict(pred, ref)
    assert seen, "expected number tokens to reach sympy.Number"
    assert [text for text in seen if not re.fullmatch(r"-?[\d.]+", text)] == []


def test_restricted_parse_expr_refuses_names(monkeypatch):
    import importlib

    import sympy

    for name in _PARSE_EXPR_HOLDERS:  # let monkeypatch restore the originals afterwards
        module = importlib.import_module(name)
        monkeypatch.setattr(module, "parse_expr", module.parse_expr)
    sandbox.restrict_parse_expr()
    assert sympy.sympify("1+2*3") == 7
    assert sympy.Number("2.5") == 2.5
    for text in [s for s in INJECTIONS if re.search("[a-z]", s)] + ["x", "oo"]:
        with pytest.raises(ValueError, match="refused"):
            sympy.sympify(text)
    # the glue still works under the restriction
    assert latex.math_verdict("\\frac12", "0.5")
    assert latex.math_verdict("(x+1)^2", "x^2+2x+1")
