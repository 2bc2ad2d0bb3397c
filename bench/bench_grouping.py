"""Answer grouping for majority voting at paper scale: 500 problems x 256 MATH-style answers.

Goals, on a generated table (each problem: its right answer in several spellings, many distinct wrong
answers, unparsable text and missing answers):
  1. ``AnswerChecker.group_many`` (each distinct answer read once in the workers, pairs of numbers
     settled by value) groups the whole table in at most 60 s with 2 workers;
  2. its groups equal those of the pairwise method (every new distinct answer checked against every
     group so far, one ``equal`` call each) on a subset of the problems.
Prints both times and exits with status 1 if a goal fails.

Run from the repository root: ``python bench/bench_grouping.py``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from stepwise.answers import AnswerChecker  # noqa: E402
from stepwise.selection import pairwise_grouper  # noqa: E402

MAX_SECONDS = 60.0
UNPARSABLE = [
    "I could not solve it",
    "\\frac{",
    "see above",
    "))",
    "the answer is unclear",
    "\\text{none of these}}",
    "???",
    "x = ",
    "\\begin{pmatrix}",
]


def spellings(value: Fraction) -> list[str]:
    """Ways a solution writes one number."""
    p, q = value.numerator, value.denominator
    if q == 1:
        return [f"{p}", f"{p}.0", f"\\${p}", f"{p} \\text{{ units}}", f"{p}^\\circ", f"x = {p}"]
    forms = [f"\\frac{{{p}}}{{{q}}}", f"\\dfrac{{{p}}}{{{q}}}", f"{p}/{q}", f"\\tfrac{{{p}}}{{{q}}}"]
    if 10**6 % q == 0:
        forms.append(f"{float(value):g}")
    return forms


def right_answer(rng: random.Random) -> tuple[str, list[str]]:
    """A problem's right answer and its spellings: a number most of the time, else an expression."""
    kind = rng.random()
    if kind < 0.6:
        value = Fraction(rng.randint(-50, 500), rng.choice([1, 1, 1, 2, 3, 4, 5, 8]))
        return spellings(value)[0], spellings(value)
    a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 7])
    if kind < 0.8:
        return f"{a}\\sqrt{{{b}}}", [f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"{a} \\sqrt {b}"]
    if kind < 0.9:
        return f"({a}, {b})", [f"({a}, {b})", f"({a},{b})", f"\\left( {a}, {b} \\right)"]
    return f"[{a}, {a + b})", [f"[{a}, {a + b})", f"[{a},{a + b})", f"\\left[{a}, {a + b}\\right)"]


def wrong_answers(rng: random.Random, right: str, count: int) -> list[str]:
    """Distinct wrong answers: nearby integers and fractions, a few expressions."""
    wrong: dict[str, None] = {}
    while len(wrong) < count:
        kind = rng.random()
        if kind < 0.7:
            answer = str(rng.randint(-100, 1000))
        elif kind < 0.9:
            answer = f"\\frac{{{rng.randint(1, 99)}}}{{{rng.randint(2, 12)}}}"
        else:
            answer = f"{rng.randint(2, 20)}\\sqrt{{{rng.choice([2, 3, 5, 6, 7, 10])}}}"
        if answer != right:
            wrong[answer] = None
    return list(wrong)


def make_table(problems: int, samples: int, wrong: int, seed: int) -> list[list[str | None]]:
    """Every problem's answers, in sample order."""
    rng = random.Random(seed)
    table = []
    for _ in range(problems):
        right, forms = right_answer(rng)
        wrongs = wrong_answers(rng, right, wrong)
        weights = [1 / (rank + 1) for rank in range(len(wrongs))]  # a few wrong answers are common
        p_right = rng.uniform(0.1, 0.7)
        answers: list[str | None] = []
        for _ in range(samples):
            draw = rng.random()
            if draw < 0.03:
                answers.append(None)
            elif draw < 0.08:
                answers.append(rng.choice(UNPARSABLE))
            elif draw < 0.08 + p_right:
                answers.append(forms[0] if rng.random() < 0.6 else rng.choice(forms))
            else:
                answers.append(rng.choices(wrongs, weights)[0])
        table.append(answers)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--wrong", type=int, default=30, help="distinct wrong answers per problem")
    parser.add_argument("--compare", type=int, default=25, help="problems grouped by the pairwise method too")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    table = make_table(args.problems, args.samples, args.wrong, args.seed)
    distinct = sum(len({a for a in answers if a is not None}) for answers in table)
    print(f"{args.problems} problems x {args.samples} answers, {distinct} distinct answers summed over the problems")

    with AnswerChecker(workers=args.workers) as checker:
        start = time.perf_counter()
        groups = checker.group_many(table)
        fast_s = time.perf_counter() - start
        stats = checker.stats
    print(
        f"group_many, whole table: {fast_s:.1f} s ({stats.worker_forms} answers read, {stats.worker_checks} "
        f"checks in the workers, {stats.fast_path} by the fast path)"
    )

    subset = table[: args.compare]
    with AnswerChecker(workers=args.workers) as checker:
        start = time.perf_counter()
        pairwise = pairwise_grouper(checker.equal)(subset)
        pairwise_s = time.perf_counter() - start
        checks = checker.stats.worker_checks
    share = len(subset) / len(table)
    print(
        f"pairwise, first {len(subset)} problems: {pairwise_s:.1f} s ({checks} checks in the workers; the whole "
        f"table at that rate: about {pairwise_s / share / 60:.0f} min)"
    )
    with AnswerChecker(workers=args.workers) as checker:
        start = time.perf_counter()
        fast_subset = checker.group_many(subset)
        print(f"group_many, the same {len(subset)} problems: {time.perf_counter() - start:.1f} s")

    goals = {
        f"whole table in <= {MAX_SECONDS:.0f} s": fast_s <= MAX_SECONDS,
        f"the same groups as the pairwise method on {len(subset)} problems": pairwise
        == fast_subset
        == groups[: len(subset)],
    }
    for goal, met in goals.items():
        print(f"{'PASS' if met else 'FAIL'}  {goal}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
