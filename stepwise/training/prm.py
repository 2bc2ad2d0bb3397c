"""The process reward model (PRM) of Lightman et al. (2023): next-token classification at step ends.

**Input.** The prompt, then each step followed by a step-end marker token, the
steps separated as the step format joins them (``stepwise.steps``, a newline)::

    <prompt> step_1 <M> \\n step_2 <M> ... \\n step_K <M>

The ids are built piece by piece (prompt, each step's text, the marker's id), so
the marker never merges with neighbouring characters, and a step's label is
never in the input (a later step cannot see an earlier verdict).

**Labels and loss.** At each marker the LM's next-token logits, restricted to
the label tokens ("+" correct, "-" wrong, and "0" neutral with three classes),
form a softmax over the classes. Training is cross-entropy on those restricted
logits at the markers only (the mean over the batch's labelled steps): prompt and
step tokens carry no loss, and there is no language-modelling loss. Restricting
to the label tokens makes the classifier exactly a C-way softmax: mass the LM
puts on other tokens neither costs loss nor leaks into a step's probability.

Step ratings are PRM800K's +1 / 0 / -1; boolean labels read as +1 / -1. How a
0 (neutral) rating trains is :attr:`PRMSettings.neutral`: as "+", as "-", or as
a third class. A step's score is P(correct) = P("+"), plus P("0") when neutral
counts as correct (Lightman's choice at evaluation; see :func:`score_steps`).

**The marker token.** By default a dedicated special token ``<|step_end|>`` is
added to the tokenizer, and the embedding matrix grows when the new id lies
beyond it; the new row starts at the mean of the existing embeddings. A
special token never comes out of tokenizing ordinary text, so no generated
solution can contain a stray step end, which neither a newline nor an existing
rare word can promise. A tokenizer that already has a single token spelled like
``step_marker`` (a model's reserved special token, or a marker from an earlier
PRM) uses it as it is. A prompt or step that tokenizes to the marker is an error.

**Long inputs.** A solution longer than ``max_length`` tokens is cut into
windows of at most ``max_length`` tokens, each ending at a marker and reaching
as far back as it can, so every step is trained and scored with as much of
what comes before it as fits (the start of the prompt goes first).

Saved as the LM's Hugging Face folder (its tokenizer holds the marker; it loads
on its own) plus ``prm.json`` with the settings and the token ids.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from stepwise.data.stepwise_formats import StepwiseExample, check_example
from stepwise.io import DataError
from stepwise.steps import STEP_SEPARATOR, split_steps
from stepwise.training.collate import RightPaddingCollator
from stepwise.training.lm import TrainingSettings, load_causal_lm
from stepwise.training.reward_model import (
    LanguageModelReader,
    read_settings,
    score_in_batches,
    train_with_loss,
    write_settings,
)

log = logging.getLogger(__name__)

CONFIG_FILE = "prm.json"
KIND = "process_reward_model"
RATINGS_KEY = "ratings"  # optional per-step PRM800K ratings (+1/0/-1) carried next to a record's labels
NEUTRAL_MODES = ("positive", "negative", "neutral")  # as prm800k.preprocess.neutral names them
GOOD, BAD, NEUTRAL = 0, 1, 2  # class indices, in the order of PRMSettings.label_tokens
IGNORE_INDEX = -100  # positions without a label


@dataclass(frozen=True)
class PRMSettings(TrainingSettings):
    """PRM training hyper-parameters (Lightman et al.: 2 epochs helped on small data).

    ``neutral``: how a 0 rating trains, "positive" ("+"), "negative" ("-") or
    "neutral" (a third class, the label token ``neutral_token``); the workflow
    sets it from ``prm800k.preprocess.neutral``, so one key drives both. ``step_marker``: the
    step-end token (see the module docstring). ``dropout`` goes to the model
    config's dropout attributes.
    """

    epochs: float = 2.0
    neutral: str = "positive"
    step_marker: str = "<|step_end|>"
    good_token: str = "+"
    bad_token: str = "-"
    neutral_token: str = "0"

    def __post_init__(self):
        if self.neutral not in NEUTRAL_MODES:
            raise ValueError(f"PRM neutral must be one of {NEUTRAL_MODES}, got {self.neutral!r}")
        if self.max_length < 2:
            raise ValueError(f"PRM max_length must be >= 2, got {self.max_length}")
        tokens = (self.step_marker, self.good_token, self.bad_token, self.neutral_token)
        if any(not token for token in tokens) or len(set(tokens)) < len(tokens):
            raise ValueError(f"step_marker and the label tokens must be distinct and non-empty, got {tokens}")

    @property
    def label_tokens(self) -> tuple[str, ...]:
        """The label tokens, in class order: good, bad (and neutral with three classes)."""
        extra = (self.neutral_token,) if self.neutral == "neutral" else ()
        return (self.good_token, self.bad_token, *extra)

    def target(self, rating: int) -> int:
        """The class a step rated ``rating`` (+1, 0, -1) trains towards."""
        if rating == 0:
            return {"positive": GOOD, "negative": BAD, "neutral": NEUTRAL}[self.neutral]
        return GOOD if rating > 0 else BAD


class ProcessRewardModel(LanguageModelReader):
    """A causal LM read at step ends through the logits of its label tokens."""

    def __init__(self, lm: nn.Module, label_token_ids: Sequence[int]):
        super().__init__(lm)
        self.register_buffer("label_token_ids", torch.tensor(list(label_token_ids), dtype=torch.long), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, step_mask: torch.Tensor) -> torch.Tensor:
        """Label-token logits ``[n_steps, n_classes]`` at the positions where ``step_mask`` is true, row by row."""
        hidden = self.hidden_states(input_ids, attention_mask)
        return self.next_token_logits(hidden[step_mask.bool()])[:, self.label_token_ids]


# ---------------------------------------------------------------- tokens


def single_token_id(tokenizer, text: str) -> int | None:
    """The id of the one token spelled ``text`` (a vocabulary entry, or text that encodes to one token), else None."""
    vocabulary_id = tokenizer.get_vocab().get(text)
    if vocabulary_id is not None:
        return vocabulary_id
    ids = tokenizer.encode(text, add_special_tokens=False)
    return ids[0] if len(ids) == 1 else None


def label_token_ids(tokenizer, settings: PRMSettings) -> list[int]:
    """The ids of the label tokens, each of which must be a single token of the tokenizer."""
    ids = []
    for token in settings.label_tokens:
        token_id = single_token_id(tokenizer, token)
        if token_id is None:
            raise DataError(f"label token {token!r} is not a single token of this tokenizer; choose another in the PRM settings")
        ids.append(token_id)
    if len(set(ids)) < len(ids):
        raise DataError(f"label tokens {settings.label_tokens} do not map to distinct token ids ({ids})")
    return ids


def add_step_marker(lm: nn.Module, tokenizer, marker: str) -> int:
    """The marker's token id; a marker the tokenizer lacks is added as a special token with a new embedding row."""
    existing = single_token_id(tokenizer, marker)
    if existing is not None:
        log.info("step marker %r is the tokenizer's token %d", marker, existing)
        return existing
    tokenizer.add_tokens([marker], special_tokens=True)
    marker_id = tokenizer.convert_tokens_to_ids(marker)
    if marker_id >= lm.get_input_embeddings().num_embeddings:
        lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    embeddings = lm.get_input_embeddings().weight
    with torch.no_grad():
        embeddings[marker_id] = embeddings[:marker_id].mean(dim=0)
    log.info("step marker %r added as special token %d (%d embedding rows)", marker, marker_id, embeddings.shape[0])
    return marker_id


