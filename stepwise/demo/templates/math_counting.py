"""Counting & Probability templates of the MATH-style demo: counting, and ``color_pair`` (which two of
four colours make a stated total; the first step's check is 0 only for the right pair)."""

from __future__ import annotations

import itertools
import math as _math

from stepwise.demo.choices import Choices
from stepwise.demo.templates.math_base import MathDraft, template

# --------------------------------------------------- Counting & Probability


@template("counting", "Counting & Probability")
def counting(ch: Choices, long: bool) -> MathDraft:
    form = ch.pick(["choose2", "choose3", "arrange", "probability"])
    if form in ("choose2", "choose3"):
        size = 2 if form == "choose2" else 3
        n = ch.num(size + 2, 12)
        group = ch.pick(["students", "books", "players", "flavors"])
        d = MathDraft(
            f"In how many ways can ${size}$ {group} be chosen from ${n}$ {group}, if order does not matter?", {"n": n}
        )
        ordered = d.add("*", ["n", n - 1], "Choosing in order, there are $<calc>$ ways for the first two.")
        if size == 3:
            ordered = d.add("*", [ordered, n - 2], "With the third, $<calc>$ ordered ways.")
            orders = d.add("*", ["3", "2"], "Each group can be ordered in $<calc>$ ways.")
            d.add("/", [ordered, orders], "So there are $<calc>$ groups.")
        else:
            d.add("/", [ordered, "2"], "Each pair is counted twice, so there are $<calc>$ ways.")
    elif form == "arrange":
        n, k = ch.num(5, 10), ch.num(3, 4)
        d = MathDraft(
            f"In how many ways can a first, second{', third' if k == 4 else ''} and "
            f"{'fourth' if k == 4 else 'third'} prize be given to ${k}$ of ${n}$ people?",
            {"n": n},
        )
        ways = "n"
        for j in range(1, k):
            ways = d.add("*", [ways, n - j], "Multiplying by the choices for the next prize: $<calc>$.")
    else:
        red, blue, green = ch.num(1, 9), ch.num(1, 9), ch.num(1, 9)
        color = ch.pick(["red", "blue", "green"])
        d = MathDraft(
            f"A bag has ${red}$ red, ${blue}$ blue and ${green}$ green marbles. One marble is drawn at random. "
            f"What is the probability that it is {color}? Express your answer as a common fraction.",
            {"r": red, "b": blue, "g": green},
        )
        two = d.add("+", ["r", "b"], "Red and blue together: $<calc>$.")
        total = d.add("+", [two, "g"], "With green, there are $<calc>$ marbles.")
        wanted = {"red": "r", "blue": "b", "green": "g"}[color]
        count = {"red": red, "blue": blue, "green": green}[color]
        text = (
            "The probability is $<calc>$."
            if _math.gcd(count, red + blue + green) > 1
            else "The probability is $<res>$."
        )
        d.add("/", [wanted, total], text, frac=True)
    return d


_COLORS = ("red", "blue", "green", "yellow")
_COLLECTIONS = (
    ("bag", "marbles"),
    ("box", "crayons"),
    ("jar", "beads"),
    ("vase", "tulips"),
    ("drawer", "socks"),
    ("bowl", "candies"),
)


@template("color_pair", "Counting & Probability")
def color_pair(ch: Choices, long: bool) -> MathDraft:
    """Four colours' counts, and the total of exactly one pair of them; the answer is that pair's
    difference. Which pair is a guess for a model that cannot add in its head; the first step's
    check (the total minus the two counts) is 0 only for the right pair, so with the calculator
    a wrong guess shows in that step's result (the MATH twin of GSM8K's ``pair_total``). The
    other two colours are distractors, and no wrong pair's check or difference is one of the
    true values, so the truth judge sees every wrong guess."""
    holder, items = ch.pick(_COLLECTIONS)
    colors = ch.rng.sample(_COLORS, 4)
    pairs = list(itertools.combinations(range(4), 2))
    while True:
        counts = ch.rng.sample(range(ch.low, ch.high + 1), 4)
        first, second = ch.pick(pairs)
        total = counts[first] + counts[second]
        gap = abs(counts[first] - counts[second])
        truth = {counts[first], counts[second], total, 0, gap}
        others = [(i, j) for i, j in pairs if (i, j) != (first, second)]
        if gap and all(
            total - counts[i] - counts[j] not in truth and abs(counts[i] - counts[j]) not in truth for i, j in others
        ):
            break
    listed = ", ".join(f"{colors[i]} ${counts[i]}$" for i in range(3)) + f" and {colors[3]} ${counts[3]}$"
    d = MathDraft(
        f"A {holder} holds {items} of four colors: {listed}. The {items} of two of these colors number ${total}$ "
        f"in all. How many more {items} are there of the more common of those two colors than of the other?",
        {color: count for color, count in zip(colors, counts)} | {"total": total},
        distractors=[colors[i] for i in range(4) if i not in (first, second)],
    )
    d.add(
        "-",
        ["total", colors[first], colors[second]],
        f"The <name1> $<arg1>$ and <name2> $<arg2>$ {items} leave $<calc>$ of the $<total>$.",
    )
    big, small = sorted((colors[first], colors[second]), key=lambda color: d.givens[color], reverse=True)
    d.add("-", [big, small], f"So there are $<calc>$ more <name0> {items}.")
    return d
