"""The test-time search's tables (:mod:`stepwise.search.analysis`) as Markdown, and its plot of
accuracy against generated tokens."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from stepwise.evaluation.accuracy import method_styles
from stepwise.io import markdown_table
from stepwise.search.analysis import BINNINGS, method_order


def _percent(row: Mapping[str, Any]) -> str:
    return f"{100 * row['accuracy']:.1f} (±{100 * row['std']:.1f})"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """The lines of a Markdown table (:func:`stepwise.io.markdown_table`)."""
    return markdown_table(pd.DataFrame(list(rows), columns=list(header))).rstrip("\n").split("\n")


def accuracy_markdown(accuracy: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    """The accuracy table (percent ± standard error over problems, tokens per problem) and the headline ratio."""
    lines = [f"Accuracy (%) ± standard error over {summary['problems']} problems; tokens are means per problem.", ""]
    lines += _table(
        ["method", "N", "accuracy", "generated tokens", "scored tokens"],
        (
            [row["method"], row["n"], _percent(row), f"{row['generated_tokens']:.0f}", f"{row['scored_tokens']:.0f}"]
            for _, row in accuracy.iterrows()
        ),
    )
    return "\n".join([*lines, "", headline_markdown(summary)]) + "\n"


def headline_markdown(summary: Mapping[str, Any]) -> str:
    """One sentence per binning: the tokens compute-optimal needs to match best-of-N at its largest N."""
    base = summary["best_of_n"]
    sentences = []
    for binning in BINNINGS:
        point = summary[binning]
        if point["reached"]:
            ratio = "n/a" if point["token_ratio"] is None else f"{point['token_ratio']:.2f}x"
            sentences.append(
                f"- {binning} levels: compute-optimal reaches {100 * point['accuracy']:.1f}% at N={point['n']} "
                f"with {point['generated_tokens']:.0f} generated tokens per problem, {ratio} best-of-{base['n']}'s "
                f"{base['generated_tokens']:.0f} ({100 * base['accuracy']:.1f}%)."
            )
        else:
            sentences.append(
                f"- {binning} levels: compute-optimal does not reach best-of-{base['n']}'s "
                f"{100 * base['accuracy']:.1f}% at any budget."
            )
    if base["accuracy"] == 0:
        sentences.append(
            f"- best-of-{base['n']} solves no problem here, so any budget matches it: the ratio says nothing."
        )
    return "\n".join(sentences)


def difficulty_markdown(difficulty: pd.DataFrame) -> str:
    """Per binning, accuracy (%) ± standard error with a row per method and budget and a column per level."""
    lines = []
    for binning, table in difficulty.groupby("binning", sort=False):
        sizes = table.groupby("level")["problems"].first()
        what = "pass@1 of the test samples" if binning == "oracle" else "the guide's mean score of the test samples"
        lines += [f"## {binning.capitalize()} levels ({what}; 1 easiest)", ""]
        cells = table.set_index(["method", "n", "level"])
        rows = method_order(table[["method", "n"]].drop_duplicates())
        lines += _table(
            ["method", "N", *(f"level {level} ({size} problems)" for level, size in sizes.items())],
            (
                [method, n, *(_percent(cells.loc[(method, n, level)]) for level in sizes.index)]
                for method, n in zip(rows["method"], rows["n"])
            ),
        )
        lines.append("")
    return "\n".join(lines)


def compute_optimal_markdown(curve: pd.DataFrame, choices: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    """The compute-optimal curve per binning, the method chosen per budget and level, and the headline."""
    lines = [
        "Per budget and difficulty level, the method with the best accuracy on one half of the problems "
        "answers the other half's (two-fold: each half chosen on the other).",
        "",
    ]
    lines += _table(
        ["levels", "N", "accuracy", "generated tokens", "scored tokens"],
        (
            [row["binning"], row["n"], _percent(row), f"{row['generated_tokens']:.0f}", f"{row['scored_tokens']:.0f}"]
            for _, row in curve.iterrows()
        ),
    )
    lines += ["", "Chosen methods (chosen on half 0 / on half 1):", ""]
    levels = sorted(choices["level"].unique())
    chosen = {
        tuple(key): method
        for *key, method in choices[["binning", "n", "level", "chosen_on", "method"]].itertuples(index=False)
    }

    def cell(binning, n, level):  # a level no problem of the binning has: empty
        return (
            f"{chosen[(binning, n, level, 0)]} / {chosen[(binning, n, level, 1)]}"
            if (binning, n, level, 0) in chosen
            else ""
        )

    keys = choices[["binning", "n"]].drop_duplicates()
    lines += _table(
        ["levels", "N", *(f"level {level}" for level in levels)],
        (
            [binning, n, *(cell(binning, n, level) for level in levels)]
            for binning, n in zip(keys["binning"], keys["n"])
        ),
    )
    return "\n".join([*lines, "", headline_markdown(summary)]) + "\n"


COMPUTE_OPTIMAL_LABEL = "compute-optimal ({} levels)"


def plot_accuracy_against_tokens(
    accuracy: pd.DataFrame, curve: pd.DataFrame, out: str | os.PathLike, title: str
) -> None:
    """Accuracy against generated tokens per problem (log scale), a line per method through its budgets
    (each point labelled N, ± one standard error shaded) and the compute-optimal curves, dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [(method, rows) for method, rows in accuracy.groupby("method", sort=False)]
    lines += [(COMPUTE_OPTIMAL_LABEL.format(binning), rows) for binning, rows in curve.groupby("binning", sort=False)]
    styles = method_styles([label for label, _ in lines])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, rows in lines:
        rows = rows.sort_values("n")
        method = not label.startswith("compute-optimal")
        style = dict(styles[label], **({} if method else {"linestyle": "--"}))
        ax.plot(rows["generated_tokens"], 100 * rows["accuracy"], label=label, **style)
        if method:  # the methods' error bands; the compute-optimal curves' would only repeat theirs
            ax.fill_between(
                rows["generated_tokens"],
                100 * (rows["accuracy"] - rows["std"]),
                100 * (rows["accuracy"] + rows["std"]),
                color=style["color"],
                alpha=0.1,
            )
            for _, row in rows.iterrows():
                ax.annotate(
                    f"N={row['n']}",
                    (row["generated_tokens"], 100 * row["accuracy"]),
                    fontsize=7,
                    textcoords="offset points",
                    xytext=(3, 3),
                    color=style["color"],
                )
    ax.set_xscale("log")
    ax.set_xlabel("generated tokens per problem")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
