"""PRM800K-format demo records: step labels on MATH-style demo problems, correct by construction.

Records follow the full PRM800K schema (``labeler``, ``timestamp``,
``generation``, ``is_quality_control_question``,
``is_initial_screening_question``, ``question``, ``label.steps[].completions[]``
with ``text``/``rating``/``flagged``, ``human_completion``,
``chosen_completion``, ``total_time``, ``finish_reason``), plus a ``demo`` field
holding the problem's ground truth (see :mod:`stepwise.demo.truth`) and where
the record's error is.

How ratings are made right by construction:

* +1: the reference step, or a paraphrase of it (operands of a sum or product
  swapped, a lead-in word, the bare computation);
* 0: a restatement that makes no progress (no new result);
* -1: the reference step changed on purpose (wrong operand, wrong operation,
  arithmetic slip, a distractor copied), always to a value that is none of the
  problem's true values (:func:`stepwise.demo.program.candidate_changes`).

Phase 1 (``phase=1``): the reference trajectory, with alternative completions
at some steps (the reference one chosen), sometimes only bad alternatives and a
``human_completion``; finish reasons ``solution``, ``found_error`` (stopped at a
step whose completions are all bad), ``give_up`` (stopped at unrated
completions) and ``bad_problem``, the last two rare. Phase 2 (``phase=2``): a
pre-generated solution (with probability ``wrong_share`` containing one wrong
step, whose effect carries through to a wrong answer; sometimes a neutral step)
labelled in order until its first -1 step (``found_error``, with +1
alternatives offered there) or to the end (``solution``).
"""

from __future__ import annotations

import dataclasses
import datetime
import math as _math
import random
import uuid
from dataclasses import dataclass
from typing import Any

from stepwise.demo.math import generate_math
from stepwise.demo.program import (
    Change,
    answer_value,
    candidate_changes,
    check_split,
    render_number,
    render_solution,
    render_step,
    run_program,
    true_values,
)
from stepwise.formats.steps import ANSWER_MARKER

_NEUTRAL_TEXTS = (
    "Let's work through this carefully.",
    "We can do this one operation at a time.",
    "Let's see what the next step should be.",
    "Let's double-check the numbers given in the problem.",
    "I'll keep track of the signs as we go.",
)
_LEAD_INS = ("Next, ", "So ", "Now ")
_PHASE_START = {1: datetime.datetime(2022, 7, 28, 9, 0), 2: datetime.datetime(2022, 11, 1, 9, 0)}


@dataclass(frozen=True)
class LabelKnobs:
    """How the labelled records are drawn (all probabilities are per record or per step)."""

    solutions_per_problem: int = 4  # records labelled on each generated problem
    quality_control_share: float = 0.03
    screening_share: float = 0.03
    # phase 1
    fork_prob: float = 0.4  # a step offers several alternative completions
    max_alternatives: int = 6
    human_prob: float = 0.1  # a forked step has only bad completions and a human one
    found_error_prob: float = 0.1
    give_up_prob: float = 0.03
    bad_problem_prob: float = 0.02
    # phase 2
    wrong_share: float = 0.75  # pre-generated solutions with a wrong step
    neutral_prob: float = 0.2  # a neutral step is inserted into the pre-generated solution
    generations: int = 10  # phase-2 generation numbers 1..generations

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(item.default, float) and not 0 <= value <= 1:
                raise ValueError(f"PRM800K demo knob {item.name} must be in [0, 1], got {value}")
        if self.solutions_per_problem < 1 or self.max_alternatives < 2 or self.generations < 1:
            raise ValueError("need solutions_per_problem >= 1, max_alternatives >= 2 and generations >= 1")
        if self.found_error_prob + self.give_up_prob + self.bad_problem_prob > 1:
            raise ValueError("found_error_prob + give_up_prob + bad_problem_prob must not exceed 1")


