"""Replicates: the random parts of every experiment rerun under other seeds, and their spread.

Replicate 1 is the run as configured, in ``results/<run>/``; replicate ``k > 1``
is the same DAG in ``results/<run>/replicates/<k>/`` with every seed of its
random parts (generator SFT, sample sets, verifiers, PRMs, Math-Shepherd
labelling, configured scorers) shifted by ``(k - 1) * SEED_STRIDE``. The raw
data, the base model (the demo's tiny model included), the generators' SFT data
(few-shot samples included) and the evaluation's Monte Carlo draws keep their seeds: a replicate measures how much
the numbers move when only the training and sampling randomness changes.
Raising ``replicates`` keeps every finished replicate: only the new ones run.
Their tables are summarised by :mod:`stepwise.evaluation.replicate_summary`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from typing import Any

SEED_STRIDE = 1000
#: Top-level config sections whose seeds stay fixed across replicates (the data and the base model).
FIXED_SECTIONS = ("demo", "model")
#: Sections, at any depth, whose seeds stay fixed (the generators' SFT data, the evaluation's Monte Carlo draws).
FIXED_SUBSECTIONS = ("generator_data", "evaluation")


def replicate_dirs(results_dir: str, count: int) -> list[str]:
    """The results folder of each replicate, replicate 1 first (``results_dir`` itself)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"replicates must be an integer >= 1, got {count!r}")
    return [results_dir] + [os.path.join(results_dir, "replicates", str(k)) for k in range(2, count + 1)]


def replicate_number(results_dir: str, directory: str) -> int:
    """Which replicate a folder of :func:`replicate_dirs` holds."""
    if os.path.normpath(directory) == os.path.normpath(results_dir):
        return 1
    match = re.fullmatch(re.escape(os.path.join(results_dir, "replicates", "")) + r"(\d+)", directory)
    if not match or int(match.group(1)) < 2:
        raise ValueError(f"{directory!r} is not a replicate folder of {results_dir!r}")
    return int(match.group(1))


def seed_paths(config: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The config paths (keys and list indices) of every ``seed`` a replicate shifts."""
    found: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if (not path and key in FIXED_SECTIONS) or key in FIXED_SUBSECTIONS:
                    continue
                if key == "seed" and isinstance(value, int) and not isinstance(value, bool):
                    found.append(path + (key,))
                else:
                    walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, path + (index,))

    walk(config, ())
    return found


def replicate_config(config: Mapping[str, Any], replicate: int) -> dict[str, Any]:
    """The config replicate ``replicate`` runs: a copy with the seeds of :func:`seed_paths` shifted."""
    shifted = copy.deepcopy(dict(config))
    for path in seed_paths(config):
        node = shifted
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] += (replicate - 1) * SEED_STRIDE
    return shifted


# ---------------------------------------------------------------- tables
