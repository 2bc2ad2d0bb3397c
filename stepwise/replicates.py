"""Replicates: the random parts of every experiment rerun under other seeds, and their spread.

Replicate 1 is the run as configured, in ``results/<run>/``; replicate ``k > 1``
is the same DAG in ``results/<run>/replicates/<k>/`` with every seed of its
random parts (generator SFT, sample sets, verifiers, PRMs, Math-Shepherd
labelling, configured scorers) shifted by ``(k - 1) * SEED_STRIDE``. The raw
data, the base model (the demo's tiny model included), the generators' SFT data
(few-shot samples included) and the evaluation's Monte Carlo draws keep their seeds: a replicate measures how much
the numbers move when only the training and sampling randomness changes.
Raising ``replicates`` keeps every finished replicate: only the new ones run.

The accuracy tables of the replicates are summarised per method and N as the
mean over replicates and its standard deviation (:func:`summarise`).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

SEED_STRIDE = 1000
#: Top-level config sections whose seeds stay fixed across replicates (the data and the base model).
FIXED_SECTIONS = ("demo", "model")
#: Sections, at any depth, whose seeds stay fixed (the generators' SFT data, the evaluation's Monte Carlo draws).
FIXED_SUBSECTIONS = ("generator_data", "evaluation")
MEAN = "mean"  # the `replicate` value of the summary rows


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


def summarise(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per-replicate rows and their summary, ``method,n,replicate,accuracy,std``.

    ``tables`` are the replicates' accuracy tables (``method,n,accuracy,std``),
    replicate 1 first. Rows with ``replicate`` 1, 2, ... are those tables as they
    are (``std``: the replicate's own Monte Carlo deviation); rows with
    ``replicate == "mean"`` hold the mean over replicates and, in ``std``, the
    standard deviation over replicates (ddof 1; 0 with one replicate). Methods
    keep the order of replicate 1's table.
    """
    if not tables:
        raise ValueError("no replicate tables to summarise")
    keys = [tuple(t[["method", "n"]].itertuples(index=False, name=None)) for t in tables]
    for number, table_keys in enumerate(keys[1:], start=2):
        if sorted(table_keys) != sorted(keys[0]):
            raise ValueError(f"replicate {number}'s table has other methods or N than replicate 1's")
    rows = pd.concat([t.assign(replicate=str(k)) for k, t in enumerate(tables, start=1)], ignore_index=True)
    grouped = rows.groupby(["method", "n"], sort=False)["accuracy"]
    summary = grouped.agg(["mean", "std", "size"]).reset_index()
    summary = pd.DataFrame(
        {
            "method": summary["method"],
            "n": summary["n"],
            "replicate": MEAN,
            "accuracy": summary["mean"],
            "std": summary["std"].fillna(0.0),
        }
    )
    return pd.concat([rows[["method", "n", "replicate", "accuracy", "std"]], summary], ignore_index=True)


def mean_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary rows of :func:`summarise` as an accuracy table (``method,n,accuracy,std``; std over replicates)."""
    return summary[summary["replicate"] == MEAN].drop(columns="replicate").reset_index(drop=True)


def replicate_count(summary: pd.DataFrame) -> int:
    """How many replicates a summary averages."""
    return int(summary.loc[summary["replicate"] != MEAN, "replicate"].nunique())


def gaps(summary: pd.DataFrame, baselines: Sequence[str], n: int) -> pd.DataFrame:
    """Each method's gap to each baseline at N = ``n``, over replicates.

    Columns ``method,baseline,mean,std,wins,replicates``: the mean and standard
    deviation (ddof 1; 0 with one replicate) of ``accuracy(method) -
    accuracy(baseline)`` over replicates, and in how many replicates the gap is
    positive. A baseline is compared with every method but itself and the
    baselines before it (whose rows already hold that gap); baselines missing
    from the table are skipped.
    """
    rows = summary[(summary["replicate"] != MEAN) & (summary["n"] == n)]
    by_replicate = rows.pivot(index="replicate", columns="method", values="accuracy")
    methods = list(dict.fromkeys(rows["method"]))
    out = []
    for index, baseline in enumerate(baselines):
        if baseline not in by_replicate:
            continue
        for method in methods:
            if method in baselines[: index + 1]:
                continue
            gap = by_replicate[method] - by_replicate[baseline]
            out.append(
                {
                    "method": method,
                    "baseline": baseline,
                    "mean": gap.mean(),
                    "std": gap.std() if len(gap) > 1 else 0.0,
                    "wins": int((gap > 0).sum()),
                    "replicates": len(gap),
                }
            )
    return pd.DataFrame(out, columns=["method", "baseline", "mean", "std", "wins", "replicates"])


def summary_markdown(summary: pd.DataFrame, baselines: Sequence[str]) -> str:
    """The mean table (± the standard deviation over replicates) and, at the largest N, every
    method's gap to each baseline (:func:`gaps`) with its spread and the replicates in which it is positive."""
    from stepwise.evaluation import markdown_table

    count = replicate_count(summary)
    largest = int(summary["n"].max())
    lines = [
        f"Mean accuracy (%) over {count} replicates (± standard deviation over replicates).",
        "",
        markdown_table(mean_rows(summary)).rstrip("\n"),
        "",
        f"Gaps at N={largest} (points; mean ± sd over replicates; wins: replicates with a positive gap).",
        "",
        "| method | baseline | gap | wins |",
        "|---|---|---:|---:|",
    ]
    for row in gaps(summary, baselines, largest).itertuples(index=False):
        lines.append(
            f"| {row.method} | {row.baseline} | {100 * row.mean:+.1f} (±{100 * row.std:.1f}) "
            f"| {row.wins}/{row.replicates} |"
        )
    return "\n".join(lines) + "\n"
