"""MATH-style demo problems with solutions in the PRM800K generator format.

Each record has MATH-500's fields ``problem``, ``solution``, ``answer``,
``subject``, ``level`` (an int, as in MATH-500), ``unique_id``
(``demo-<split>/<subject>/<k>.json``) and a ``demo`` field with the solution's
program (see :mod:`stepwise.demo.program`). The ``solution`` is one step per
line, then ``# Answer``, a blank line and the answer, as PRM800K's generator
wrote it. Every step is one small operation on small numbers and states its
result (``$12 \\div 4 = 3$``); answers are integers, negatives, fractions
(``\\frac{3}{4}``) and decimals. Eleven templates over five MATH subjects write 2
to 12 steps; ``long_share`` of the problems get 8 or more. A twelfth, ``color_pair``
(two steps, a guess and its check), is the demo's default mix: see its docstring.

Splits work as in :mod:`stepwise.demo.gsm8k` (stable hash of the problem text).
"""

from __future__ import annotations

import itertools
import math as _math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from stepwise.demo.choices import Choices, select_templates
from stepwise.demo.program import (
    check_split,
    encode_value,
    render_number,
    render_solution,
    run_program,
    split_of,
    true_values,
)

LONG_STEPS = 8  # a "long" solution has at least this many steps
MAX_STEPS = 12
SUBJECT_SLUGS = {
    "Algebra": "algebra",
    "Prealgebra": "prealgebra",
    "Geometry": "geometry",
    "Number Theory": "number_theory",
    "Counting & Probability": "counting_and_probability",
}


@dataclass
class MathDraft:
    """A problem before assembly; ``givens`` hold the quantities the steps refer to by name."""

    problem: str
    givens: dict[str, Fraction | int]
    steps: list[dict] = field(default_factory=list)
    style: str = "fraction"
    distractors: list[str] = field(default_factory=list)

    def add(self, op: str | None, args: list[str | int], text: str, frac: bool = False) -> str:
        """Append a step; return the name of its result (``s<k>``)."""
        step: dict = {"op": op, "text": text}
        if op is not None:
            step["args"] = [str(arg) for arg in args]
        if frac:
            step["style"] = "frac"
        self.steps.append(step)
        return f"s{len(self.steps) - 1}"


@dataclass(frozen=True)
class MathTemplate:
    """A problem template: its subject, and whether it writes short and/or long solutions."""

    name: str
    subject: str
    short: bool
    long: bool
    make: Callable[[Choices, bool], MathDraft]


TEMPLATES: dict[str, MathTemplate] = {}


def _template(name: str, subject: str, short: bool = True, long: bool = False):
    def register(make: Callable[[Choices, bool], MathDraft]) -> Callable[[Choices, bool], MathDraft]:
        TEMPLATES[name] = MathTemplate(name, subject, short, long, make)
        return make

    return register


def _signed_term(value: int) -> str:
    """``value`` as a later term of a sum: ``+ 3`` or ``- 3``."""
    return f"+ {value}" if value >= 0 else f"- {-value}"


# ------------------------------------------------------------------ Algebra


