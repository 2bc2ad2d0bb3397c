"""Public process reward models as step scorers, in the three ways such models read a solution.

``step_tag`` (Math-Shepherd, ``peiyi9979/math-shepherd-mistral-7b-prm``)
    The text is the problem, a space, then the steps, each written
    ``Step <k>: <step> ки`` and joined by newlines. The causal LM is read at
    every tag token: a softmax over the logits of the two label tokens (the
    tokens of ``"+ -"``), P("+").
``token_classification`` (TRL-trained PRMs, ``Qwen/Qwen2.5-Math-PRM-7B``)
    A separator after every step, and a classifier over every token; a step's
    score is the positive class's probability at its separator. With
    ``chat_template`` the tokenizer's template renders a system prompt, the
    problem as the user turn and the steps joined by the separator (one after
    the last) as the assistant turn (Qwen's card); without it, the ids are
    built as TRL's PRM trainer builds them: bos, the problem, then each step
    followed by the separator's tokens, read at the separator's last token.
``chat_turns`` (RLHFlow ``Llama3.1-8B-PRM-*``)
    Each step is a user turn (the first prefixed by the problem) and the
    assistant answers ``+``; a step's score is P("+") against P("-") for the
    first token of its answer. Every earlier answer reads ``+`` as the model
    card's one-step-at-a-time loop has it, so one causal pass over the whole
    conversation gives each step the score a pass over its own prefix would.

Each convention turns ``(problem, steps)`` into token ids and one position per
step (:class:`~stepwise.models.prm_inputs.EncodedSteps`); the reading, the
windows for solutions longer than ``max_length`` and the batching are the
workflow's own PRM's (:mod:`stepwise.scoring.marked`). The problem is the raw
problem text, not a task's prompt: a public PRM reads the problem as its
authors wrote it down.

Models are a local folder or a hub id (downloaded into the Hugging Face cache,
at ``revision``); a model that ships its own code (an ``auto_map`` in its
config) loads only when the scorer's ``trust_remote_code`` is true.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stepwise.io import DataError
from stepwise.models.prm import ProcessRewardModel, single_token_id
from stepwise.models.prm_inputs import EncodedSteps
from stepwise.models.resolve import resolve_model
from stepwise.scoring.batches import scoring_dtype
from stepwise.scoring.marked import read_marked_steps, solution_steps
from stepwise.scoring.public_prm_settings import PublicPRMSettings

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- encoding


def count_check(input_ids: Sequence[int], token_id: int, steps: Sequence[str], what: str) -> list[int]:
    """The positions of ``token_id`` in ``input_ids``, which must be one per step."""
    positions = [i for i, token in enumerate(input_ids) if token == token_id]
    if len(positions) != len(steps):
        raise DataError(
            f"{len(positions)} {what} tokens in the input of a solution of {len(steps)} steps: a step "
            f"or the problem contains the {what}, or it merged with the text around it"
        )
    return positions


def encode_step_tag(tokenizer, problem: str, steps: Sequence[str], fmt: Mapping[str, Any]) -> EncodedSteps:
    """Math-Shepherd's input, read at every tag token."""
    tag_id = tokenizer.encode(fmt["tag"], add_special_tokens=False)[-1]
    written = [fmt["step"].format(number=number, step=step, tag=fmt["tag"]) for number, step in enumerate(steps, 1)]
    input_ids = list(tokenizer(fmt["text"].format(problem=problem, steps=fmt["join"].join(written)))["input_ids"])
    return EncodedSteps(input_ids, count_check(input_ids, tag_id, steps, f"step tag {fmt['tag']!r}"))


def chat_ids(tokenizer, messages: Sequence[Mapping[str, str]], add_generation_prompt: bool = False) -> list[int]:
    """The token ids of a conversation rendered by the tokenizer's chat template (the template writes any bos)."""
    if not tokenizer.chat_template:
        raise DataError("this convention renders a chat, but the tokenizer has no chat template")
    text = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=add_generation_prompt)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def with_system(system_prompt: str | None, messages: list[dict[str, str]]) -> list[dict[str, str]]:
    return ([{"role": "system", "content": system_prompt}] if system_prompt else []) + messages


