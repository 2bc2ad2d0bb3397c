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

import random
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
from stepwise.demo.templates import math_algebra, math_counting, math_geometry_numbers
from stepwise.demo.templates.math_base import MathTemplate
from stepwise.formats.steps import ANSWER_MARKER

LONG_STEPS = 8  # a "long" solution has at least this many steps
MAX_STEPS = 12
SUBJECT_SLUGS = {
    "Algebra": "algebra",
    "Prealgebra": "prealgebra",
    "Geometry": "geometry",
    "Number Theory": "number_theory",
    "Counting & Probability": "counting_and_probability",
}

# The template table. The default mix draws by position in it, so its order is part of the seeded
# results: new templates go at the end.
TEMPLATES: dict[str, MathTemplate] = {
    template.name: template
    for template in (
        math_algebra.linear_equation,
        math_algebra.evaluate_expression,
        math_algebra.arithmetic_sequence,
        math_algebra.order_of_operations,
        math_algebra.fraction_sum,
        math_algebra.percent,
        math_algebra.mean,
        math_geometry_numbers.geometry,
        math_geometry_numbers.remainder,
        math_geometry_numbers.divisor_sum,
        math_counting.counting,
        math_counting.color_pair,
    )
}

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
        "solution": "\n".join(lines) + f"\n{ANSWER_MARKER}\n\n{answer_text}",
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
