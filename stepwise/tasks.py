"""The two kinds of problem the workflow samples and grades: GSM8K and MATH.

A task turns a raw dataset into :class:`~stepwise.sampling.shards.Problem`
tuples (id, prompt, reference answer) and knows how to read and grade the
final answer of a generated solution, so the sampling, scoring and evaluation
scripts stay the same for both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from stepwise.answers.check import AnswerChecker
from stepwise.answers.extract import extract_answer, extract_hash_answer
from stepwise.prompts import gsm8k_prompt, math_prompt
from stepwise.sampling.shards import Problem


@dataclass(frozen=True)
class Task:
    """How to prompt, extract and grade one kind of problem."""

    name: str
    load: Callable[[str | os.PathLike], list[Problem]]
    load_gold: Callable[[str | os.PathLike], list[dict[str, str]]]  # SFT examples: prompt, completion
    extract: Callable[[str], str | None]
    answer_kind: str  # "gsm8k" (numbers) or "math" (LaTeX, math-verify), for AnswerChecker
    step_format: str  # "gsm8k" or "prm800k", for stepwise.steps

    def checker(self, **options) -> AnswerChecker:
        """An answer checker for this task (use it as a context manager)."""
        return AnswerChecker(kind=self.answer_kind, **options)


def load_gsm8k_problems(path: str | os.PathLike) -> list[Problem]:
    """GSM8K problems as (problem_id, prompt, final answer)."""
    from stepwise.data.gsm8k import load_gsm8k

    return [Problem(p.problem_id, gsm8k_prompt(p.question), p.final_answer) for p in load_gsm8k(path)]


def load_gsm8k_gold(path: str | os.PathLike) -> list[dict[str, str]]:
    """GSM8K gold solutions as prompt-completion pairs (trl appends the eos)."""
    from stepwise.data.gsm8k import load_gsm8k

    return [{"prompt": gsm8k_prompt(p.question), "completion": p.answer} for p in load_gsm8k(path)]


def load_math_gold(path: str | os.PathLike) -> list[dict[str, str]]:
    """MATH reference solutions as prompt-completion pairs, in the PRM800K step format the generator writes."""
    from stepwise.data.math import load_math
    from stepwise.generator_data import reference_example

    return [reference_example(p) for p in load_math(path)]


def load_math_problems(path: str | os.PathLike) -> list[Problem]:
    """MATH problems as (unique_id, prompt, answer)."""
    from stepwise.data.math import load_math

    return [Problem(p.problem_id, math_prompt(p.problem), p.answer) for p in load_math(path)]


TASKS: dict[str, Task] = {
    "gsm8k": Task("gsm8k", load_gsm8k_problems, load_gsm8k_gold, extract_hash_answer, "gsm8k", "gsm8k"),
    "math": Task("math", load_math_problems, load_math_gold, extract_answer, "math", "prm800k"),
}


def get_task(name: str) -> Task:
    """The task called ``name`` (``gsm8k`` or ``math``)."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}") from None

