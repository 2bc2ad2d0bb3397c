"""Materialise a raw dataset from its configured source: demo, url or path.

The workflow's ``raw_dataset`` rule hands over a *spec* (:func:`dataset_spec`):
the dataset's name, its ``source`` entry from the config and, for the demo, the
seed, size and knobs it depends on. The file
written is then read back with the dataset's reader, so a malformed download or
local copy fails here, naming the file and line, rather than in a later stage.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from stepwise.io import write_jsonl

log = logging.getLogger(__name__)

#: Dataset name -> (kind, split). PRM800K splits carry their phase.
DATASETS: dict[str, tuple[str, str]] = {
    "gsm8k_train": ("gsm8k", "train"),
    "gsm8k_test": ("gsm8k", "test"),
    "math_train": ("math", "train"),
    "math500": ("math", "test"),
    "prm800k_phase1_train": ("prm800k", "phase1_train"),
    "prm800k_phase1_test": ("prm800k", "phase1_test"),
    "prm800k_phase2_train": ("prm800k", "phase2_train"),
    "prm800k_phase2_test": ("prm800k", "phase2_test"),
}


def dataset_kind(name: str) -> tuple[str, str]:
    """``(kind, split)`` of a dataset name, e.g. ``("math", "test")`` for ``math500``."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}") from None


def dataset_spec(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The config that one dataset depends on, and nothing else.

    It travels to the script as the rule's settings, so editing, say, the MATH
    demo knobs reruns the MATH datasets but not GSM8K.
    """
    source = config["data"][name]
    spec = {"dataset": name, "source": source}
    if source["source"] == "demo":
        kind, split = dataset_kind(name)
        demo = config["demo"]
        spec.update(seed=demo["seed"], n=demo[kind][split])
        spec[f"{kind}_knobs"] = demo[kind].get("knobs", {})
        if kind == "prm800k":  # PRM800K demo records are labelled MATH-style solutions
            spec["math_knobs"] = demo["math"].get("knobs", {})
    return spec


def demo_records(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Generate a demo dataset from its spec (seed, size ``n`` and knobs)."""
    from stepwise.demo.gsm8k import generate_gsm8k
    from stepwise.demo.math import generate_math
    from stepwise.demo.prm800k import generate_prm800k

    kind, split = dataset_kind(spec["dataset"])
    seed, n = spec["seed"], spec["n"]
    if kind == "gsm8k":
        return generate_gsm8k(n, seed, split, **spec.get("gsm8k_knobs", {}))
    if kind == "math":
        return generate_math(n, seed, split, **spec.get("math_knobs", {}))
    phase, _, problem_split = split.partition("_")
    return generate_prm800k(
        n,
        seed,
        problem_split,
        phase=int(phase.removeprefix("phase")),
        math_knobs=spec.get("math_knobs", {}),
        **spec.get("prm800k_knobs", {}),
    )


def validate_dataset(name: str, path: str | os.PathLike) -> int:
    """Read a dataset file with its reader (errors name file and line); return its record count."""
    kind, _ = dataset_kind(name)
    if kind == "gsm8k":
        from stepwise.data.gsm8k import load_gsm8k

        return len(load_gsm8k(path))
    if kind == "math":
        from stepwise.data.math import load_math

        return len(load_math(path))
    from stepwise.data.prm800k import iter_prm800k

    # Streamed: the full phase-2 training file is about 456 MB.
    return sum(1 for _ in iter_prm800k(path))


def materialize_dataset(spec: dict[str, Any], out: str | os.PathLike) -> int:
    """Write the dataset described by ``spec`` to ``out``; return its record count."""
    name, source = spec["dataset"], spec["source"]
    kind = source["source"]
    if kind == "demo":
        log.info("generating demo dataset %s (n=%d, seed=%d)", name, spec["n"], spec["seed"])
        write_jsonl(out, demo_records(spec))
    elif kind == "url":
        from stepwise.data.fetch import fetch_url

        log.info("downloading %s from %s", name, source["url"])
        fetch_url(source["url"], out, sha256=source.get("sha256"), lfs=source.get("lfs", False))
    elif kind == "path":
        from stepwise.data.fetch import copy_local

        log.info("copying %s from %s", name, source["path"])
        copy_local(source["path"], out, sha256=source.get("sha256"))
    else:
        raise ValueError(f"data.{name}.source: unknown source {kind!r} (expected demo, url or path)")
    count = validate_dataset(name, out)
    log.info("%s: %d records, all valid, written to %s", name, count, out)
    return count