def generate_prm800k(
    n: int, seed: int, split: str, *, phase: int, math_knobs: dict[str, Any] | None = None, **knobs: Any
) -> list[dict]:
    """``n`` PRM800K-format records on MATH-style problems of ``split``.

    The problems are ``generate_math(ceil(n / solutions_per_problem), seed,
    split, **math_knobs)``; ``knobs`` are the fields of :class:`LabelKnobs`.
    """
    check_split(split)
    settings = _knobs(knobs)
    problems = generate_math(_math.ceil(n / settings.solutions_per_problem), seed, split, **(math_knobs or {}))
    return label_problems(problems, n, phase, seed, **knobs)


def label_problems(math_records: list[dict], n: int, phase: int, seed: int, **knobs: Any) -> list[dict]:
    """``n`` records labelling solutions to ``math_records`` (demo MATH records), in turn."""
    if phase not in (1, 2):
        raise ValueError(f"phase must be 1 or 2, got {phase!r}")
    if n > 0 and not math_records:
        raise ValueError("no MATH problems to label")
    settings = _knobs(knobs)
    rng = random.Random(f"prm800k:{seed}:phase{phase}")
    labelers = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(12)]
    label = _phase1_label if phase == 1 else _phase2_label
    records = []
    for i in range(n):
        problem = math_records[i % len(math_records)]
        question, steps, finish_reason, error = label(problem, rng, settings)
        records.append(
            {
                "labeler": rng.choice(labelers),
                "timestamp": (_PHASE_START[phase] + datetime.timedelta(seconds=rng.uniform(0, 60 * 86400))).isoformat(),
                "generation": None if phase == 1 else rng.randint(1, settings.generations),
                "is_quality_control_question": rng.random() < settings.quality_control_share,
                "is_initial_screening_question": rng.random() < settings.screening_share,
                "question": question,
                "label": {
                    "steps": steps,
                    "total_time": sum(rng.randint(4000, 90000) for _ in steps),
                    "finish_reason": finish_reason,
                },
                "demo": {**problem["demo"], "problem_id": problem["unique_id"], "phase": phase, **error},
            }
        )
    rng.shuffle(records)
    return records


def _knobs(knobs: dict[str, Any]) -> LabelKnobs:
    try:
        return LabelKnobs(**knobs)
    except TypeError:
        valid = ", ".join(item.name for item in dataclasses.fields(LabelKnobs))
        raise ValueError(f"unknown PRM800K demo knobs {sorted(knobs)}; valid: {valid}") from None


# ------------------------------------------------------------ step texts


class _StepTexts:
    """The texts a labeller could see at each step of one problem, with the rating each deserves."""

    def __init__(self, problem: dict, rng: random.Random):
        self.program = problem["demo"]["program"]
        self.rng = rng
        self.trace = run_program(self.program)
        self.truth = true_values(self.program, self.trace)
        self.gold, _ = render_solution(self.program, "latex", trace=self.trace)
        self.answer = problem["answer"]
        self._changes: dict[int, list[Change]] = {}

    def changes(self, index: int) -> list[Change]:
        """Ways to make step ``index`` wrong (cached)."""
        if index not in self._changes:
            self._changes[index] = candidate_changes(self.program, index, self.trace, self.truth)
        return self._changes[index]

    def wrong(self, index: int, count: int) -> list[str]:
        """Up to ``count`` distinct wrong versions of step ``index`` (-1)."""
        changes = self.changes(index)
        texts: list[str] = []
        for change in self.rng.sample(changes, len(changes)):
            if len(texts) == count:
                break
            trace = run_program(self.program, change, until=index)
            text = render_step(self.program, index, trace, "latex", change)
            if self._is_last(index):
                answer = render_number(answer_value(self.program, trace), "latex", self._style)
                text += f"\n\n{ANSWER_MARKER}\n\n{answer}"
            if text not in texts:
                texts.append(text)
        return texts

    def paraphrases(self, index: int) -> list[str]:
        """Correct rewordings of step ``index`` (+1), all different from the reference text."""
        step = self.program["steps"][index]
        texts = []
        if step.get("op") in ("+", "*") and len(set(self.trace.operands[index])) > 1:
            texts.append(render_step(self.program, index, self.trace, "latex", swap=True))
        if step.get("op") is not None and "<calc>" in step["text"]:
            bare = {**self.program, "steps": [*self.program["steps"]]}
            bare["steps"][index] = {**step, "text": "$<calc>$."}
            texts.append(render_step(bare, index, self.trace, "latex"))
        body = render_step(self.program, index, self.trace, "latex")
        texts += [lead + body[:1].lower() + body[1:] for lead in _LEAD_INS if not body.startswith(lead.strip(", "))]
        suffix = self._answer_suffix(index)
        return [text + suffix for text in dict.fromkeys(texts) if text + suffix != self.gold_text(index)]

    def neutral(self, index: int) -> list[str]:
        """Restatements that make no progress (0)."""
        earlier = [value for value in self.trace.stated[:index] if value is not None]
        texts = list(_NEUTRAL_TEXTS)
        if earlier:
            texts.append(f"So far we have ${render_number(earlier[-1], 'latex', self._style)}$.")
        return texts

    def gold_text(self, index: int) -> str:
        """The reference step (with the answer appended at the last step)."""
        return self.gold[index] + self._answer_suffix(index)

    @property
    def _style(self) -> str:
        return self.program.get("number_style", "fraction")

    def _is_last(self, index: int) -> bool:
        return index == len(self.gold) - 1

    def _answer_suffix(self, index: int) -> str:
        return f"\n\n{ANSWER_MARKER}\n\n{self.answer}" if self._is_last(index) else ""


