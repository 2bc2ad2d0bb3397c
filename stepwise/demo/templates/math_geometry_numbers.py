"""Geometry and Number Theory templates of the MATH-style demo: areas and perimeters, remainders and
divisor sums."""

from __future__ import annotations

from stepwise.demo.choices import Choices
from stepwise.demo.templates.math_base import MathDraft, template

# ----------------------------------------------------------------- Geometry


@template("geometry", "Geometry")
def geometry(ch: Choices, long: bool) -> MathDraft:
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


@template("remainder", "Number Theory")
def remainder(ch: Choices, long: bool) -> MathDraft:
    divisor, quotient = ch.num(3, 12), ch.num(5, 40)
    number = divisor * quotient + ch.num(0, divisor - 1)
    d = MathDraft(f"What is the remainder when ${number}$ is divided by ${divisor}$?", {"N": number, "m": divisor})
    multiple = d.add("*", ["m", quotient], "The largest multiple of $<m>$ that is at most $<N>$ is $<calc>$.")
    d.add("-", ["N", multiple], "The remainder is $<calc>$.")
    return d


@template("divisor_sum", "Number Theory", short=True, long=True)
def divisor_sum(ch: Choices, long: bool) -> MathDraft:
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
