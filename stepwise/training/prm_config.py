"""Settings of the process reward model (PRM) of Lightman et al. (2023), and its label classes.

Step ratings are PRM800K's +1 / 0 / -1; boolean labels read as +1 / -1. How a
0 (neutral) rating trains is :attr:`PRMSettings.neutral`: as "+", as "-", or as
a third class. A step's score is P(correct) = P("+"), plus P("0") when neutral
counts as correct (Lightman's choice at evaluation; see
:func:`stepwise.scoring.prm.score_steps`).
"""

from __future__ import annotations

from dataclasses import dataclass

from stepwise.data.prm800k_preprocess import NEUTRAL_MODES  # one key, prm800k.preprocess.neutral, for both
from stepwise.training.lm import TrainingSettings

GOOD, BAD, NEUTRAL = 0, 1, 2  # class indices, in the order of PRMSettings.label_tokens


@dataclass(frozen=True)
class PRMSettings(TrainingSettings):
    """PRM training hyper-parameters (Lightman et al.: 2 epochs helped on small data).

    ``neutral``: how a 0 rating trains, "positive" ("+"), "negative" ("-") or
    "neutral" (a third class, the label token ``neutral_token``); the workflow
    sets it from ``prm800k.preprocess.neutral``, so one key drives both. ``step_marker``: the
    step-end token (see :mod:`stepwise.models.prm`). ``dropout`` goes to the model
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