@_template("linear_equation", "Algebra", long=True)
def _linear_equation(ch: Choices, long: bool) -> MathDraft:
    if long:
        return _linear_equation_long(ch)
    a, b, c = ch.num(2, 9), ch.signed(), ch.signed()
    form = ch.pick(["ax+b=c", "a(x+b)=c", "ax+b=cx+d", "x/a+b=c"])
    if form == "ax+b=c":
        d = MathDraft(f"Solve for $x$: ${a}x {_signed_term(b)} = {c}$.", {"a": a, "b": b, "c": c})
        r = d.add("-", ["c", "b"], "Subtract $<b>$ from both sides: $<calc>$.")
        d.add("/", [r, "a"], "Divide both sides by $<a>$: $x = <calc>$.")
    elif form == "a(x+b)=c":
        d = MathDraft(f"Solve for $x$: ${a}(x {_signed_term(b)}) = {c}$.", {"a": a, "b": b, "c": c})
        p = d.add("*", ["a", "b"], "Expanding the left side gives the constant $<calc>$.")
        r = d.add("-", ["c", p], f"Subtract $<{p}>$ from both sides: $<calc>$.")
        d.add("/", [r, "a"], "Divide both sides by $<a>$: $x = <calc>$.")
    elif form == "ax+b=cx+d":
        e = ch.num(1, a - 1) if a > 2 else a + ch.num(1, 5)
        d = MathDraft(
            f"Solve for $x$: ${a}x {_signed_term(b)} = {e}x {_signed_term(c)}$.", {"a": a, "b": b, "c": c, "e": e}
        )
        u = d.add("-", ["a", "e"], "Collect the $x$ terms on the left: $<calc>$.")
        v = d.add("-", ["c", "b"], "Collect the constants on the right: $<calc>$.")
        d.add("/", [v, u], "So $x = <calc>$.")
    else:
        d = MathDraft(f"Solve for $x$: $\\frac{{x}}{{{a}}} {_signed_term(b)} = {c}$.", {"a": a, "b": b, "c": c})
        r = d.add("-", ["c", "b"], "Subtract $<b>$ from both sides: $<calc>$.")
        d.add("*", [r, "a"], "Multiply both sides by $<a>$: $x = <calc>$.")
    return d


def _linear_equation_long(ch: Choices) -> MathDraft:
    """``a(x + b) + c(x - e) [+ k] = f(x + g) [+ h]``: 8 to 10 steps."""
    a, b, c, e, f, g = ch.num(2, 6), ch.num(1, 9), ch.num(2, 6), ch.num(1, 9), ch.num(2, 9), ch.signed()
    if a + c == f:
        f += 1
    k, h = ch.pick([None, ch.signed()]), ch.pick([None, ch.signed()])
    left = f"{a}(x + {b}) + {c}(x - {e})" + ("" if k is None else f" {_signed_term(k)}")
    right = f"{f}(x {_signed_term(g)})" + ("" if h is None else f" {_signed_term(h)}")
    givens = {name: value for name, value in dict(a=a, b=b, c=c, e=e, f=f, g=g, k=k, h=h).items() if value is not None}
    d = MathDraft(f"Solve for $x$: ${left} = {right}$.", givens)
    p = d.add("*", ["a", "b"], "Expanding $<a>(x + <b>)$ gives the constant $<calc>$.")
    q = d.add("*", ["c", "e"], "Expanding $<c>(x - <e>)$ gives $<c>x$ minus $<calc>$.")
    t = d.add("*", ["f", "g"], "Expanding the right side gives the constant $<calc>$.")
    u = d.add("+", ["a", "c"], "The $x$ coefficient on the left is $<calc>$.")
    v = d.add("-", [p, q], "The constant on the left is $<calc>$.")
    if k is not None:
        v = d.add("+", [v, "k"], "Adding the last term on the left: $<calc>$.")
    w = t
    if h is not None:
        w = d.add("+", [t, "h"], "The constant on the right is $<calc>$.")
    y = d.add("-", [u, "f"], "Subtract $<f>x$ from both sides: $<calc>$.")
    z = d.add("-", [w, v], f"Subtract $<{v}>$ from both sides: $<calc>$.")
    d.add("/", [z, y], "So $x = <calc>$.")
    return d


_MONOMIALS = [("x^2", "x", "x"), ("y^2", "y", "y"), ("xy", "x", "y"), ("x", "x", None), ("y", "y", None)]