# ---------------------------------------------------------------- encoding


@dataclass(frozen=True)
class EncodedSteps:
    """Token ids of prompt + marked steps; ``step_ends[k]`` is the index of step ``k``'s marker."""

    input_ids: list[int]
    step_ends: list[int]


def encode_steps(tokenizer, prompt: str, steps: Sequence[str], marker_id: int) -> EncodedSteps:
    """Tokenize the prompt and each step, a marker after every step (see the module docstring)."""
    input_ids = list(tokenizer(prompt)["input_ids"])
    step_ends = []
    for number, step in enumerate(steps):
        piece = step if number == 0 else STEP_SEPARATOR + step
        input_ids += tokenizer(piece, add_special_tokens=False)["input_ids"]
        step_ends.append(len(input_ids))
        input_ids.append(marker_id)
    if input_ids.count(marker_id) != len(steps):
        raise DataError(f"the prompt or a step contains the step marker (token {marker_id})")
    return EncodedSteps(input_ids, step_ends)


def step_windows(step_ends: Sequence[int], max_length: int) -> list[tuple[int, int, range]]:
    """``(start, end, steps)``: token windows ``[start, end)`` of at most ``max_length`` tokens,
    each ending at a marker, whose ``steps`` together are every step once."""
    windows, first = [], 0
    while first < len(step_ends):
        last = first
        while last + 1 < len(step_ends) and step_ends[last + 1] - step_ends[first] < max_length:
            last += 1
        end = step_ends[last] + 1
        windows.append((max(0, end - max_length), end, range(first, last + 1)))
        first = last + 1
    return windows


# ---------------------------------------------------------------- training data