def encode_token_classification(tokenizer, problem: str, steps: Sequence[str], fmt: Mapping[str, Any]) -> EncodedSteps:
    """A separator after every step, read at the separator (see the module docstring)."""
    separator = fmt["separator"]
    if fmt["chat_template"]:
        separator_id = single_token_id(tokenizer, separator)
        if separator_id is None:
            raise DataError(f"the separator {separator!r} is not a single token of this tokenizer")
        answer = separator.join(steps) + separator
        input_ids = chat_ids(
            tokenizer,
            with_system(
                fmt["system_prompt"], [{"role": "user", "content": problem}, {"role": "assistant", "content": answer}]
            ),
        )
        return EncodedSteps(input_ids, count_check(input_ids, separator_id, steps, f"separator {separator!r}"))
    separator_ids = tokenizer.encode(separator, add_special_tokens=False)
    input_ids = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    input_ids += tokenizer(problem, add_special_tokens=False)["input_ids"]
    ends = []
    for step in steps:
        input_ids += tokenizer(step, add_special_tokens=False)["input_ids"] + separator_ids
        ends.append(len(input_ids) - 1)
    return EncodedSteps(input_ids, ends)


def encode_chat_turns(tokenizer, problem: str, steps: Sequence[str], fmt: Mapping[str, Any]) -> EncodedSteps:
    """Steps as user turns answered "+": read where the assistant's answer to each is predicted."""
    correct = fmt["labels"][0]
    correct_id = single_token_id(tokenizer, correct)
    messages = with_system(fmt["system_prompt"], [])
    ends = []
    for number, step in enumerate(steps):
        content = fmt["first_turn"].format(problem=problem, step=step) if number == 0 else step
        messages.append({"role": "user", "content": content})
        ends.append(len(chat_ids(tokenizer, messages, add_generation_prompt=True)) - 1)
        messages.append({"role": "assistant", "content": correct})
    input_ids = chat_ids(tokenizer, messages)
    for number, end in enumerate(ends):
        if end + 1 >= len(input_ids) or input_ids[end + 1] != correct_id:
            raise DataError(
                f"step {number}: the chat template does not put the assistant's {correct!r} right after "
                "the generation prompt; this convention cannot read this model"
            )
    return EncodedSteps(input_ids, ends)


ENCODERS = {
    "step_tag": encode_step_tag,
    "token_classification": encode_token_classification,
    "chat_turns": encode_chat_turns,
}


# ---------------------------------------------------------------- models


