"""From scored sample records to the experiment's accuracy table, selections and plot.

The sample table has one row per sample (``problem_id``, ``sample_id``,
``greedy``, ``answer``, ``correct``, one column per score and ``answer_group``:
answers grouped per problem by the task's answer checker with
:func:`stepwise.selection.fill_answer_groups`, so that majority voting treats
``\\frac12`` and ``0.5``, or ``18.00`` and ``18``, as one answer).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from stepwise.io import markdown_table
from stepwise.selection import MethodSpec, accuracy_curves, selections_at_max_n

log = logging.getLogger(__name__)


def samples_frame(records: Sequence[dict[str, Any]], score_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The sample records as a table with the columns the selection methods read."""
    columns = ["problem_id", "sample_id", "greedy", "answer", "correct", *score_columns]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["correct"] = frame["correct"].astype(bool)
    frame["greedy"] = frame["greedy"].astype(bool)
    return frame


def evaluate_selection(
    frame: pd.DataFrame, methods: Sequence[MethodSpec], trials: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy against N for every method (``method,n,accuracy,std``) and the selections at the largest N.

    A separately decoded greedy solution (``greedy`` true) is the ``greedy``
    method's answer and is kept out of the pool of N samples the other methods
    draw from; without one, ``greedy`` falls back to each problem's first sample.
    """
    greedy_rows = frame[frame["greedy"]]
    pool = frame[~frame["greedy"]].drop(columns="greedy")
    sizes = pool.groupby("problem_id").size()
    log.info(
        "%d problems, %d to %d pooled samples each, %d greedy", len(sizes), sizes.min(), sizes.max(), len(greedy_rows)
    )
    pooled = [m for m in methods if not (m.method == "greedy" and len(greedy_rows))]
    curves = accuracy_curves(pool, pooled, trials=trials, seed=seed)
    selections = selections_at_max_n(pool, pooled, seed=seed)
    for spec in methods:
        if spec not in pooled:
            accuracy = greedy_rows["correct"].mean()
            ns = sorted(curves["n"].unique())
            curves = pd.concat(
                [pd.DataFrame({"method": spec.label, "n": ns, "accuracy": accuracy, "std": 0.0}), curves]
            )
            chosen = greedy_rows[["problem_id", "sample_id", "answer", "correct"]].assign(method=spec.label)
            selections = pd.concat([chosen, selections])
    return curves.reset_index(drop=True), selections.reset_index(drop=True)


def accuracy_markdown(curves: pd.DataFrame) -> str:
    """Accuracy (%) with one row per method and one column per N; the ``std`` column in brackets
    (a table's Monte Carlo deviation, or the deviation over replicates of a replicate summary)."""
    cells = curves.assign(
        cell=[
            f"{100 * accuracy:.1f} (±{100 * std:.1f})" if std > 0 else f"{100 * accuracy:.1f}"
            for accuracy, std in zip(curves["accuracy"], curves["std"])
        ]
    )
    table = cells.pivot(index="method", columns="n", values="cell").fillna("")
    table = table.reindex(index=list(dict.fromkeys(curves["method"])), columns=sorted(curves["n"].unique()))
    table.columns = [f"N={n}" for n in table.columns]
    return markdown_table(table.reset_index(), right=table.columns)


def plot_curves(curves: pd.DataFrame, out: str | os.PathLike, title: str) -> None:
    """Accuracy against N (log-scale N), one line per method, shaded ± one std where it is nonzero."""
    plot_panels({title: curves}, out)


def plot_panels(panels: dict[str, pd.DataFrame], out: str | os.PathLike, title: str | None = None) -> None:
    """One accuracy-against-N panel (as :func:`plot_curves` draws it) per titled table, side by side;
    a method has the same colour and line style in every panel (:func:`method_styles`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [method for curves in panels.values() for method in curves["method"]]
    styles = method_styles(list(dict.fromkeys(methods)))
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.5), squeeze=False)
    for ax, (panel_title, curves) in zip(axes[0], panels.items()):
        _draw_curves(ax, curves, panel_title, styles)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


#: Line style and marker of each PRM step aggregation (a method ``<scorer>_<aggregation>``); other methods: solid.
AGGREGATION_STYLES = {"prod": ("-", "o"), "min": ("--", "s"), "last": (":", "^"), "mean": ("-.", "D")}
ORACLE_STYLE = {"color": "black", "linestyle": (0, (1, 1)), "marker": "x"}  # pass@N: an upper bound, not a method


def method_family(method: str) -> tuple[str, str | None]:
    """``(family, aggregation)``: ``prm800k_prm_min`` is the family ``prm800k_prm`` with aggregation ``min``."""
    family, _, suffix = method.rpartition("_")
    return (family, suffix) if family and suffix in AGGREGATION_STYLES else (method, None)


def method_styles(methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Matplotlib keywords per method: a colour per family (in order of first appearance, from a
    20-colour map, so that colours do not repeat before 20 families) and a line style and marker per
    aggregation, so that every line of a panel can be told apart; pass@N dotted black."""
    import matplotlib

    palette = matplotlib.colormaps["tab20"].colors
    colours = palette[0::2] + palette[1::2]  # the ten strong colours first, then their light twins
    families = list(dict.fromkeys(method_family(m)[0] for m in methods if not m.startswith("pass@")))
    styles = {}
    for method in methods:
        if method.startswith("pass@"):
            styles[method] = ORACLE_STYLE
            continue
        family, aggregation = method_family(method)
        linestyle, marker = AGGREGATION_STYLES.get(aggregation, ("-", "o"))
        styles[method] = {
            "color": colours[families.index(family) % len(colours)],
            "linestyle": linestyle,
            "marker": marker,
        }
    return styles


def _draw_curves(ax, curves: pd.DataFrame, title: str, styles: dict[str, dict[str, Any]]) -> None:
    for method, rows in curves.groupby("method", sort=False):
        rows = rows.sort_values("n")
        style = styles[method]
        ax.plot(rows["n"], 100 * rows["accuracy"], label=method, **style)
        if (rows["std"] > 0).any():
            ax.fill_between(
                rows["n"],
                100 * (rows["accuracy"] - rows["std"]),
                100 * (rows["accuracy"] + rows["std"]),
                color=style["color"],
                alpha=0.12,
            )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("N (samples per problem)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
