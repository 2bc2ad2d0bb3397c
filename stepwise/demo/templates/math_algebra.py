"""Algebra and Prealgebra templates of the MATH-style demo: linear equations, evaluating expressions,
arithmetic sequences, order of operations, fraction sums, percents and means."""

from __future__ import annotations

import math as _math
from fractions import Fraction

from stepwise.demo.choices import Choices
from stepwise.demo.templates.math_base import MathDraft, signed_term, template

# ------------------------------------------------------------------ Algebra


@template("linear_equation", "Algebra", long=True)
def linear_equation(ch: Choices, long: bool) -> MathDraft:
    if long:
        return _linear_equation_long(ch)
    a, b, c = ch.num(2, 9), ch.signed(), ch.signed()
    form = ch.pick(["ax+b=c", "a(x+b)=c", "ax+b=cx+d", "x/a+b=c"])
    if form == "ax+b=c":
        d = MathDraft(f"Solve for $x$: ${a}x {signed_term(b)} = {c}$.", {"a": a, "b": b, "c": c})
        r = d.add("-", ["c", "b"], "Subtract $<b>$ from both sides: $<calc>$.")
        d.add("/", [r, "a"], "Divide both sides by $<a>$: $x = <calc>$.")
    elif form == "a(x+b)=c":
        d = MathDraft(f"Solve for $x$: ${a}(x {signed_term(b)}) = {c}$.", {"a": a, "b": b, "c": c})
        p = d.add("*", ["a", "b"], "Expanding the left side gives the constant $<calc>$.")
        r = d.add("-", ["c", p], f"Subtract $<{p}>$ from both sides: $<calc>$.")
        d.add("/", [r, "a"], "Divide both sides by $<a>$: $x = <calc>$.")
    elif form == "ax+b=cx+d":
        e = ch.num(1, a - 1) if a > 2 else a + ch.num(1, 5)
        d = MathDraft(
            f"Solve for $x$: ${a}x {signed_term(b)} = {e}x {signed_term(c)}$.", {"a": a, "b": b, "c": c, "e": e}
        )
        u = d.add("-", ["a", "e"], "Collect the $x$ terms on the left: $<calc>$.")
        v = d.add("-", ["c", "b"], "Collect the constants on the right: $<calc>$.")
        d.add("/", [v, u], "So $x = <calc>$.")
    else:
        d = MathDraft(f"Solve for $x$: $\\frac{{x}}{{{a}}} {signed_term(b)} = {c}$.", {"a": a, "b": b, "c": c})
        r = d.add("-", ["c", "b"], "Subtract $<b>$ from both sides: $<calc>$.")
        d.add("*", [r, "a"], "Multiply both sides by $<a>$: $x = <calc>$.")
    return d


def _linear_equation_long(ch: Choices) -> MathDraft:
    """``a(x + b) + c(x - e) [+ k] = f(x + g) [+ h]``: 8 to 10 steps."""
    a, b, c, e, f, g = ch.num(2, 6), ch.num(1, 9), ch.num(2, 6), ch.num(1, 9), ch.num(2, 9), ch.signed()
    if a + c == f:
        f += 1
    k, h = ch.pick([None, ch.signed()]), ch.pick([None, ch.signed()])
    left = f"{a}(x + {b}) + {c}(x - {e})" + ("" if k is None else f" {signed_term(k)}")
    right = f"{f}(x {signed_term(g)})" + ("" if h is None else f" {signed_term(h)}")
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


@template("evaluate_expression", "Algebra", long=True)
def evaluate_expression(ch: Choices, long: bool) -> MathDraft:
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
    return d if len(d.steps) >= 2 else evaluate_expression.make(ch, long)


@template("arithmetic_sequence", "Algebra", long=True)
def arithmetic_sequence(ch: Choices, long: bool) -> MathDraft:
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


@template("order_of_operations", "Prealgebra", long=True)
def order_of_operations(ch: Choices, long: bool) -> MathDraft:
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


@template("fraction_sum", "Prealgebra", long=True)
def fraction_sum(ch: Choices, long: bool) -> MathDraft:
    count = ch.pick([3, 4]) if long else 2
    denominators = ch.rng.sample([2, 3, 4, 5, 6, 8, 9, 10, 12], count)
    common = _math.lcm(*denominators)
    numerators = [ch.num(1, den - 1) for den in denominators]
    signs = ["+"] + [ch.pick(["+", "-"]) for _ in range(count - 1)]
    top = sum((1 if s == "+" else -1) * n * (common // den) for s, n, den in zip(signs, numerators, denominators))
    if common > 72 or top % common == 0:  # keep numbers small and the answer a proper fraction
        return fraction_sum.make(ch, long)
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


@template("percent", "Prealgebra")
def percent(ch: Choices, long: bool) -> MathDraft:
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


@template("mean", "Prealgebra", long=True)
def mean(ch: Choices, long: bool) -> MathDraft:
    count = ch.num(8, 11) if long else ch.num(3, 6)
    values = [ch.num(ch.low, 2 * ch.high) for _ in range(count)]
    answer = Fraction(sum(values), count)
    style = "decimal" if (answer * 10**6).denominator == 1 else "fraction"
    ask = (
        "Express your answer as a decimal."
        if style == "decimal" and answer.denominator != 1
        else ("Express your answer as a common fraction." if answer.denominator != 1 else "")
    )
    listed = ", ".join(str(v) for v in values)
    d = MathDraft(f"What is the arithmetic mean of the numbers ${listed}$? {ask}".strip(), {"n": count}, style=style)
    total = str(values[0])
    for value in values[1:]:
        total = d.add("+", [total, value], ch.pick(["Adding, $<calc>$.", "The running total is $<calc>$."]))
    d.add("/", [total, "n"], "Dividing by the $<n>$ numbers, the mean is $<calc>$.")
    return d