class TokenClassifierReader(nn.Module):
    """A token classifier's class logits at the marked positions (the reader of :mod:`stepwise.scoring.marked`)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, step_mask: torch.Tensor) -> torch.Tensor:
        output = self.model(input_ids=input_ids, attention_mask=attention_mask)
        logits = output.logits if hasattr(output, "logits") else output[0]
        return logits[step_mask.bool()]


def check_remote_code(folder: Path, settings: PublicPRMSettings) -> None:
    """A model folder with its own code (``auto_map``) loads only with ``trust_remote_code: true``."""
    for name in ("config.json", "tokenizer_config.json"):
        path = folder / name
        if (
            path.is_file()
            and "auto_map" in json.loads(path.read_text(encoding="utf-8"))
            and not settings.trust_remote_code
        ):
            raise DataError(
                f"scorers: {settings.name}: the model {settings.model!r} runs its own code ({name} has an "
                "auto_map); it loads only with trust_remote_code: true in this scorer's entry (set it "
                "if you trust that code)",
                path,
            )


def torch_dtype(name: str) -> torch.dtype:
    """``auto``: bf16 on a GPU that supports it, else float32."""
    return scoring_dtype() if name == "auto" else getattr(torch, name)


@dataclass
class PublicPRM:
    """A loaded public PRM: its reader, tokenizer, settings and how class probabilities become P(correct)."""

    settings: PublicPRMSettings
    reader: nn.Module
    tokenizer: Any
    correct_class: int
    max_length: int
    dtype: torch.dtype

    @classmethod
    def load(cls, settings: PublicPRMSettings) -> PublicPRM:
        from transformers import AutoModel, AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer

        folder = resolve_model(settings.model, settings.revision, key=f"scorers: {settings.name}: model")
        check_remote_code(folder, settings)
        trust, dtype, fmt = settings.trust_remote_code, torch_dtype(settings.dtype), settings.format
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust)
        if settings.convention == "token_classification":
            auto = AutoModel if fmt["model_class"] == "auto" else AutoModelForTokenClassification
            model = auto.from_pretrained(folder, dtype=dtype, trust_remote_code=trust)
            classes = getattr(model.config, "num_labels", None)
            if classes is not None and fmt["positive_label"] >= classes:
                raise DataError(
                    f"scorers: {settings.name}: format.positive_label {fmt['positive_label']} but the "
                    f"model has {classes} classes"
                )
            reader, correct_class = TokenClassifierReader(model), fmt["positive_label"]
        else:
            lm = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, trust_remote_code=trust)
            reader, correct_class = ProcessRewardModel(lm, label_ids(tokenizer, settings)), 0
        max_length = settings.max_length or getattr(reader_config(reader), "max_position_embeddings", None)
        if not max_length:
            raise DataError(
                f"scorers: {settings.name}: the model's config has no max_position_embeddings; set max_length"
            )
        log.info(
            "%s: %s (%s convention, %s, max_length %d) from %s",
            settings.name,
            settings.model,
            settings.convention,
            dtype,
            max_length,
            folder,
        )
        return cls(settings, reader.eval(), tokenizer, correct_class, max_length, dtype)

    def encode(self, problem: str, steps: Sequence[str]) -> EncodedSteps:
        return ENCODERS[self.settings.convention](self.tokenizer, problem, steps, self.settings.format)

    def score(
        self, problems: Sequence[str], solutions: Sequence[str | Sequence[str]], step_format: str | None = None
    ) -> list[list[float]]:
        """P(step correct) for every step of every solution (a list of steps, or a text split in
        ``step_format``), in input order."""
        if len(problems) != len(solutions):
            raise ValueError(f"{len(problems)} problems but {len(solutions)} solutions")
        encoded = []
        for index, (problem, steps) in enumerate(zip(problems, solution_steps(solutions, step_format))):
            try:
                encoded.append(self.encode(problem, steps))
            except DataError as err:
                raise DataError(f"scorers: {self.settings.name}: solution {index}: {err}") from None
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        return read_marked_steps(
            self.reader,
            encoded,
            lambda p: p[..., self.correct_class],
            max_length=self.max_length,
            batch_size=self.settings.batch_size,
            pad_token_id=pad if pad is not None else 0,
            description=f"{self.settings.name} step scoring",
            dtype=self.dtype,
        )


def reader_config(reader: nn.Module):
    return (reader.lm if isinstance(reader, ProcessRewardModel) else reader.model).config


def label_ids(tokenizer, settings: PublicPRMSettings) -> list[int]:
    """The [correct, wrong] label token ids of a causal-LM convention."""
    labels = settings.format["labels"]
    if settings.convention == "step_tag":  # as Math-Shepherd's card: the tokens of "+ -"
        ids = tokenizer.encode(" ".join(labels), add_special_tokens=False)
        if len(ids) != 2:
            raise DataError(f"scorers: {settings.name}: {' '.join(labels)!r} is {len(ids)} tokens, not one per label")
    else:
        ids = [single_token_id(tokenizer, label) for label in labels]
        if None in ids:
            raise DataError(f"scorers: {settings.name}: the labels {labels} must each be a single token")
    if ids[0] == ids[1]:
        raise DataError(f"scorers: {settings.name}: the labels {labels} map to the same token")
    return ids
