"""Step-wise generation: continuations of solution prefixes that end at the next step, on either sampling backend.

A request is a prompt (the problem's prompt, then the solution's steps so far,
each followed by the step separator) and a number of continuations. Each
continuation stops at the step separator (a stop string, left out of its
text), at one of the generator's own stop strings, at eos, or at
``max_tokens``, and is classified as

* ``step``: it ended at the separator; the solution goes on;
* ``solution``: the solution is finished: eos, a generator stop string, or a
  step that holds the task's final answer (``####`` in the ``gsm8k`` format, a
  ``\\boxed{}`` answer in ``paragraphs``);
* ``length``: cut at ``max_tokens`` mid-step.

In the ``prm800k`` format the final answer comes after the ``# Answer`` line
and a blank line, both separators: a continuation that is the ``# Answer``
line is completed to its solution's end (no separator stop) in one more
batched call, and the two together are its step, as
:func:`stepwise.formats.steps.split_steps` reads the last step.

Every call is batched over all requests. Requests with the same prompt are
asked once for all their continuations: vLLM seeds a request by its prompt, so
asked separately they would come out alike. The sampler is called once per
distinct number of continuations (once in the usual case, where every request
asks for the same number). The calculator works inside a step as in sampling.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from stepwise.answers.extract import extract_boxed
from stepwise.formats.steps import ANSWER_LINE, GSM8K_ANSWER_MARKER, StepFormat, step_separator
from stepwise.sampling.base import Generation, Sampler, SamplingParams

log = logging.getLogger(__name__)

StepEnd = Literal["step", "solution", "length"]


@dataclass(frozen=True)
class Step:
    """One generated step: its text (without the separator), the tokens generated for it, how it ended."""

    text: str
    num_tokens: int
    end: StepEnd


def holds_final_answer(text: str, step_format: StepFormat) -> bool:
    """Whether a step that ended at the separator gives the solution's final answer."""
    if step_format == "gsm8k":
        return GSM8K_ANSWER_MARKER in text
    if step_format == "paragraphs":
        return extract_boxed(text) is not None
    return False  # prm800k: the answer follows the "# Answer" line (see opens_answer)


def opens_answer(text: str, step_format: StepFormat) -> bool:
    """Whether a step that ended at the separator is the ``# Answer`` line of the ``prm800k`` format."""
    return step_format == "prm800k" and ANSWER_LINE.search(text) is not None


class StepGenerator:
    """Continuations of prefixes up to the next step, through a :class:`~stepwise.sampling.base.Sampler`.

    ``stop``: the generator's own stop strings (they end a solution);
    ``calls`` counts the sampler's generate calls.
    """

    def __init__(
        self,
        sampler: Sampler,
        step_format: StepFormat,
        *,
        temperature: float,
        top_p: float,
        max_tokens: int,
        calculator: bool = False,
        calculator_notation: str = "gsm8k",
        stop: Sequence[str] = (),
    ):
        self.sampler = sampler
        self.step_format = step_format
        self.separator = step_separator(step_format)
        self.stop = tuple(stop)
        self.params = SamplingParams(
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            calculator=calculator,
            calculator_notation=calculator_notation,
            stop=(self.separator, *self.stop),
        )
        self.calls = 0

    def generate(
        self, prompts: Sequence[str], counts: Sequence[int], seed: int | None, greedy: bool = False
    ) -> list[list[Step]]:
        """``counts[i]`` next steps of ``prompts[i]``, in request order; ``greedy``: at temperature 0."""
        params = dataclasses.replace(self.params, temperature=0.0) if greedy else self.params
        generations = self._sample(prompts, counts, params, seed)
        steps = [[self._step(g) for g in group] for group in generations]
        opened = [
            (i, j)
            for i, group in enumerate(generations)
            for j, g in enumerate(group)
            if g.stop_string == self.separator and opens_answer(g.text, self.step_format)
        ]
        if opened:
            answer_params = dataclasses.replace(params, stop=self.stop)
            answer_prompts = [prompts[i] + generations[i][j].text + self.separator for i, j in opened]
            answers = self._sample(answer_prompts, [1] * len(opened), answer_params, seed)
            for (i, j), (answer,) in zip(opened, answers, strict=True):
                line = generations[i][j]
                end = "length" if answer.finish_reason == "length" else "solution"
                steps[i][j] = Step(line.text + self.separator + answer.text, line.num_tokens + answer.num_tokens, end)
        return steps

    def _step(self, generation: Generation) -> Step:
        if generation.finish_reason == "length":
            end = "length"
        elif generation.stop_string == self.separator and not holds_final_answer(generation.text, self.step_format):
            end = "step"
        else:  # eos, a generator stop string, or the final answer
            end = "solution"
        return Step(generation.text, generation.num_tokens, end)

    def _sample(
        self, prompts: Sequence[str], counts: Sequence[int], params: SamplingParams, seed: int | None
    ) -> list[list[Generation]]:
        """``counts[i]`` generations of ``prompts[i]``: each distinct prompt asked once for all of its own."""
        if len(prompts) != len(counts):
            raise ValueError(f"{len(prompts)} prompts but {len(counts)} counts")
        wanted: dict[str, int] = {}
        for prompt, count in zip(prompts, counts):
            if count < 1:
                raise ValueError(f"a request must ask for at least one continuation, got {count}")
            wanted[prompt] = wanted.get(prompt, 0) + count
        by_count: dict[int, list[str]] = {}
        for prompt, count in wanted.items():
            by_count.setdefault(count, []).append(prompt)
        pools: dict[str, list[Generation]] = {}
        for count, group in sorted(by_count.items()):
            self.calls += 1
            log.debug("step call %d: %d prompts x %d continuations", self.calls, len(group), count)
            outputs = self.sampler.generate(group, dataclasses.replace(params, n=count, seed=seed))
            pools.update(zip(group, (list(reversed(output)) for output in outputs), strict=True))
        return [[pools[prompt].pop() for _ in range(count)] for prompt, count in zip(prompts, counts)]
