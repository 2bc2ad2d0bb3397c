"""Hostile inputs: nothing executes, nothing raises, nothing runs past its time limit.

Over a thousand seeded strings (code injection, huge powers and factorials,
thousands-deep nesting, random unicode and control characters, LaTeX that makes
sympy slow) go through extraction (our formats' and the free-form one in the
checker's workers), the GSM8K and MATH checkers, the calculator and step
splitting.
"""

import random
import time

import pytest

from stepwise.answers import AnswerChecker, extract_answer
from stepwise.calculator import (
    CalculatorError,
    annotation_is_correct,
    calculator_completion,
    evaluate,
    find_annotations,
)
from stepwise.formats.steps import join_steps, split_steps

TIME_LIMIT_S = 1.0
MARGIN_S = 1.0  # pebble notices an overrun within 0.1 s and kills at once; the rest is slack for a loaded machine
IN_PROCESS_LIMIT_S = 0.5  # extraction, GSM8K and calculator work is bounded, with no time limit of its own
REFERENCES = ["1", "\\frac{1}{2}", "x^2+1", "(1,2)", "\\{1,2\\}", "[0,\\infty)"]


def _named_attacks(sentinel: str) -> list[str]:
    touch = f"__import__('os').system('touch {sentinel}')"
    return [
        touch,
        f"exec(\"open('{sentinel}', 'w').close()\")",
        f'eval("{touch}")',
        f"(lambda: {touch})()",
        f"\\boxed{{{touch}}}",
        f"1+{touch}",
        f"The answer is {touch}",
        f"#### {touch}",
        f"# Answer\n\n{touch}",
        f"<<{touch}=0>>",
        f"compile(\"{touch}\", 'x', 'exec')",
        f"getattr(__builtins__, 'exec')(\"{touch}\")",
        "().__class__.__base__.__subclasses__()",
        "\\operatorname{__import__}(os)",
        f"\\text{{{touch}}}",
        f"${touch}$",
        f"\\mathrm{{exec}}({touch})",
        f"x_{{{touch}}}",
        # huge numbers
        "9**9**9",
        "9^9^9",
        "9^{9^{9^{9}}}",
        "10^{10^{10^{10}}}",
        "2^{2^{2^{2^{2^{2}}}}}",
        "100000!",
        "(10^{10})!",
        "\\binom{10^{10}}{10^{5}}",
        "10^{10^{10}} \\bmod 7",
        "1" * 100_000,
        # deep nesting
        "{" * 5000 + "1" + "}" * 5000,
        "\\boxed{" * 3000 + "1" + "}" * 3000,
        "{" * 10_000,
        "\\frac{1}{" * 300 + "2" + "}" * 300,
        "\\sqrt{" * 300 + "2" + "}" * 300,
        "(" * 2000 + "1" + ")" * 2000,
        "x^{" * 200 + "x" + "}" * 200,
        # slow or odd symbolic work
        "\\sum_{n=1}^{10^{10}} n^{n}",
        "\\prod_{k=1}^{10^{9}} k",
        "\\int_0^\\infty e^{-x^2} \\sin(x^{x}) dx",
        "\\lim_{x\\to 0} \\frac{\\sin(x^{100})}{x^{99}}",
        "(x+1)^{1000}-(x-1)^{1000}",
        "\\sin(10^{100})",
        "e^{e^{e^{e^{e}}}}",
        "\\begin{pmatrix}"
        + "\\\\".join(" & ".join(f"x_{{{i}{j}}}" for j in range(12)) for i in range(12))
        + "\\end{pmatrix}^{-1}",
        "1/0",
        "0^{-1}",
        "\\frac{1}{0}",
        "\\infty - \\infty",
        "\\tan(\\pi/2)",
        # broken syntax and odd characters
        "x" * 100_000,
        "\x00\x01\x02\x1b[31m\x7f",
        "\ud800",
        "\\",
        "{",
        "}",
        "$",
        "$$",
        "\\boxed",
        "\\boxed{",
        "\\fbox}",
        "#### ",
        "# Answer",
        "The answer is",
    ]