@_template("evaluate_expression", "Algebra", long=True)
def _evaluate_expression(ch: Choices, long: bool) -> MathDraft:
    terms = ch.rng.sample(_MONOMIALS, ch.pick([3, 4, 5]) if long else ch.pick([1, 2]))
    if ch.rng.random() < 0.5:
        terms.append(("", None, None))  # a constant term
    coefficients = [ch.num(1, 9) * (1 if i == 0 else ch.pick([1, -1])) for i in range(len(terms))]
    shown = []
    for i, (k, (monomial, _, _)) in enumerate(zip(coefficients, terms)):
        body = str(abs(k)) if monomial == "" else ("" if abs(k) == 1 else str(abs(k))) + monomial
        shown.append(body if i == 0 else ("+ " if k > 0 else "- ") + body)
    values = {"x": ch.signed(), "y": ch.signed()}
    used = [name for name in values if any(name in (u, w) for _, u, w in terms)]
    where = " and ".join(f"${name} = {values[name]}$" for name in used)
    problem = f"Evaluate ${' '.join(shown)}$" + (f" when {where}." if where else ".")
    d = MathDraft(problem, {name: values[name] for name in used})
    total = None
    for k, (monomial, u, w) in zip(coefficients, terms):
        if monomial == "":
            term = str(abs(k))
        else:
            term = u if w is None else d.add("*", [u, w], f"${monomial} = <calc>$.")
            if abs(k) != 1:
                term = d.add("*", [abs(k), term], f"So ${abs(k)}{monomial} = <calc>$.")
        if total is None:
            total = term
        else:
            text = ch.pick(["Combining the terms so far: $<calc>$.", "Next, $<calc>$."])
            total = d.add("+" if k > 0 else "-", [total, term], text)
    return d if len(d.steps) >= 2 else _evaluate_expression(ch, long)


@_template("arithmetic_sequence", "Algebra", long=True)
def _arithmetic_sequence(ch: Choices, long: bool) -> MathDraft:
    first, diff = ch.signed(), ch.signed()
    shown = f"{first}, {first + diff}, {first + 2 * diff}, \\ldots"
    givens = {"a1": first, "a2": first + diff}
    if long:  # add up term by term: 8, 10 or 12 steps
        count = ch.pick([5, 6, 7])
        d = MathDraft(f"What is the sum of the first ${count}$ terms of the arithmetic sequence ${shown}$?", givens)
        step = d.add("-", ["a2", "a1"], "The common difference is $<calc>$.")
        terms = ["a1", "a2"]
        for _ in range(count - 2):
            terms.append(d.add("+", [terms[-1], step], "The next term is $<calc>$."))
        total = "a1"
        for term in terms[1:]:
            total = d.add("+", [total, term], "Adding the next term: $<calc>$.")
        return d
    count = ch.num(4, 20)
    want_sum = ch.rng.random() < 0.5
    ask = f"the sum of the first ${count}$ terms" if want_sum else f"the ${count}$th term"
    d = MathDraft(f"What is {ask} of the arithmetic sequence ${shown}$?", {**givens, "n": count})
    step = d.add("-", ["a2", "a1"], "The common difference is $<calc>$.")
    gaps = d.add("-", ["n", "1"], "From the first term to the $<n>$th term there are $<calc>$ steps.")
    jump = d.add("*", [gaps, step], "Those steps add up to $<calc>$.")
    last = d.add("+", ["a1", jump], "So the $<n>$th term is $<calc>$.")
    if want_sum:
        ends = d.add("+", ["a1", last], "The first and last terms add up to $<calc>$.")
        doubled = d.add("*", [ends, "n"], "Times the number of terms: $<calc>$.")
        d.add("/", [doubled, "2"], "Half of that is the sum: $<calc>$.")
    return d


# --------------------------------------------------------------- Prealgebra


@_template("order_of_operations", "Prealgebra", long=True)
def _order_of_operations(ch: Choices, long: bool) -> MathDraft:
    count = ch.pick([6, 7]) if long else ch.pick([2, 3])
    compound_share = 0.8 if long else 0.5
    d = MathDraft("", {})
    shown, refs = [], []
    for i in range(count):
        a, b = ch.num(2, 9), ch.num(2, 9)
        if ch.rng.random() >= compound_share:
            term, ref = str(a), str(a)
        elif ch.rng.random() < 0.5:
            term = f"{a} \\cdot {b}"
            ref = d.add("*", [a, b], ch.pick(["First, $<calc>$.", "Multiplying, $<calc>$."]))
        else:
            term = f"{a * b} \\div {b}"
            ref = d.add("/", [a * b, b], ch.pick(["Dividing, $<calc>$.", "First, $<calc>$."]))
        sign = "+" if i == 0 else ch.pick(["+", "-"])
        shown.append(term if i == 0 else f"{sign} {term}")
        refs.append((sign, ref))
    total = refs[0][1]
    for sign, ref in refs[1:]:
        total = d.add(sign, [total, ref], ch.pick(["Working left to right, $<calc>$.", "Then $<calc>$."]))
    d.problem = f"Compute ${' '.join(shown)}$."
    return d


