"""The spread of a run's replicates (:mod:`stepwise.config.replicates`): each method's accuracy per
replicate, their mean and standard deviation per method and N, and each method's gap to the baselines."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from stepwise.io import markdown_table

MEAN = "mean"  # the `replicate` value of the summary rows


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
    from stepwise.evaluation.accuracy import accuracy_markdown

    count = replicate_count(summary)
    largest = int(summary["n"].max())
    lines = [
        f"Mean accuracy (%) over {count} replicates (± standard deviation over replicates).",
        "",
        accuracy_markdown(mean_rows(summary)),
        f"Gaps at N={largest} (points; mean ± sd over replicates; wins: replicates with a positive gap).",
        "",
    ]
    rows = gaps(summary, baselines, largest)
    table = pd.DataFrame(
        {
            "method": rows["method"],
            "baseline": rows["baseline"],
            "gap": [f"{100 * mean:+.1f} (±{100 * std:.1f})" for mean, std in zip(rows["mean"], rows["std"])],
            "wins": [f"{wins}/{count}" for wins, count in zip(rows["wins"], rows["replicates"])],
        }
    )
    return "\n".join(lines) + "\n" + markdown_table(table, right=("gap", "wins"))