def _completion(text: str, rating: int | None, flagged: bool | None = False) -> dict:
    return {"text": text, "rating": rating, "flagged": flagged}


def _labelled(completions: list[dict], chosen: int | None, human: str | None = None) -> dict:
    human_completion = None if human is None else {"text": human, "rating": None, "source": "human", "flagged": False}
    return {"completions": completions, "human_completion": human_completion, "chosen_completion": chosen}


# --------------------------------------------------------------- phase 1


def _phase1_label(problem: dict, rng: random.Random, knobs: LabelKnobs) -> tuple[dict, list[dict], str, dict]:
    texts = _StepTexts(problem, rng)
    n_steps = len(texts.gold)
    draw = rng.random()
    finish_reason, stop = "solution", None
    wrongable = [i for i in range(n_steps) if texts.changes(i)] if draw < knobs.found_error_prob else []
    if wrongable:
        finish_reason, stop = "found_error", rng.choice(wrongable)
    elif draw < knobs.found_error_prob + knobs.give_up_prob:
        finish_reason, stop = "give_up", rng.randrange(n_steps)
    elif draw < knobs.found_error_prob + knobs.give_up_prob + knobs.bad_problem_prob:
        finish_reason, stop = "bad_problem", rng.randrange(min(2, n_steps))
    steps, error_step = [], None
    for index in range(n_steps if stop is None else stop):
        steps.append(_phase1_step(texts, index, rng, knobs))
    if finish_reason == "found_error":
        steps.append(_stopping_step(texts, stop, rng, knobs, rated=True))
        error_step = stop
    elif finish_reason == "give_up":
        steps.append(_stopping_step(texts, stop, rng, knobs, rated=False))
    question = {"problem": problem["problem"], "ground_truth_answer": problem["answer"]}
    return question, steps, finish_reason, {"error_step": error_step, "error_kind": None}


def _phase1_step(texts: _StepTexts, index: int, rng: random.Random, knobs: LabelKnobs) -> dict:
    gold = texts.gold_text(index)
    if rng.random() >= knobs.fork_prob:
        return _labelled([_completion(gold, 1)], 0)
    count = rng.randint(2, knobs.max_alternatives)
    if rng.random() < knobs.human_prob and texts.changes(index):
        bad = _bad_completions(texts, index, rng, count)
        return _labelled(bad, None, human=gold)
    pool = [_completion(t, 1) for t in texts.paraphrases(index)] + [_completion(t, 0) for t in texts.neutral(index)]
    pool += [_completion(t, -1) for t in texts.wrong(index, count)]
    others = rng.sample(pool, min(len(pool), count - 1))
    completions = others + [_completion(gold, 1)]
    rng.shuffle(completions)
    chosen = next(i for i, c in enumerate(completions) if c["text"] == gold and c["rating"] == 1)
    return _labelled(completions, chosen)