@_template("fraction_sum", "Prealgebra", long=True)
def _fraction_sum(ch: Choices, long: bool) -> MathDraft:
    count = ch.pick([3, 4]) if long else 2
    denominators = ch.rng.sample([2, 3, 4, 5, 6, 8, 9, 10, 12], count)
    common = _math.lcm(*denominators)
    numerators = [ch.num(1, den - 1) for den in denominators]
    signs = ["+"] + [ch.pick(["+", "-"]) for _ in range(count - 1)]
    top = sum((1 if s == "+" else -1) * n * (common // den) for s, n, den in zip(signs, numerators, denominators))
    if common > 72 or top % common == 0:  # keep numbers small and the answer a proper fraction
        return _fraction_sum(ch, long)
    shown = " ".join(
        (f"{s} " if i else "") + f"\\frac{{{n}}}{{{den}}}"
        for i, (s, n, den) in enumerate(zip(signs, numerators, denominators))
    )
    d = MathDraft(f"Compute ${shown}$. Express your answer as a common fraction.", {"L": common})
    new_numerators = []
    for i, (n, den) in enumerate(zip(numerators, denominators)):
        lead = "The common denominator is $<L>$, and $<calc>$." if i == 0 else "For the next fraction, $<calc>$."
        factor = d.add("/", ["L", den], lead)
        new_numerators.append(
            d.add("*", [n, factor], f"So $\\frac{{{n}}}{{{den}}}$ has numerator $<calc>$ over $<L>$.")
        )
    total = new_numerators[0]
    for sign, ref in zip(signs[1:], new_numerators[1:]):
        total = d.add(sign, [total, ref], "Combining the numerators: $<calc>$.")
    if _math.gcd(top, common) > 1:
        d.add("/", [total, "L"], "This simplifies to $<calc>$.", frac=True)
    else:  # already in lowest terms: state it without a computation
        d.add("/", [total, "L"], "So the result is $<res>$.", frac=True)
    return d


@_template("percent", "Prealgebra")
def _percent(ch: Choices, long: bool) -> MathDraft:
    rate = ch.pick([5, 10, 15, 20, 25, 30, 40, 60, 75])
    base = ch.num(2, 20) * ch.pick([4, 10, 20])
    form = ch.pick(["of", "discount", "up_down"])
    if form == "of":
        d = MathDraft(f"What is ${rate}\\%$ of ${base}$?", {"p": rate, "y": base}, style="decimal")
        share = d.add("/", ["p", "100"], "As a decimal, $<calc>$.")
        d.add("*", [share, "y"], "So the answer is $<calc>$.")
    elif form == "discount":
        d = MathDraft(
            f"A jacket costs $\\${base}$ and is discounted by ${rate}\\%$. What is the sale price, in dollars?",
            {"p": rate, "y": base},
            style="decimal",
        )
        share = d.add("/", ["p", "100"], "As a decimal, $<calc>$.")
        cut = d.add("*", [share, "y"], "The discount is $<calc>$.")
        d.add("-", ["y", cut], "The sale price is $<calc>$.")
    else:
        down = ch.pick([10, 20, 25, 50])
        d = MathDraft(
            f"A price of $\\${base}$ is raised by ${rate}\\%$, and the new price is then lowered by ${down}\\%$. "
            "What is the final price, in dollars?",
            {"p": rate, "q": down, "y": base},
            style="decimal",
        )
        share = d.add("/", ["p", "100"], "As a decimal, $<calc>$.")
        rise = d.add("*", [share, "y"], "The increase is $<calc>$.")
        new = d.add("+", ["y", rise], "The new price is $<calc>$.")
        share2 = d.add("/", ["q", "100"], "As a decimal, $<calc>$.")
        cut = d.add("*", [share2, new], "The decrease is $<calc>$.")
        d.add("-", [new, cut], "The final price is $<calc>$.")
    return d


@_template("mean", "Prealgebra", long=True)
def _mean(ch: Choices, long: bool) -> MathDraft:
    count = ch.num(8, 11) if long else ch.num(3, 6)
    values = [ch.num(ch.low, 2 * ch.high) for _ in range(count)]
    mean = Fraction(sum(values), count)
    style = "decimal" if (mean * 10**6).denominator == 1 else "fraction"
    ask = (
        "Express your answer as a decimal."
        if style == "decimal" and mean.denominator != 1
        else ("Express your answer as a common fraction." if mean.denominator != 1 else "")
    )
    listed = ", ".join(str(v) for v in values)
    d = MathDraft(f"What is the arithmetic mean of the numbers ${listed}$? {ask}".strip(), {"n": count}, style=style)
    total = str(values[0])
    for value in values[1:]:
        total = d.add("+", [total, value], ch.pick(["Adding, $<calc>$.", "The running total is $<calc>$."]))
    d.add("/", [total, "n"], "Dividing by the $<n>$ numbers, the mean is $<calc>$.")
    return d


# ----------------------------------------------------------------- Geometry


@_template("geometry", "Geometry")
def _geometry(ch: Choices, long: bool) -> MathDraft:
    form = ch.pick(["perimeter", "angle", "trapezoid", "cut_corner", "polygon"])
    if form == "perimeter":
        length, width = ch.num(3, 20), ch.num(1, 12)
        d = MathDraft(
            f"A rectangle has length ${length}$ and width ${width}$. What is its perimeter?", {"l": length, "w": width}
        )
        half = d.add("+", ["l", "w"], "Length plus width is $<calc>$.")
        d.add("*", ["2", half], "The perimeter is $<calc>$.")
    elif form == "angle":
        a, b = ch.num(20, 80), ch.num(20, 80)
        d = MathDraft(
            f"Two angles of a triangle measure ${a}^\\circ$ and ${b}^\\circ$. What is the measure, in degrees, "
            "of the third angle?",
            {"a": a, "b": b},
        )
        both = d.add("+", ["a", "b"], "The two angles add up to $<calc>$ degrees.")
        d.add("-", ["180", both], "The third angle is $<calc>$ degrees.")
    elif form == "trapezoid":
        b1, b2, h = ch.num(2, 15), ch.num(2, 15), ch.num(2, 10)
        d = MathDraft(
            f"A trapezoid has bases ${b1}$ and ${b2}$ and height ${h}$. What is its area?", {"b1": b1, "b2": b2, "h": h}
        )
        bases = d.add("+", ["b1", "b2"], "The bases add up to $<calc>$.")
        product = d.add("*", [bases, "h"], "Times the height: $<calc>$.")
        d.add("/", [product, "2"], "Half of that is the area: $<calc>$.")
    elif form == "cut_corner":
        scale = ch.num(1, 2)
        a, b, c = 3 * scale, 4 * scale, 5 * scale
        length, width = a + ch.num(2, 10), b + ch.num(2, 10)
        d = MathDraft(
            f"A right triangle with legs ${a}$ and ${b}$ and hypotenuse ${c}$ is cut from a corner of a "
            f"${length}$ by ${width}$ rectangle. What is the area of the remaining region?",
            {"a": a, "b": b, "c": c, "l": length, "w": width},
            distractors=["c"],
        )
        rect = d.add("*", ["l", "w"], "The rectangle's area is $<calc>$.")
        legs = d.add("*", ["a", "b"], "The product of the legs is $<calc>$.")
        tri = d.add("/", [legs, "2"], "So the triangle's area is $<calc>$.")
        d.add("-", [rect, tri], "The remaining area is $<calc>$.")
    else:
        sides = ch.num(5, 12)
        d = MathDraft(
            f"What is the measure, in degrees, of each interior angle of a regular polygon with ${sides}$ sides?",
            {"n": sides},
        )
        tri = d.add("-", ["n", "2"], "The polygon splits into $<calc>$ triangles.")
        total = d.add("*", [tri, "180"], "The angles add up to $<calc>$ degrees.")
        d.add("/", [total, "n"], "Each angle is $<calc>$ degrees.")
    return d


# ------------------------------------------------------------ Number Theory


@_template("remainder", "Number Theory")
def _remainder(ch: Choices, long: bool) -> MathDraft:
    divisor, quotient = ch.num(3, 12), ch.num(5, 40)
    number = divisor * quotient + ch.num(0, divisor - 1)
    d = MathDraft(f"What is the remainder when ${number}$ is divided by ${divisor}$?", {"N": number, "m": divisor})
    multiple = d.add("*", ["m", quotient], "The largest multiple of $<m>$ that is at most $<N>$ is $<calc>$.")
    d.add("-", ["N", multiple], "The remainder is $<calc>$.")
    return d


@_template("divisor_sum", "Number Theory", short=True, long=True)
def _divisor_sum(ch: Choices, long: bool) -> MathDraft:
    choices = (
        [24, 30, 36, 40, 42, 48, 54, 56, 60, 66, 70, 72, 78, 80, 84, 88, 90, 96]
        if long
        else [6, 8, 10, 12, 14, 15, 16, 18, 20, 21, 22]
    )
    number = ch.pick(choices)
    divisors = [k for k in range(1, number + 1) if number % k == 0]
    listed = ", ".join(str(k) for k in divisors[:-1]) + f", and {divisors[-1]}"
    d = MathDraft(f"What is the sum of the positive divisors of ${number}$?", {"N": number})
    d.add(None, [], f"The positive divisors of ${number}$ are ${listed}$.")
    total = str(divisors[0])
    for k in divisors[1:]:
        total = d.add("+", [total, k], ch.pick(["Adding $<arg1>$: $<calc>$.", "Then $<calc>$."]))
    return d


# --------------------------------------------------- Counting & Probability


@_template("counting", "Counting & Probability")
def _counting(ch: Choices, long: bool) -> MathDraft:
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
_COLLECTIONS = (("bag", "marbles"), ("box", "crayons"), ("jar", "beads"), ("vase", "tulips"), ("drawer", "socks"),
                ("bowl", "candies"))


@_template("color_pair", "Counting & Probability")
def _color_pair(ch: Choices, long: bool) -> MathDraft:
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
        if gap and all(total - counts[i] - counts[j] not in truth and abs(counts[i] - counts[j]) not in truth
                       for i, j in others):
            break
    listed = ", ".join(f"{colors[i]} ${counts[i]}$" for i in range(3)) + f" and {colors[3]} ${counts[3]}$"
    d = MathDraft(
        f"A {holder} holds {items} of four colors: {listed}. The {items} of two of these colors number ${total}$ "
        f"in all. How many more {items} are there of the more common of those two colors than of the other?",
        {color: count for color, count in zip(colors, counts)} | {"total": total},
        distractors=[colors[i] for i in range(4) if i not in (first, second)],
    )
    d.add("-", ["total", colors[first], colors[second]],
          f"The <name1> $<arg1>$ and <name2> $<arg2>$ {items} leave $<calc>$ of the $<total>$.")
    big, small = sorted((colors[first], colors[second]), key=lambda color: d.givens[color], reverse=True)
    d.add("-", [big, small], f"So there are $<calc>$ more <name0> {items}.")
    return d


# generate_math's templates when none are named (color_pair is asked for by name; the demo config does).
STEP_TEMPLATES = [name for name in TEMPLATES if name != "color_pair"]


# ------------------------------------------------------------------ assembly


def _level(n_steps: int) -> int:
    return min(5, 1 + (n_steps - 2) // 2)


def _assemble(
    template: MathTemplate, ch: Choices, long: bool, split: str, seen: set[str], bounds: tuple[int, int]
) -> dict | None:
    """One record, or None when it is off the wanted step range, of the other split, or seen already."""
    draft = template.make(ch, long)
    n_steps = len(draft.steps)
    if not bounds[0] <= n_steps <= bounds[1] or split_of(draft.problem) != split or draft.problem in seen:
        return None
    program = {
        "givens": {name: encode_value(Fraction(value)) for name, value in draft.givens.items()},
        "distractors": draft.distractors,
        "steps": draft.steps,
        "answer": f"s{n_steps - 1}",
        "number_style": draft.style,
    }
    trace = run_program(program)
    lines, answer = render_solution(program, "latex", trace=trace)
    answer_text = render_number(answer, "latex", draft.style)
    return {
        "problem": draft.problem,
        "solution": "\n".join(lines) + f"\n# Answer\n\n{answer_text}",
        "answer": answer_text,
        "subject": template.subject,
        "level": _level(n_steps),
        "unique_id": "",  # numbered once the final order is known
        "demo": {
            "kind": "math",
            "template": template.name,
            "split": split,
            "n_steps": n_steps,
            "program": program,
            "values": [encode_value(value) for value in sorted(true_values(program, trace))],
            "answer_value": encode_value(answer),
        },
    }


def generate_math(
    n: int,
    seed: int,
    split: str,
    *,
    min_steps: int = 2,
    max_steps: int = MAX_STEPS,
    long_share: float = 0.3,
    min_number: int = 1,
    max_number: int = 12,
    templates: list[str] | None = None,
) -> list[dict]:
    """``n`` distinct MATH-style problems of ``split`` ("train" or "test").

    Knobs: step counts within ``[min_steps, max_steps]`` (2 to 12 possible);
    exactly ``round(n * long_share)`` problems have ``LONG_STEPS`` (8) or more
    steps; base quantities in ``[min_number, max_number]``; ``templates``
    restricts the templates (default :data:`STEP_TEMPLATES`, all but ``color_pair``). Deterministic
    given the arguments.
    """
    check_split(split)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 2 <= min_steps <= max_steps <= MAX_STEPS:
        raise ValueError(f"need 2 <= min_steps <= max_steps <= {MAX_STEPS}, got {min_steps}, {max_steps}")
    if not 0 <= long_share <= 1:
        raise ValueError(f"long_share must be in [0, 1], got {long_share}")
    if not 1 <= min_number <= max_number:
        raise ValueError(f"need 1 <= min_number <= max_number, got {min_number}, {max_number}")
    chosen = select_templates(TEMPLATES, STEP_TEMPLATES if templates is None else templates, "MATH")
    n_long = round(n * long_share)
    classes = [
        (True, n_long, (max(LONG_STEPS, min_steps), max_steps)),
        (False, n - n_long, (min_steps, min(LONG_STEPS - 1, max_steps))),
    ]
    rng = random.Random(f"math:{seed}:{split}")
    records: list[dict] = []
    seen: set[str] = set()
    for long, count, bounds in classes:
        records += _generate_class(rng, chosen, long, count, bounds, split, seen, (min_number, max_number))
    rng.shuffle(records)
    counters: dict[str, int] = {}
    for record in records:
        slug = SUBJECT_SLUGS[record["subject"]]
        counters[slug] = counters.get(slug, 0) + 1
        record["unique_id"] = f"demo-{split}/{slug}/{counters[slug]}.json"
    return records


def _generate_class(
    rng: random.Random,
    chosen: list[MathTemplate],
    long: bool,
    count: int,
    bounds: tuple[int, int],
    split: str,
    seen: set[str],
    numbers: tuple[int, int],
) -> list[dict]:
    """``count`` new problems of one length class (long: 8+ steps) with step counts within ``bounds``."""
    if count == 0:
        return []
    options = [t for t in chosen if (t.long if long else t.short)]
    if not options or bounds[0] > bounds[1]:
        kind = "long (8+ step)" if long else "short"
        raise ValueError(
            f"cannot write {kind} solutions with steps in {bounds} from templates {[t.name for t in chosen]}"
        )
    records = []
    for _ in range(100 * count + 1000):
        record = _assemble(rng.choice(options), Choices(rng, *numbers), long, split, seen, bounds)
        if record is not None:
            seen.add(record["problem"])
            records.append(record)
            if len(records) == count:
                return records
    raise ValueError(f"only {len(records)} of {count} distinct {split} problems with {bounds} steps; widen the knobs")
