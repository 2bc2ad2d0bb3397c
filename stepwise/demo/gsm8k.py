"""GSM8K-style demo problems: word problems whose errors are choices, not arithmetic.

Each record is ``{"question", "answer", "demo"}`` in GSM8K's format: one step per
line with calculator annotations (``He buys 3*5 = <<3*5=15>>15 apples.``) and a
last line ``#### N``. With a calculator doing the arithmetic, what remains hard is
choosing the right quantities and operations: there are 16 story templates with
varied phrasing, 2 to 5 steps, and optional distractor sentences that mention a
quantity of the same kind that the solution must not use. Answers are
non-negative integers (divisions are constructed to be exact).

One more template, ``start_amount``, asks for the amount a story started from
(2, 4 or 6 steps): its solutions undo the events in reverse, then check the
answer by replaying them forward to the amount the question states. Undoing is
where a generator goes wrong; the replay makes a wrong answer visible in the
text, so a reader (a verifier) can tell it from a right one, which is the
premise of training verifiers (checking is easier than solving). ``pair_total``
(2 steps) asks about the one pair of four teams whose scores make a stated
total: choosing the pair is a guess, and the solution's check (the total minus
the two chosen scores, 0 only for the right pair) shows a wrong guess in the
calculator's result. It is the demo's default mix (see config.yaml).

Train and test questions never coincide although separate processes generate
them: each question text belongs to one split by a stable hash, and a generator
keeps only the candidates of its own split (see :func:`program.split_of`).
"""

from __future__ import annotations

import random
from fractions import Fraction

from stepwise.demo.choices import Choices, select_templates
from stepwise.demo.program import (
    Trace,
    check_split,
    encode_value,
    render_number,
    render_solution,
    run_program,
    split_of,
    true_values,
)
from stepwise.demo.templates import gsm8k_checks, gsm8k_stories
from stepwise.demo.templates.gsm8k_base import Template
from stepwise.formats.steps import GSM8K_ANSWER_MARKER

MAX_STEPS = 6  # the most any template writes (start_amount)

# The template table. The default mix draws by position in it, so its order is part of the seeded
# results: new templates go at the end.
TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (
        gsm8k_stories.shopping,
        gsm8k_stories.inventory,
        gsm8k_stories.earnings,
        gsm8k_stories.class_fractions,
        gsm8k_stories.collections,
        gsm8k_stories.packing,
        gsm8k_stories.travel,
        gsm8k_stories.discount,
        gsm8k_stories.recipe,
        gsm8k_stories.savings,
        gsm8k_stories.garden,
        gsm8k_stories.tickets,
        gsm8k_stories.reading,
        gsm8k_stories.bill_split,
        gsm8k_stories.chores_time,
        gsm8k_stories.give_and_compare,
        gsm8k_checks.start_amount,
        gsm8k_checks.pair_total,
    )
}

# generate_gsm8k's templates when none are named: the forward stories (start_amount and pair_total
# are asked for by name; the demo config asks for pair_total).
STORY_TEMPLATES = [name for name in TEMPLATES if name not in ("start_amount", "pair_total")]


# ------------------------------------------------------------------ assembly


def _fill_numbers(text: str, givens: dict[str, int]) -> str:
    for name in sorted(givens, key=len, reverse=True):
        text = text.replace(f"<{name}>", str(givens[name]))
    return text


def _assemble(
    template: Template, ch: Choices, n: int, distractor_prob: float, split: str, seen: set[str]
) -> dict | None:
    """One record, or None when its question belongs to the other split or was seen already."""
    draft = template.make(ch, n)
    facts = list(draft.facts)
    givens = dict(draft.givens)
    distractors = []
    if draft.distractors and ch.rng.random() < distractor_prob:
        givens["d"] = ch.num()
        facts.insert(ch.rng.randint(1, len(facts)), ch.pick(draft.distractors))
        distractors = ["d"]
    question = _fill_numbers(" ".join(facts + [draft.ask]), givens)
    if split_of(question) != split or question in seen:
        return None
    program = {
        "givens": {name: encode_value(Fraction(value)) for name, value in givens.items()},
        "distractors": distractors,
        "steps": draft.steps,
        "answer": draft.answer or f"s{len(draft.steps) - 1}",
        "number_style": "decimal",
    }
    trace = run_program(program)
    _check_program(template.name, trace, n)
    lines, answer = render_solution(program, "gsm8k", trace=trace)
    return {
        "question": question,
        "answer": "\n".join(lines) + f"\n{GSM8K_ANSWER_MARKER} {render_number(answer, 'gsm8k')}",
        "demo": {
            "kind": "gsm8k",
            "template": template.name,
            "split": split,
            "n_steps": n,
            "program": program,
            "values": [encode_value(value) for value in sorted(true_values(program, trace))],
            "answer_value": encode_value(answer),
        },
    }


def _check_program(name: str, trace: Trace, n: int) -> None:
    """Guard against template bugs: n steps, every value a non-negative integer."""
    stated = trace.stated
    if len(stated) != n or any(v is None or v.denominator != 1 or v < 0 for v in stated):
        raise RuntimeError(f"template {name!r} wrote a bad solution for {n} steps: {stated}")


def generate_gsm8k(
    n: int,
    seed: int,
    split: str,
    *,
    min_steps: int = 2,
    max_steps: int = 5,
    min_number: int = 2,
    max_number: int = 20,
    distractor_prob: float = 0.5,
    templates: list[str] | None = None,
) -> list[dict]:
    """``n`` distinct GSM8K-style problems of ``split`` ("train" or "test").

    Knobs: step count uniform in ``[min_steps, max_steps]`` (2 to 6 possible; only
    ``start_amount`` writes 6),
    base quantities in ``[min_number, max_number]``, a distractor sentence with
    probability ``distractor_prob``, ``templates`` chooses the templates (default
    :data:`STORY_TEMPLATES`, every one but ``start_amount`` and ``pair_total``). Deterministic given the
    arguments.
    """
    check_split(split)
    chosen = select_templates(TEMPLATES, STORY_TEMPLATES if templates is None else templates, "GSM8K")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 2 <= min_steps <= max_steps <= MAX_STEPS:
        raise ValueError(f"need 2 <= min_steps <= max_steps <= {MAX_STEPS}, got {min_steps}, {max_steps}")
    if not 1 <= min_number <= max_number:
        raise ValueError(f"need 1 <= min_number <= max_number, got {min_number}, {max_number}")
    if not 0 <= distractor_prob <= 1:
        raise ValueError(f"distractor_prob must be in [0, 1], got {distractor_prob}")
    by_steps = {k: [t for t in chosen if k in t.step_counts] for k in range(min_steps, max_steps + 1)}
    counts = [k for k, options in by_steps.items() if options]
    if not counts:
        raise ValueError(f"templates {[t.name for t in chosen]} cannot write {min_steps} to {max_steps} steps")
    rng = random.Random(f"gsm8k:{seed}:{split}")
    records: list[dict] = []
    seen: set[str] = set()
    for _ in range(50 * n + 1000):
        if len(records) == n:
            break
        k = rng.choice(counts)
        record = _assemble(
            rng.choice(by_steps[k]), Choices(rng, min_number, max_number), k, distractor_prob, split, seen
        )
        if record is not None:
            seen.add(record["question"])
            records.append(record)
    else:
        raise ValueError(
            f"only {len(records)} of {n} distinct {split} problems after many tries; widen the number range"
        )
    return records
