"""Raw datasets: typed readers, the stepwise training formats, and fetching.

Modules:

- :mod:`stepwise.data.gsm8k` -- GSM8K problems (``load_gsm8k``).
- :mod:`stepwise.data.math` -- MATH / MATH-500 problems (``load_math``).
- :mod:`stepwise.data.prm800k` -- raw PRM800K label records and their trajectories.
- :mod:`stepwise.data.prm800k_trajectories` -- a record's chosen trajectory, or every combination of its labels.
- :mod:`stepwise.data.prm800k_preprocess` -- PRM800K records to step-labelled examples, with statistics.
- :mod:`stepwise.data.contamination` -- held-out (MATH-500) problems matched on normalised text.
- :mod:`stepwise.data.stepwise_formats` -- Math-Shepherd and TRL stepwise-supervision files.
- :mod:`stepwise.data.fetch` -- verified, atomic download (incl. Git LFS) and local copy.

This package module holds only the field checks the readers share; it imports
none of the modules above, so each can be imported on its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from stepwise.io import DataError

_MISSING = object()


def location_error(message: str, path: str | os.PathLike | None, line: int | None) -> DataError:
    """A DataError naming the file and line, or ``record N`` for in-memory records."""
    if path is None and line is not None:
        return DataError(f"record {line}: {message}")
    return DataError(message, path, line)


def type_names(kind: type | tuple[type, ...]) -> str:
    """Human-readable name(s) of a type or tuple of types, for error messages."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def is_instance(value: Any, kind: type | tuple[type, ...]) -> bool:
    """``isinstance`` with JSON semantics: a boolean is not a number, an integer is a float."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, kinds)


def require_field(
    record: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    *,
    path: str | os.PathLike | None = None,
    line: int | None = None,
    where: str = "",
    nullable: bool = False,
    optional: bool = False,
) -> Any:
    """Return ``record[key]`` after checking that it is present and of type ``kind``.

    ``where`` is the dotted location of ``record`` inside the line (for example
    ``label.steps[3]``), so the error names the full field. ``nullable`` accepts
    JSON ``null``; ``optional`` accepts a missing key (returning ``None``).
    Raises :class:`DataError` naming file, line and field.
    """
    name = f"{where}.{key}" if where else key
    value = record.get(key, _MISSING)
    if value is _MISSING:
        if optional:
            return None
        raise location_error(f"missing field '{name}'", path, line)
    if value is None and (nullable or optional):
        return None
    if not is_instance(value, kind):
        expected = type_names(kind) + (" or null" if nullable else "")
        raise location_error(f"field '{name}' should be {expected}, got {type(value).__name__}", path, line)
    return value
