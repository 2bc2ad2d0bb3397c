"""The public PRM scorers of a config (``scorers:`` entries of kind ``public_prm``): their settings, checked.

Torch-free, so that the workflow checks a config when it builds the DAG; the
scoring itself is :mod:`stepwise.scoring.public_prm`, whose docstring describes
the three conventions.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

QWEN_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

#: Every convention's format settings and their defaults (the reference model's).
FORMATS: dict[str, dict[str, Any]] = {
    "step_tag": {
        "text": "{problem} {steps}",  # the whole input
        "step": "Step {number}: {step} {tag}",  # one step, numbered from 1
        "join": "\n",  # between steps
        "tag": "ки",
        "labels": ["+", "-"],  # correct, wrong: read as the tokens of "<correct> <wrong>"
    },
    "token_classification": {
        "separator": "<extra_0>",
        "chat_template": True,
        "system_prompt": QWEN_SYSTEM_PROMPT,  # null: no system turn
        "positive_label": 1,  # the class index that means "correct"
        "model_class": "token_classification",  # or "auto": the model's own class (Qwen's, remote code)
    },
    "chat_turns": {
        "first_turn": "{problem} {step}",
        "labels": ["+", "-"],  # correct, wrong: single tokens; the assistant's answer is the correct one
        "system_prompt": None,
    },
}
CONVENTIONS = tuple(FORMATS)
# A template's allowed and required fields.
TEMPLATE_FIELDS = {
    "text": ({"problem", "steps"}, {"problem", "steps"}),
    "step": ({"number", "step", "tag"}, {"step"}),
    "first_turn": ({"problem", "step"}, {"problem", "step"}),
}
MODEL_CLASSES = ("token_classification", "auto")
DTYPES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class PublicPRMSettings:
    """One public PRM scorer: where its model is, how it reads a solution and how it is run."""

    name: str
    model: str
    convention: str
    format: Mapping[str, Any] = field(default_factory=dict)  # completed with the convention's defaults
    revision: str | None = None
    trust_remote_code: bool = False
    dtype: str = "auto"  # auto: bf16 on a GPU that supports it, else float32
    batch_size: int = 8
    max_length: int | None = None  # None: the model's max_position_embeddings

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> PublicPRMSettings:
        """Settings from a config ``scorers:`` entry of kind ``public_prm``, checked (errors name the key)."""
        name = entry.get("name", "?")
        where = f"scorers: {name}"
        convention = entry.get("convention")
        if convention not in FORMATS:
            raise ValueError(f"{where}: convention {convention!r} is not one of {', '.join(CONVENTIONS)}")
        known = {
            "name",
            "kind",
            "tasks",
            "model",
            "convention",
            "format",
            "revision",
            "trust_remote_code",
            "dtype",
            "batch_size",
            "max_length",
        }
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
        if not isinstance(entry.get("model"), str) or not entry["model"]:
            raise ValueError(f"{where}: model must be a hub id or a model folder")
        dtype = entry.get("dtype", "auto")
        if dtype != "auto" and dtype not in DTYPES:
            raise ValueError(f"{where}: dtype {dtype!r} is not auto or one of {', '.join(DTYPES)}")
        for key in ("batch_size", "max_length"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{where}: {key} must be a positive integer, got {value!r}")
        return cls(
            name=name,
            model=entry["model"],
            convention=convention,
            format=complete_format(convention, entry.get("format") or {}, where),
            revision=entry.get("revision"),
            trust_remote_code=bool(entry.get("trust_remote_code", False)),
            dtype=dtype,
            batch_size=entry.get("batch_size") or 8,
            max_length=entry.get("max_length"),
        )


def complete_format(convention: str, given: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The convention's format settings: ``given`` over the defaults, checked."""
    defaults = FORMATS[convention]
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(
            f"{where}: format key(s) {unknown} are not settings of the {convention} convention; "
            f"its settings: {sorted(defaults)}"
        )
    settings = {**defaults, **given}
    for key, (allowed, required) in TEMPLATE_FIELDS.items():
        if key in settings:
            template = settings[key]
            try:
                fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
            except (TypeError, ValueError) as err:
                raise ValueError(f"{where}: format.{key} {template!r} is not a template ({err})") from None
            if not required <= fields <= allowed:
                raise ValueError(
                    f"{where}: format.{key} {template!r} must use {{{'}, {'.join(sorted(required))}}} "
                    f"and may use only {sorted(allowed)}"
                )
    if "labels" in settings:
        labels = settings["labels"]
        if not (
            isinstance(labels, list)
            and len(labels) == 2
            and all(isinstance(x, str) and x for x in labels)
            and labels[0] != labels[1]
        ):
            raise ValueError(f"{where}: format.labels must be two different tokens [correct, wrong], got {labels!r}")
    if convention == "token_classification":
        if settings["model_class"] not in MODEL_CLASSES:
            raise ValueError(f"{where}: format.model_class {settings['model_class']!r} is not one of {MODEL_CLASSES}")
        if not isinstance(settings["positive_label"], int) or settings["positive_label"] < 0:
            raise ValueError(
                f"{where}: format.positive_label must be a class index, got {settings['positive_label']!r}"
            )
    return settings
