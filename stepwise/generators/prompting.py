"""A task's generator: fine-tuned in the DAG, or an off-the-shelf model used as it is.

``<task>.generator.source`` is ``sft`` (the default: the base model fine-tuned
on the task's SFT data, writing the task's own format) or ``pretrained`` (a hub
id or model folder, e.g. an instruct model, not trained further). Either way
the generator is the folder ``models/<task>_generator``; a pretrained one's
folder links to the model's files and holds :data:`PROMPTING_FILE`, which says
how the model is prompted and how its solutions read:

* ``prompt``: ``chat`` (the tokenizer's chat template: a system prompt, the
  problem as the user's turn, the assistant's turn to come) or ``fewshot`` (a
  plain prompt for base models: the first ``fewshot`` solved training problems
  in the task's format, then the problem);
* ``stop``: strings that end a solution (few-shot prompts add the start of a
  next problem);
* ``step_format``: how its solutions split into steps
  (:mod:`stepwise.formats.steps`; ``paragraphs`` for most instruct models);
* answers are read from free-form text
  (:meth:`stepwise.answers.AnswerChecker.extract_many`).

A fine-tuned generator has no such file and keeps the task's prompt, step
format and answer format. :func:`render_prompt` is the one rendering of a
prompt: both sampling backends get its text.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepwise.formats.steps import ANSWER_FORMATS
from stepwise.generators.sft_data import EXEMPLAR_SEPARATOR
from stepwise.io import DataError, atomic_output
from stepwise.sampling.base import SamplingParams

PROMPTING_FILE = "prompting.json"
SOURCES = ("sft", "pretrained")
PROMPT_STYLES = ("task", "chat", "fewshot")


@dataclass(frozen=True)
class Prompting:
    """How a generator is prompted and how its solutions read (see the module docstring)."""

    style: str = "task"
    system_prompt: str | None = None
    exemplars: tuple[tuple[str, str], ...] = ()  # fewshot: (prompt, solution) pairs in the task's format
    stop: tuple[str, ...] = ()
    step_format: str | None = None  # None: the task's
    free_form_answers: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "system_prompt": self.system_prompt,
            "exemplars": [list(e) for e in self.exemplars],
            "stop": list(self.stop),
            "step_format": self.step_format,
            "free_form_answers": self.free_form_answers,
        }


def pretrained_prompting(settings: Mapping[str, Any], task, gold: Sequence[Mapping[str, str]]) -> Prompting:
    """A pretrained generator's prompting from its ``<task>.generator`` settings; ``gold``: the task's
    solved training problems (prompt, completion), the few-shot exemplars."""
    style = settings["prompt"]
    if style not in ("chat", "fewshot"):
        raise ValueError(f"{task.name}.generator.prompt: {style!r} is not chat or fewshot")
    exemplars, stop = (), tuple(settings["stop"])
    if style == "fewshot":
        if len(gold) < settings["fewshot"]:
            raise DataError(
                f"{task.name}.generator.fewshot = {settings['fewshot']} exemplars, but the training "
                f"set has {len(gold)} problems"
            )
        exemplars = tuple((example["prompt"], example["completion"]) for example in gold[: settings["fewshot"]])
        stop += (EXEMPLAR_SEPARATOR + problem_opener(task),)  # the model goes on with a next problem
    return Prompting(style, settings["system_prompt"], exemplars, stop, settings["step_format"], True)


def problem_opener(task) -> str:
    """The start of the task's prompt, up to the problem text ("Question:", "Problem:")."""
    marker = "\0"
    return task.prompt(marker).split(marker)[0].strip()


def link_model(model_dir: str | os.PathLike, out: str | os.PathLike) -> None:
    """A folder ``out`` whose entries are symbolic links to those of ``model_dir`` (no copy of the weights;
    a hub cache's files are links already). Every loader then reads ``out`` as the model's own folder."""
    source = Path(model_dir).resolve()
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        if entry.name != PROMPTING_FILE and not entry.name.startswith("."):
            (target / entry.name).symlink_to(entry.resolve())