def step_ratings(example: StepwiseExample) -> list[int]:
    """The example's per-step ratings: its ``ratings`` extra (+1/0/-1) if present, else its labels as +1/-1."""
    ratings = example.extra.get(RATINGS_KEY)
    if ratings is None:
        return [1 if label else -1 for label in example.labels]
    if not isinstance(ratings, list) or len(ratings) != len(example.steps):
        raise DataError(f"{RATINGS_KEY!r} must be a list with one rating per step ({len(example.steps)}), got {ratings!r}")
    for number, (rating, label) in enumerate(zip(ratings, example.labels), start=1):
        if isinstance(rating, bool) or rating not in (-1, 0, 1):
            raise DataError(f"rating {number} must be -1, 0 or 1, got {rating!r}")
        if rating and label != (rating > 0):
            raise DataError(f"rating {number} is {rating} but label {number} is {label}")
    return list(ratings)


def check_prm_examples(examples: Sequence[StepwiseExample]) -> list[list[int]]:
    """Each example's ratings; :class:`DataError` naming the example unless all are well formed with hard labels."""
    if not examples:
        raise DataError("no PRM examples")
    all_ratings = []
    for index, example in enumerate(examples):
        try:
            if not isinstance(example, StepwiseExample):
                raise DataError(f"expected a StepwiseExample, got {type(example).__name__}")
            if example.is_soft:
                raise DataError("the PRM trains on hard labels; harden() soft labels first")
            check_example(example, allow_soft=False)
            all_ratings.append(step_ratings(example))
        except DataError as err:
            raise DataError(f"PRM example {index}: {err}") from None
    return all_ratings


def training_features(
    tokenizer, examples: Sequence[StepwiseExample], ratings: Sequence[Sequence[int]], settings: PRMSettings, marker_id: int
) -> list[dict[str, list[int]]]:
    """One feature per window: ``input_ids`` and ``step_labels`` (the class at each marker, ignored elsewhere)."""
    features = []
    for index, (example, example_ratings) in enumerate(zip(examples, ratings)):
        try:
            encoded = encode_steps(tokenizer, example.prompt, example.steps, marker_id)
        except DataError as err:
            raise DataError(f"PRM example {index}: {err}") from None
        for start, end, steps in step_windows(encoded.step_ends, settings.max_length):
            labels = [IGNORE_INDEX] * (end - start)
            for step in steps:
                labels[encoded.step_ends[step] - start] = settings.target(example_ratings[step])
            features.append({"input_ids": encoded.input_ids[start:end], "step_labels": labels})
    return features


def step_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of the label-token logits at the labelled step ends (mean over the batch's steps)."""
    labels = batch["step_labels"]
    labelled = labels != IGNORE_INDEX
    logits = model(batch["input_ids"], batch["attention_mask"], labelled)
    return F.cross_entropy(logits.float(), labels[labelled])


def train_prm(
    model_dir: str | os.PathLike,
    examples: Sequence[StepwiseExample],
    out_dir: str | os.PathLike,
    settings: PRMSettings = PRMSettings(),
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict[str, float]:
    """Train a PRM initialised from the causal LM in ``model_dir`` on step-labelled examples.

    Examples are :class:`StepwiseExample` (e.g. from
    :func:`stepwise.data.stepwise_formats.read_trl`), optionally with per-step
    ``ratings`` in their extras. Saves to ``out_dir`` (see :func:`load_prm`)
    and returns the training metrics; checkpoints and resuming as in
    :func:`~stepwise.training.reward_model.train_with_loss`.
    """
    ratings = check_prm_examples(examples)
    out_dir = Path(out_dir)
    lm, tokenizer = load_causal_lm(model_dir, settings.dropout)
    marker_id = add_step_marker(lm, tokenizer, settings.step_marker)
    model = ProcessRewardModel(lm, label_token_ids(tokenizer, settings))
    features = training_features(tokenizer, examples, ratings, settings, marker_id)
    counts = Counter(settings.label_tokens[settings.target(r)] for rs in ratings for r in rs)
    log.info("PRM from %s on %d examples (%d windows), step targets %s (neutral=%s) -> %s", model_dir, len(examples),
             len(features), dict(counts), settings.neutral, out_dir)
    collator = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"step_labels": IGNORE_INDEX})
    return train_with_loss(model, features, collator, step_loss, settings, out_dir,
                           lambda: save_prm(model, tokenizer, settings, out_dir), checkpoint_dir)


# ---------------------------------------------------------------- saving and loading


def save_prm(model: ProcessRewardModel, tokenizer, settings: PRMSettings, out_dir: str | os.PathLike) -> None:
    """Write the LM folder and ``prm.json`` (written last: it marks a complete save)."""
    model.lm.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    write_settings(out_dir, CONFIG_FILE, KIND, settings, step_marker_id=single_token_id(tokenizer, settings.step_marker),
                   label_token_ids=model.label_token_ids.tolist())


