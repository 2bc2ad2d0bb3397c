"""Settings dataclasses from config sections: one parser for all of them.

The config schema (``schemas/config.schema.yaml``) is the one source of
defaults: Snakemake's validation fills them in, and rules hand each job its
section. :func:`settings_from_config` builds a settings dataclass from such a
section, rejecting keys the dataclass does not have (a typo in a hand-written
settings file, or a config key the code does not read) and naming the section.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from stepwise.io import DataError

T = TypeVar("T")


def settings_from_config(cls: type[T], values: Mapping[str, Any], where: str, **fixed: Any) -> T:
    """``cls(**values, **fixed)`` for a dataclass ``cls``, with unknown and missing keys named.

    ``where`` names the config section (e.g. ``gsm8k.verifier``) in errors;
    ``fixed`` are fields the caller supplies rather than the config. A field
    without a default must be in ``values`` or ``fixed``; a field with one may
    be left out. Invalid values fail in the dataclass's own checks, which the
    message also attributes to ``where``.
    """
    if not isinstance(values, Mapping):
        raise DataError(f"{where}: expected a mapping of settings, got {type(values).__name__}")
    fields = {field.name: field for field in dataclasses.fields(cls) if field.init}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise DataError(f"{where}: unknown key(s) {unknown}; valid keys: {', '.join(sorted(fields))}")
    given = {**values, **fixed}
    missing = sorted(name for name, field in fields.items() if name not in given
                     and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING)
    if missing:
        raise DataError(f"{where}: missing key(s) {missing}")
    try:
        return cls(**given)
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: {error}") from error