def write_prompting(prompting: Prompting, folder: str | os.PathLike) -> None:
    with atomic_output(Path(folder) / PROMPTING_FILE) as handle:
        json.dump(prompting.to_json(), handle, indent=2)
        handle.write("\n")


def read_prompting(model_dir: str | os.PathLike) -> Prompting:
    """A generator folder's prompting: its :data:`PROMPTING_FILE`, or the task's own (a fine-tuned generator)."""
    path = Path(model_dir) / PROMPTING_FILE
    if not path.is_file():
        return Prompting()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Prompting(
            data["style"],
            data["system_prompt"],
            tuple(tuple(e) for e in data["exemplars"]),
            tuple(data["stop"]),
            data["step_format"],
            data["free_form_answers"],
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise DataError(f"not a generator's prompting file ({err})", path) from None


def render_prompt(prompting: Prompting, task, problem: str, tokenizer=None) -> str:
    """The text a generator continues for ``problem`` (the problem's own text).

    ``chat``: the tokenizer's chat template with the generation prompt. A
    template that writes the bos token as text would get a second one from the
    tokenizer's own bos when the backends tokenize the prompt: it is left to the
    tokenizer.
    """
    if prompting.style == "task":
        return task.prompt(problem)
    if prompting.style == "fewshot":
        return "".join(p + s + EXEMPLAR_SEPARATOR for p, s in prompting.exemplars) + task.prompt(problem)
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        raise DataError("a chat-prompted generator needs a tokenizer with a chat template")
    messages = [{"role": "system", "content": prompting.system_prompt}] if prompting.system_prompt else []
    messages.append({"role": "user", "content": problem})
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    bos = tokenizer.bos_token
    if bos and text.startswith(bos) and tokenizer("")["input_ids"][:1] == [tokenizer.bos_token_id]:
        text = text[len(bos) :]
    return text


@dataclass
class Generator:
    """A task's generator folder, read for sampling: prompts, stop strings, step format, answer reading."""

    folder: Path
    task: Any
    prompting: Prompting = field(default_factory=Prompting)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike, task) -> Generator:
        return cls(Path(folder), task, read_prompting(folder))

    @property
    def step_format(self) -> str:
        return self.prompting.step_format or self.task.step_format

    @property
    def stop(self) -> tuple[str, ...]:
        return self.prompting.stop

    @property
    def answer_format(self) -> str | None:
        """The step format whose answer line ends this generator's solutions (None: free-form answers)."""
        if self.prompting.free_form_answers or self.step_format not in ANSWER_FORMATS:
            return None
        return self.step_format

    def sampling_params(self, params: SamplingParams) -> SamplingParams:
        """``params`` with this generator's ends: its stop strings, and the end after its answer line."""
        return dataclasses.replace(params, stop=self.stop, end_after_answer=self.answer_format)

    def prompts(self, problems: Mapping[str, str]) -> dict[str, str]:
        """Each problem's prompt (problem id -> the problem's own text)."""
        tokenizer = None
        if self.prompting.style == "chat":
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self.folder)
        return {
            problem_id: render_prompt(self.prompting, self.task, text, tokenizer)
            for problem_id, text in problems.items()
        }

    def problems(self, dataset: str | os.PathLike):
        """The task's problems of ``dataset`` (:class:`~stepwise.sampling.shards.Problem`), prompted for this
        generator."""
        from stepwise.sampling.shards import Problem

        problems = self.task.load(dataset)
        if self.prompting.style == "task":
            return problems
        prompts = self.prompts(self.task.problem_texts(dataset))
        return [Problem(p.problem_id, prompts[p.problem_id], p.reference) for p in problems]

    def answer_reader(self, checker) -> Callable[[str], str | None]:
        """How its solutions' final answers are read: free-form in ``checker``'s workers, or the task's format."""
        return checker.extract if self.prompting.free_form_answers else self.task.extract
