"""The generator's SFT data: prompt-completion pairs for each task.

* GSM8K: the gold solutions (:attr:`stepwise.config.registry.Task.load_gold`).
* MATH, ``source: reference``: the reference solutions in the PRM800K step
  format (:func:`stepwise.formats.math_reference.reference_steps`, also ``load_gold``).
* MATH, ``source: fewshot`` (Lightman et al.'s generator data): a prompted
  model writes step-formatted solutions to the training problems, prompted with
  ``k`` reference-formatted exemplars; a sample is kept only when its final
  answer checks correct, once per distinct text per problem. The exemplars'
  problems are not sampled. The kept solutions train the generator with the
  ordinary zero-shot prompt (:func:`stepwise.formats.prompts.math_prompt`).

MATH's ``problems`` setting uses only the first that many training problems
(the demo's SFT budget).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stepwise.data.math import MATHProblem
from stepwise.formats.math_reference import reference_steps
from stepwise.formats.prompts import math_prompt
from stepwise.formats.steps import answer_line_end
from stepwise.sampling.base import Sampler, SamplingParams

log = logging.getLogger(__name__)

SOURCES = ("reference", "fewshot")
EXEMPLAR_SEPARATOR = "\n\n"
COUNTS = ("problems", "samples", "with_answer", "correct", "kept", "problems_kept")


@dataclass(frozen=True)
class GeneratorDataSettings:
    """The config section ``math.generator_data`` (see the module docstring).

    ``problems``: use only the first this many training problems (with
    ``fewshot``, after the exemplars are set aside; None: all). The rest is for
    ``fewshot``: ``model`` is the prompted model, ``base`` (the workflow's base
    model) or a model folder / Hugging Face id.
    """

    source: str = "reference"
    model: str = "base"
    k: int = 4
    n: int = 4
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 512
    problems: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"math.generator_data.source should be one of {', '.join(SOURCES)}, got {self.source!r}")
        if self.k < 1:
            raise ValueError(f"math.generator_data.k should be at least 1, got {self.k}")

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> GeneratorDataSettings:
        """Settings from the config section; an unknown key is an error naming it."""
        from stepwise.config.decoding import settings_from_config

        return settings_from_config(cls, values, "math.generator_data")

    def sampling_params(self) -> SamplingParams:
        return SamplingParams(
            n=self.n, temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens, seed=self.seed
        )


def reference_examples(problems: Sequence[MATHProblem], settings: GeneratorDataSettings) -> list[dict[str, str]]:
    """SFT examples from the reference solutions of the first ``settings.problems`` problems."""
    return [reference_example(problem) for problem in problems[: settings.problems]]


def reference_example(problem: MATHProblem) -> dict[str, str]:
    """One SFT example: the problem's zero-shot prompt and its reference solution in steps."""
    return {"prompt": math_prompt(problem.problem), "completion": reference_steps(problem.solution, problem.answer)}


def split_exemplars(problems: Sequence[MATHProblem], k: int, seed: int) -> tuple[list[MATHProblem], list[MATHProblem]]:
    """``k`` exemplars drawn with ``seed``, and the other problems in file order."""
    if len(problems) <= k:
        raise ValueError(f"fewshot generator data needs more than k={k} training problems, got {len(problems)}")
    chosen = set(random.Random(seed).sample(range(len(problems)), k))
    return [problems[i] for i in sorted(chosen)], [p for i, p in enumerate(problems) if i not in chosen]


def fewshot_prompt(exemplars: Sequence[MATHProblem], problem: MATHProblem) -> str:
    """The exemplars' prompts and reference-formatted solutions, then the problem's prompt."""
    shots = [reference_example(exemplar) for exemplar in exemplars]
    context = "".join(shot["prompt"] + shot["completion"] + EXEMPLAR_SEPARATOR for shot in shots)
    return context + math_prompt(problem.problem)


def cut_after_answer(text: str) -> str | None:
    """The solution up to its answer line (a prompted model goes on with a next problem); None without one."""
    end = answer_line_end(text, "prm800k")
    return None if end is None else text[:end].rstrip()


def fewshot_examples(
    sampler: Sampler,
    problems: Sequence[MATHProblem],
    settings: GeneratorDataSettings,
    extract: Callable[[str], str | None],
    grade: Callable[[str, str], bool],
) -> tuple[list[dict[str, str]], Counter]:
    """SFT examples from few-shot samples whose answer ``grade`` accepts, and counts of what was kept.

    Counts: ``problems`` sampled, ``samples``, ``with_answer`` (an answer line
    was written), ``correct``, ``kept`` (distinct correct texts) and
    ``problems_kept`` (problems with at least one kept solution).
    """
    exemplars, rest = split_exemplars(problems, settings.k, settings.seed)
    targets = rest[: settings.problems] if settings.problems else rest
    log.info(
        "fewshot: %d exemplars (%s), sampling %d problems x %d",
        len(exemplars),
        ", ".join(e.problem_id for e in exemplars),
        len(targets),
        settings.n,
    )
    generations = sampler.generate([fewshot_prompt(exemplars, p) for p in targets], settings.sampling_params())
    counts = Counter(dict.fromkeys(COUNTS, 0))
    counts["problems"] = len(targets)
    examples = []
    for problem, samples in zip(targets, generations, strict=True):
        kept: set[str] = set()
        for generation in samples:
            counts["samples"] += 1
            solution = cut_after_answer(generation.text)
            if solution is None:
                continue
            counts["with_answer"] += 1
            answer = extract(solution)
            if answer is None or not grade(answer, problem.answer):
                continue
            counts["correct"] += 1
            if solution.strip() in kept:
                continue
            kept.add(solution.strip())
            examples.append({"prompt": math_prompt(problem.problem), "completion": solution})
        counts["problems_kept"] += bool(kept)
    counts["kept"] = len(examples)
    log.info("fewshot: %s", ", ".join(f"{key} {counts[key]}" for key in COUNTS))
    return examples, counts
