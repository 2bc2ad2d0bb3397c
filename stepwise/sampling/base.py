"""What every sampling backend takes and returns.

A backend is any object with ``generate(prompts, params) -> list[list[Generation]]``
(``params.n`` generations per prompt, in prompt order); :func:`make_sampler`
in :mod:`stepwise.sampling.factory` builds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from stepwise.calculator import NOTATIONS
from stepwise.formats.steps import ANSWER_FORMATS

FinishReason = Literal["stop", "length"]


SAMPLE_SET_KEYS = ("problems", "greedy")  # keys of a sample set's config that are not sampling parameters


@dataclass(frozen=True)
class SamplingParams:
    """How to sample: the backend-independent subset of vLLM's ``SamplingParams``.

    ``temperature == 0`` means greedy decoding (then ``top_p`` and ``seed`` do not
    matter and the ``n`` generations of a prompt are identical). ``seed=None``
    leaves the backend's random state alone. With ``calculator=True`` every
    calculation the model opens is completed by :mod:`stepwise.calculator`:
    ``<<expr=`` in the ``gsm8k`` ``calculator_notation``, ``$expr =`` in ``latex``.
    A generation that writes one of the ``stop`` strings ends there, without it
    (finish reason "stop"), on both backends. ``end_after_answer`` names a step
    format with an answer line (``gsm8k``, ``prm800k``): a generation ends with the
    newline that closes its answer line (finish reason "stop"; the newline is kept).
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None
    calculator: bool = False
    calculator_notation: str = "gsm8k"
    stop: tuple[str, ...] = ()  # strings that end a generation (left out of its text)
    end_after_answer: str | None = None  # the generator's step format, set by stepwise.generators.prompting

    def __post_init__(self):
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a positive integer, got {self.n!r}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer, got {self.max_tokens!r}")
        if isinstance(self.stop, str) or not all(isinstance(x, str) and x for x in self.stop):
            raise ValueError(f"stop must be a list of non-empty strings, got {self.stop!r}")
        object.__setattr__(self, "stop", tuple(self.stop))  # hashable, whatever sequence it came as
        if self.end_after_answer is not None and self.end_after_answer not in ANSWER_FORMATS:
            raise ValueError(f"end_after_answer must be one of {ANSWER_FORMATS} or null, got {self.end_after_answer!r}")
        if self.calculator_notation not in NOTATIONS:
            raise ValueError(f"calculator_notation must be one of {NOTATIONS}, got {self.calculator_notation!r}")

    @classmethod
    def from_config(cls, run: dict, calculator_notation: str, where: str = "sample set") -> SamplingParams:
        """From a sample set's config section (its ``problems`` and ``greedy`` are the sampling job's, not
        these parameters'); ``calculator_notation``: the task's (stepwise.config.registry)."""
        from stepwise.config.decoding import settings_from_config

        params = {key: value for key, value in run.items() if key not in SAMPLE_SET_KEYS}
        return settings_from_config(cls, params, where, calculator_notation=calculator_notation)

    @property
    def greedy(self) -> bool:
        """Whether this is greedy decoding (temperature 0)."""
        return self.temperature == 0


@dataclass(frozen=True)
class Generation:
    """One generated continuation of a prompt.

    ``num_tokens`` counts generated tokens, the eos token and tokens forced by
    the calculator included; ``finish_reason`` is "stop" (eos or a stop string)
    or "length" (``max_tokens`` reached). ``text`` excludes the eos token.
    ``stop_string`` is the stop string the generation ended at (None: eos or
    length), so that a step-wise caller can tell a step's end from a solution's.
    """

    text: str
    num_tokens: int
    finish_reason: FinishReason
    stop_string: str | None = None


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, str] | None:
    """``(text up to the first of the stop strings, that stop string)``, or None when it holds none."""
    found = [(position, string) for string in stop if (position := text.find(string)) >= 0]
    if not found:
        return None
    position, string = min(found, key=lambda match: match[0])  # the first listed wins a tie
    return text[:position], string


class Sampler(Protocol):
    """The interface shared by the vLLM and the transformers backends."""

    backend: str

    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        """``params.n`` generations for each prompt, in prompt order."""
        ...