def _bad_completions(texts: _StepTexts, index: int, rng: random.Random, count: int) -> list[dict]:
    """At least one wrong (-1) completion, the rest wrong or neutral (0), shuffled."""
    wrong = [_completion(t, -1) for t in texts.wrong(index, count)]
    neutral = [_completion(t, 0) for t in rng.sample(texts.neutral(index), rng.randint(0, count - 1))]
    completions = wrong[:1] + rng.sample(wrong[1:] + neutral, min(count - 1, len(wrong) - 1 + len(neutral)))
    rng.shuffle(completions)
    return completions


def _stopping_step(texts: _StepTexts, index: int, rng: random.Random, knobs: LabelKnobs, rated: bool) -> dict:
    """Where labelling stopped: all completions bad (found_error), or left unrated (give_up)."""
    count = rng.randint(2, knobs.max_alternatives)
    if rated:
        return _labelled(_bad_completions(texts, index, rng, count), None)
    candidates = [texts.gold_text(index)] + texts.paraphrases(index) + texts.wrong(index, count)
    return _labelled([_completion(t, None) for t in rng.sample(candidates, min(count, len(candidates)))], None)


# --------------------------------------------------------------- phase 2


def _pick_change(texts: _StepTexts, rng: random.Random) -> Change | None:
    """A random wrong step whose effect can be carried to the end (None if the problem has none)."""
    indices = list(range(len(texts.gold)))
    rng.shuffle(indices)
    for index in indices:
        changes = texts.changes(index)
        for change in rng.sample(changes, len(changes)):
            try:
                run_program(texts.program, change)
            except ZeroDivisionError:  # a later step would divide by zero
                continue
            return change
    return None


def _phase2_label(problem: dict, rng: random.Random, knobs: LabelKnobs) -> tuple[dict, list[dict], str, dict]:
    texts = _StepTexts(problem, rng)
    program = texts.program
    change = _pick_change(texts, rng) if rng.random() < knobs.wrong_share else None
    solution, final = render_solution(program, "latex", change)
    answer = render_number(final, "latex", program.get("number_style", "fraction"))
    error_step = None if change is None else change.index
    neutral_at = None
    if rng.random() < knobs.neutral_prob:
        neutral_at = rng.randrange(len(solution))
        solution.insert(neutral_at, rng.choice(_NEUTRAL_TEXTS))  # generic: the values so far may be off
        if error_step is not None and error_step >= neutral_at:
            error_step += 1
    pre_generated = solution + [f"{ANSWER_MARKER}\n\n{answer}"]
    steps = []
    for index, text in enumerate(pre_generated):
        if index == error_step:
            gold_index = change.index
            alternatives = [texts.gold[gold_index]] + texts.paraphrases(gold_index)
            alternatives = [t for t in alternatives if ANSWER_MARKER not in t][: rng.randint(1, 3)]
            completions = [_completion(text, -1, None)] + [_completion(t, 1) for t in alternatives]
            steps.append(_labelled(completions, None))
            break
        steps.append(_labelled([_completion(text, 0 if index == neutral_at else 1, None)], 0))
    question = {
        "problem": problem["problem"],
        "ground_truth_solution": " ".join(texts.gold) + f" So the answer is $\\boxed{{{problem['answer']}}}$.",
        "ground_truth_answer": problem["answer"],
        "pre_generated_steps": pre_generated,
        "pre_generated_answer": answer,
        "pre_generated_verifier_score": rng.random(),
    }
    finish_reason = "solution" if error_step is None else "found_error"
    return (
        question,
        steps,
        finish_reason,
        {"error_step": error_step, "error_kind": None if change is None else change.kind},
    )