def load_prm(prm_dir: str | os.PathLike) -> tuple[ProcessRewardModel, Any, PRMSettings]:
    """``(model, tokenizer, settings)`` from a folder written by :func:`save_prm`; model in eval mode."""
    settings, stored = read_settings(prm_dir, CONFIG_FILE, KIND, PRMSettings)
    lm, tokenizer = load_causal_lm(prm_dir)
    ids = {
        "step_marker_id": single_token_id(tokenizer, settings.step_marker),
        "label_token_ids": label_token_ids(tokenizer, settings),
    }
    for key, value in ids.items():
        if stored.get(key) != value:
            raise DataError(f"{CONFIG_FILE} says {key} = {stored.get(key)} but the tokenizer gives {value}", prm_dir)
    return ProcessRewardModel(lm, ids["label_token_ids"]).eval(), tokenizer, settings


# ---------------------------------------------------------------- scoring


def steps_to_score(text: str, step_format: str) -> list[str]:
    """The steps of a solution text (:func:`stepwise.steps.split_steps`); an empty text is one empty step,
    so that every solution gets at least one score."""
    return split_steps(text, step_format) or [text]


def class_probabilities(model: ProcessRewardModel, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """Per row of a collated batch, the class probabilities ``[n_marked, n_classes]`` at its marked steps, in order."""
    mask = batch["step_mask"].bool()
    probabilities = model(batch["input_ids"], batch["attention_mask"], mask).float().softmax(dim=-1)
    return list(probabilities.split(mask.sum(dim=1).tolist()))


def correct_probability(probabilities: torch.Tensor, neutral_is_correct: bool) -> torch.Tensor:
    """P(step correct) from class probabilities: P(good), plus P(neutral) when it counts as correct."""
    correct = probabilities[..., GOOD]
    if probabilities.shape[-1] > NEUTRAL and neutral_is_correct:
        correct = correct + probabilities[..., NEUTRAL]
    return correct


def score_steps(
    prm_dir: str | os.PathLike,
    prompts: Sequence[str],
    solutions: Sequence[str | Sequence[str]],
    batch_size: int = 32,
    *,
    step_format: str | None = None,
    neutral_is_correct: bool = True,
) -> list[list[float]]:
    """The PRM's P(step correct) for every step of every solution, in input order.

    A solution is its list of steps, or its text, split with
    :func:`steps_to_score` in ``step_format`` ("prm800k" or "gsm8k").
    With three classes P(correct) is P("+") + P("0") when ``neutral_is_correct``
    (Lightman et al.'s evaluation), else P("+"). Batched by similar length, no
    gradients, on the GPU when there is one.
    """
    if len(prompts) != len(solutions):
        raise ValueError(f"{len(prompts)} prompts but {len(solutions)} solutions")
    all_steps = []
    for index, solution in enumerate(solutions):
        if isinstance(solution, str):
            if step_format is None:
                raise ValueError(f"solution {index} is a text; pass step_format to split it into steps")
            all_steps.append(steps_to_score(solution, step_format))
        elif not solution or not all(isinstance(step, str) for step in solution):
            raise DataError(f"solution {index} must be a text or a non-empty list of step texts, got {solution!r}")
        else:
            all_steps.append(list(solution))
    model, tokenizer, settings = load_prm(prm_dir)
    marker_id = single_token_id(tokenizer, settings.step_marker)
    features, owners = [], []  # owners[i]: (solution, its steps) scored by feature i
    for index, (prompt, steps) in enumerate(zip(prompts, all_steps)):
        try:
            encoded = encode_steps(tokenizer, prompt, steps, marker_id)
        except DataError as err:
            raise DataError(f"solution {index}: {err}") from None
        for start, end, window_steps in step_windows(encoded.step_ends, settings.max_length):
            mask = [0] * (end - start)
            for step in window_steps:
                mask[encoded.step_ends[step] - start] = 1
            features.append({"input_ids": encoded.input_ids[start:end], "step_mask": mask})
            owners.append((index, window_steps))
    collator = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"step_mask": 0})

    def scores(batch: dict[str, torch.Tensor]) -> list[list[float]]:
        return [correct_probability(p, neutral_is_correct).tolist() for p in class_probabilities(model, batch)]

    window_scores = score_in_batches(model, features, collator, scores, batch_size, "PRM step scoring")
    result = [[0.0] * len(steps) for steps in all_steps]
    for (index, window_steps), values in zip(owners, window_scores, strict=True):
        for step, value in zip(window_steps, values, strict=True):
            result[index][step] = value
    return result
