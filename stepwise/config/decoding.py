"""Settings dataclasses from config sections: one parser for all of them.

The config schema (``schemas/config.schema.yaml``) is the one source of
defaults: Snakemake's validation fills them in, and rules hand each job its
section. :func:`settings_from_config` builds a settings dataclass from such a
section, rejecting keys the dataclass does not have (a typo in a hand-written
settings file, or a config key the code does not read) and naming the section.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
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
    missing = sorted(
        name
        for name, field in fields.items()
        if name not in given and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    )
    if missing:
        raise DataError(f"{where}: missing key(s) {missing}")
    try:
        return cls(**given)
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: {error}") from error


def config_entries(config: Mapping[str, Any]) -> list[str]:
    """The config as one ``dotted.key=<JSON value>`` string per leaf (lists are leaves), sorted.

    Rule ``run_config`` takes them as its params, so Snakemake's rerun reason
    names the keys that changed (old and new entries), not the whole config.
    """
    entries: list[str] = []

    def walk(node: Mapping[str, Any], path: str) -> None:
        for key, value in node.items():
            if not isinstance(key, str) or not key or "." in key or "=" in key:
                raise DataError(f"config key {path}{key!r}: expected a name without '.' or '='")
            if isinstance(value, Mapping) and value:
                walk(value, f"{path}{key}.")
            else:
                entries.append(f"{path}{key}={json.dumps(value, sort_keys=True)}")

    walk(config, "")
    return sorted(entries)


def config_from_entries(entries: Sequence[str]) -> dict[str, Any]:
    """The config that :func:`config_entries` flattened."""
    config: dict[str, Any] = {}
    for entry in entries:
        path, separator, value = entry.partition("=")
        if not separator:
            raise DataError(f"config entry {entry!r}: expected dotted.key=<JSON value>")
        *parents, key = path.split(".")
        node = config
        for parent in parents:
            node = node.setdefault(parent, {})
        node[key] = json.loads(value)
    return config
