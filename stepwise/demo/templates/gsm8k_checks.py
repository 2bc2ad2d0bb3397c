"""GSM8K-style demo templates whose solutions check their own answer: ``start_amount`` (undo a story,
then replay it to the amount the question states) and ``pair_total`` (which two of four teams make a
stated total; the check is 0 only for the right pair)."""

from __future__ import annotations

import itertools
from fractions import Fraction

from stepwise.demo.choices import Choices
from stepwise.demo.program import apply_op
from stepwise.demo.templates.gsm8k_base import Draft, make_step, sentence_case, template

# A story told forward from an unknown start (``start_amount``): each event as the
# question tells it, and the step that undoes it in the solution.
_EVENTS = {
    "+": (
        ["{name} buys <{q}> more {noun}.", "{name} finds <{q}> more {noun}."],
        "-",
        "Before getting <arg1> more, {he} had <calc> {noun}.",
    ),
    "-": (
        ["{name} gives <{q}> {noun} to a friend.", "{name} loses <{q}> {noun}."],
        "+",
        "Before losing <arg1>, {he} had <calc> {noun}.",
    ),
    "*": (
        ["{his} {noun} grow to <{q}> times as many.", "{he} ends up with <{q}> times as many {noun}."],
        "/",
        "Before growing <arg1> times, {he} had <calc> {noun}.",
    ),
    "/": (
        [
            "{he} splits {his} {noun} into <{q}> equal piles and keeps one pile.",
            "{he} puts {his} {noun} into <{q}> equal bags and keeps one bag.",
        ],
        "*",
        "Before splitting into <arg1> parts, {he} had <calc> {noun}.",
    ),
}


@template("start_amount", [2, 4, 6])
def start_amount(ch: Choices, n: int) -> Draft:
    """An unknown start, one to three events, the end amount: the solution undoes the events, then
    checks its answer by replaying them forward as the question tells them, which must give the
    amount the question states (copying the question's words makes the replay use its numbers)."""
    p = ch.person()
    noun = ch.pick(["stickers", "marbles", "stamps", "shells", "coins", "beads"])
    names = {"name": p.name, "he": p.he, "his": p.his, "noun": noun}
    while True:  # draw until every amount along the story is a positive integer
        ops = ch.rng.sample(sorted(_EVENTS), n // 2)
        start = ch.num()
        values, amounts = [], [Fraction(start)]
        for op in ops:
            value = ch.factor() if op in "*/" else ch.num(1, max(1, int(amounts[-1]) - 1) if op == "-" else None)
            values.append(value)
            amounts.append(apply_op(op, [amounts[-1], Fraction(value)]))
        if all(a.denominator == 1 and a >= 1 for a in amounts):
            break
    amount = amounts[-1]
    givens = {"end": int(amount), **{f"q{i}": value for i, value in enumerate(values)}}
    events = [sentence_case(ch.pick(_EVENTS[op][0]).format(q=f"q{i}", **names)) for i, op in enumerate(ops)]
    facts = [f"{p.name} has some {noun}.", *events]
    facts.append(f"Now {p.he} has <end> {noun}.")
    steps, current = [], "end"
    for i in reversed(range(len(ops))):
        _, undo, text = _EVENTS[ops[i]]
        steps.append(make_step(undo, [current, f"q{i}"], sentence_case(text.format(**names))))
        current = f"s{len(steps) - 1}"
    answer = current
    for i, op in enumerate(ops):  # the check: replay the story from the answer, in the question's words
        text = ("Check: " if i == 0 else "") + events[i].removesuffix(".") + f", so <calc> {noun}."
        steps.append(make_step(op, [current, f"q{i}"], text))
        current = f"s{len(steps) - 1}"
    ask = ch.pick([f"How many {noun} did {p.name} have at first?", f"How many {noun} did {p.name} start with?"])
    distractors = [f"{sentence_case(p.his)} friend has <d> {noun}.", f"{p.name} keeps {p.his} {noun} in <d> boxes."]
    return Draft(facts, ask, givens, steps, distractors, answer)


_TEAMS = ("red", "blue", "green", "yellow")


@template("pair_total", [2])
def pair_total(ch: Choices, n: int) -> Draft:
    """Four teams' scores, and the total that exactly one pair of them reached. Which pair is a
    guess for a reader that cannot add in its head, but the solution's check, the total minus the
    two scores it chose, is 0 only for the right pair: the calculator's result shows a wrong guess,
    so checking is easier than solving. Each score follows its team's colour, so a solution copies
    it from right after that word; the check subtracts the two scores from the total rather than
    comparing their sum with it, so no number in it could be copied from two places."""
    game, unit = ch.pick(
        [
            ("quiz", "points"),
            ("darts match", "points"),
            ("reading contest", "books"),
            ("fishing trip", "fish"),
            ("apple harvest", "apples"),
            ("bake sale", "cakes"),
        ]
    )
    teams = ch.rng.sample(_TEAMS, 4)
    pairs = list(itertools.combinations(range(4), 2))
    while True:  # draw until exactly one pair has the total and its difference is unique too
        counts = ch.rng.sample(range(ch.low, ch.high + 1), 4)
        first, second = ch.pick(pairs)
        total = counts[first] + counts[second]
        gap = abs(counts[first] - counts[second])
        others = [(i, j) for i, j in pairs if (i, j) != (first, second)]
        if gap and all(counts[i] + counts[j] != total and abs(counts[i] - counts[j]) != gap for i, j in others):
            break
    givens = {f"q{i}": count for i, count in enumerate(counts)} | {"total": total}
    facts = [
        f"After the {game}, the four teams had {unit}: {teams[0]} <q0>, {teams[1]} <q1>, {teams[2]} <q2>"
        f" and {teams[3]} <q3>.",
        ch.pick([f"Two of the teams had <total> {unit} together.", f"Two of the teams had <total> {unit} in all."]),
    ]
    big, small = sorted((first, second), key=lambda k: counts[k], reverse=True)
    steps = [
        make_step(
            "-",
            ["total", f"q{first}", f"q{second}"],
            f"Teams {teams[first]} <arg1> and {teams[second]} <arg2> leave <calc> of the <total> {unit}.",
        ),
        make_step("-", [f"q{big}", f"q{small}"], f"So {teams[big]} had <calc> more {unit}."),
    ]
    ask = ch.pick(
        [
            f"How many more {unit} did the one of those two teams with more have?",
            f"Of those two teams, how many more {unit} did the one with more have?",
        ]
    )
    distractors = ["The teams had played for <d> hours.", f"A fifth team had <d> {unit} the year before."]
    return Draft(facts, ask, givens, steps, distractors)