def _generated(count: int, seed: int = 20240601) -> list[str]:
    """Random token soup, random unicode/control characters, and numeric LaTeX."""
    rng = random.Random(seed)
    tokens = [
        "\\frac{",
        "}",
        "{",
        "^",
        "_",
        "\\sqrt{",
        "9",
        "10",
        "(",
        ")",
        "[",
        "]",
        "+",
        "-",
        "*",
        "/",
        "!",
        "x",
        "\\pi",
        "e",
        "\\infty",
        ",",
        "=",
        "\\boxed{",
        "\\left(",
        "\\right)",
        "\\text{",
        "%",
        "$",
        ".",
        " ",
        "\\cdot",
        "\\times",
        "\\{",
        "\\}",
        "\\le",
        "\\cup",
        "__import__",
        "'os'",
        "exec",
        "lambda",
        "**",
        "\n",
        "#### ",
        "# Answer",
        "<<",
        ">>",
    ]
    strings = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            strings.append("".join(rng.choice(tokens) for _ in range(rng.randint(1, 40))))
        elif kind == 1:
            code_points = [
                rng.choice([rng.randint(0, 31), rng.randint(32, 0x2FFF), rng.randint(0x1F300, 0x1FAFF)])
                for _ in range(rng.randint(1, 30))
            ]
            strings.append("".join(map(chr, code_points)))
        else:
            opener, closer = rng.choice([("\\frac{", "}{7}"), ("(", ")"), ("\\sqrt{", "}"), ("", "")])
            suffix = rng.choice(["!", "^{9}", "", "**9", "\\%", "^\\circ"])
            strings.append(f"{opener}{rng.randint(0, 500)}{closer}{suffix}")
    return strings


@pytest.fixture(scope="module")
def attacks(tmp_path_factory):
    sentinel = tmp_path_factory.mktemp("adversarial") / "pwned"
    strings = _named_attacks(str(sentinel)) + _generated(1000)
    assert len(strings) >= 1000
    yield strings
    assert not sentinel.exists(), "an input was executed"


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def test_extraction_calculator_steps_and_gsm8k(attacks):
    slowest = 0.0
    with AnswerChecker(kind="gsm8k") as gsm8k:
        for text in attacks:
            start = time.perf_counter()
            answer = extract_answer(text)
            assert answer is None or isinstance(answer, str)
            assert gsm8k.check_many([(text, "1"), ("1", text), (answer, text)]) is not None
            try:
                evaluate(text)
            except CalculatorError:
                pass
            completion = calculator_completion("<<" + text + "=")
            assert completion is None or completion.endswith(">>")
            annotation_is_correct(text, "1")
            annotation_is_correct("1", text)
            find_annotations(text)
            for fmt in ("gsm8k", "prm800k"):
                assert join_steps(split_steps(text, fmt)) == text
            slowest = max(slowest, time.perf_counter() - start)
    assert slowest < IN_PROCESS_LIMIT_S


def test_math_checker_time_limit_holds_per_item(attacks):
    """Every item is checked on its own and timed, alternately as the prediction
    and as the reference: the limit holds for each one."""
    with AnswerChecker(kind="math", workers=2, timeout_s=TIME_LIMIT_S) as checker:
        checker.equal("1", "2")  # start the pool outside the timed checks
        over = []
        for index, text in enumerate(attacks):
            other = REFERENCES[index % len(REFERENCES)]
            pair = (text, other) if index % 2 == 0 else (other, text)
            verdict, seconds = _timed(checker.equal, *pair)
            assert isinstance(verdict, bool)
            if seconds > TIME_LIMIT_S + MARGIN_S:
                over.append((round(seconds, 2), text[:60]))
        assert over == []
        stats = checker.stats
        print(f"\nMATH checker on {len(attacks)} hostile answers: {stats}")
        assert stats.worker_checks > len(attacks) // 2  # most of them really reached math-verify
        assert stats.timeouts > 0  # and the slow ones were cut off, not waited for


def test_free_form_extraction_time_limit_holds_per_item(attacks):
    """The same strings as free-form solutions: math-verify's extraction (which may call the restricted
    parse_expr) reads each in a worker, within the time limit, and returns a string or None."""
    with AnswerChecker(kind="math", workers=2, timeout_s=TIME_LIMIT_S) as checker:
        checker.extract("1")  # start the pool outside the timed reads
        over = []
        for text in attacks:
            answer, seconds = _timed(checker.extract, text)
            assert answer is None or isinstance(answer, str)
            if seconds > TIME_LIMIT_S + MARGIN_S:
                over.append((round(seconds, 2), text[:60]))
        assert over == []
        print(f"\nfree-form extraction of {len(attacks)} hostile texts: {checker.stats}")
        assert checker.stats.worker_extractions == len(attacks) + 1
