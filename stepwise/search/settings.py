"""The settings of a search job (the config's ``search`` section as a job reads it): a light module, which
the config layer (:mod:`stepwise.config.job_settings`) imports without the search's models."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchSettings:
    """The config's ``search`` section, as far as a search job reads it."""

    budgets: tuple[int, ...]
    beam_width: int
    max_steps: int
    step_max_tokens: int
    temperature: float
    top_p: float
    aggregation: str
    problems: int | None
    seed: int
    lookahead: int

    @classmethod
    def from_settings(cls, search: Mapping[str, Any]) -> SearchSettings:
        from stepwise.cli import required

        names = [field.name for field in dataclasses.fields(cls)]
        values = dict(zip(names, required(search, *names, where="--settings search")))
        return cls(**{**values, "budgets": tuple(values["budgets"])})
