"""The papers' claims a run tests, and whether they hold in it (``results/<run>/claims.{csv,md}``).

Each claim restates a finding of a paper as a test on this run's tables at
N = ``claims.n``: a selection method beats a baseline by at least a margin,
``accuracy(method) - accuracy(baseline) >= margin`` (on a task's accuracy table,
or on its test-time search table), or Math-Shepherd's step labels (the kind the
PRM trains on, ``shepherd.labels``) agree with the demo's truth of each prefix (no
wrong step up to it) at least as often as the margin says. :data:`CLAIMS` defines
them once: the test, the paper, and the paper's own figure where the
project's sources (``shared/docs/methods.md``) give one, else its qualitative claim.

:func:`configured_claims` picks the claims a config runs, each PRM at the headline
aggregation fixed in ``claims.aggregation`` before anything is measured;
:func:`measure` evaluates them in every replicate (a claim whose table lacks its
method or baseline is left out, with a log line); :func:`claims_markdown` writes a
row per claim.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from stepwise.evaluation.replicate_summary import MEAN
from stepwise.io import DataError, markdown_table

log = logging.getLogger(__name__)

#: What a claim is measured on: a task's accuracy table (``<task>/accuracy.csv``), its search table
#: (``search/<task>/accuracy.csv``), or its Math-Shepherd label statistics (``shepherd/<task>/stats.json``).
ACCURACY, SEARCH, LABELS = "accuracy", "search", "labels"
#: The tasks a claim is tested on: fixed, or the tasks a config section runs its experiment on.
SHEPHERD_TASKS, SEARCH_TASKS = "shepherd.tasks", "search.tasks"
#: A difference of two accuracies that equals the margin may come out a rounding error below it.
TOLERANCE = 1e-9

COBBE = "Cobbe et al. 2021 (GSM8K verifiers)"
LIGHTMAN = "Lightman et al. 2023 (Let's Verify Step by Step)"
WANG = "Wang et al. 2024 (Math-Shepherd)"
SNELL = "Snell et al. 2024 (test-time compute)"
LIGHTMAN_AT_1860 = "at N=1860 on MATH-500: PRM 78.2%, ORM 72.4%, majority voting 69.6%"


@dataclass(frozen=True)
class ClaimDefinition:
    """One claim of a paper as a test: ``method`` (in ``table``) beats ``baseline`` by ``margin`` (or,
    without a baseline, reaches it), on ``tasks``. ``aggregated``: ``method`` is a PRM scorer, whose
    row is its headline aggregation's (``<method>_<claims.aggregation[method]>``)."""

    name: str
    paper: str
    figure: str  # the paper's own figure as text, or "qualitative: ..." where the sources give none
    table: str
    tasks: tuple[str, ...] | str  # task names, or SHEPHERD_TASKS / SEARCH_TASKS
    method: str
    baseline: str | None
    margin: float  # a fraction, as the tables hold accuracies
    aggregated: bool = False


CLAIMS: tuple[ClaimDefinition, ...] = (
    ClaimDefinition(
        "verifier_vs_greedy",
        COBBE,
        "qualitative: best-of-N by the verifier beats the fine-tuned generator alone "
        "(a 6B verifier roughly matched a 175B fine-tuned model)",
        ACCURACY,
        ("gsm8k",),
        "verifier",
        "greedy",
        0.05,
    ),
    ClaimDefinition(
        "verifier_vs_majority",
        COBBE,
        "qualitative: reranking by the verifier beats the generator's samples alone "
        "(no figure against majority voting in our sources)",
        ACCURACY,
        ("gsm8k",),
        "verifier",
        "majority",
        0.02,
    ),
    ClaimDefinition(
        "prm_vs_greedy",
        LIGHTMAN,
        LIGHTMAN_AT_1860 + " (greedy: no figure)",
        ACCURACY,
        ("math",),
        "prm800k_prm",
        "greedy",
        0.03,
        aggregated=True,
    ),
    ClaimDefinition(
        "prm_vs_majority",
        LIGHTMAN,
        LIGHTMAN_AT_1860,
        ACCURACY,
        ("math",),
        "prm800k_prm",
        "majority",
        0.0,
        aggregated=True,
    ),
    ClaimDefinition(
        "prm_vs_orm", LIGHTMAN, LIGHTMAN_AT_1860, ACCURACY, ("math",), "prm800k_prm", "orm", 0.0, aggregated=True
    ),
    ClaimDefinition(
        "shepherd_prm_vs_greedy",
        WANG,
        "qualitative: best-of-N by the PRM trained on automatic labels beats the generator's own answer",
        ACCURACY,
        SHEPHERD_TASKS,
        "shepherd_prm",
        "greedy",
        0.03,
        aggregated=True,
    ),
    ClaimDefinition(
        "shepherd_prm_vs_majority",
        WANG,
        "qualitative: verification by the PRM trained on automatic labels beats self-consistency (majority voting)",
        ACCURACY,
        SHEPHERD_TASKS,
        "shepherd_prm",
        "majority",
        0.0,
        aggregated=True,
    ),
    ClaimDefinition(
        "beam_search_vs_best_of_n",
        SNELL,
        "qualitative: at small budgets, beam search guided by a PRM beats best-of-N by the same "
        "verifier at equal N (best-of-N catches up at large budgets and on easy problems)",
        SEARCH,
        SEARCH_TASKS,
        "beam_search",
        "best_of_n",
        0.0,
    ),
    ClaimDefinition(
        "shepherd_label_accuracy",
        WANG,
        "qualitative: the hard and soft estimates from completions agree well with human step labels",
        LABELS,
        SHEPHERD_TASKS,
        "step_labels",
        None,
        0.85,
    ),
)


@dataclass(frozen=True)
class Claim:
    """A claim as a run tests it: on one task, with its method's row name and the N it is read at."""

    name: str
    task: str
    paper: str
    figure: str
    table: str
    method: str
    baseline: str | None
    margin: float
    n: int | None  # None for label claims, which have no N

    @property
    def test(self) -> str:
        """The claim's test in words."""
        if self.baseline is None:
            return f"{self.method} accuracy >= {100 * self.margin:g}%"
        return f"{self.method} - {self.baseline} >= {100 * self.margin:g} points at N={self.n}"


def configured_claims(settings: Mapping[str, Any]) -> list[Claim]:
    """The claims a run tests, in :data:`CLAIMS` order, each on every task it applies to.

    ``settings`` (``stepwise.config.job_settings.claims``): ``claims`` (the config section: ``n`` and the
    headline ``aggregation`` of each PRM) and the experiments' tasks, ``shepherd_tasks`` and
    ``search_tasks``: Math-Shepherd's and the search's claims are tested on those only.
    """
    n, aggregation = settings["claims"]["n"], settings["claims"]["aggregation"]
    runs = {SHEPHERD_TASKS: settings["shepherd_tasks"], SEARCH_TASKS: settings["search_tasks"]}
    claims = []
    for definition in CLAIMS:
        tasks = runs[definition.tasks] if isinstance(definition.tasks, str) else definition.tasks
        method = f"{definition.method}_{aggregation[definition.method]}" if definition.aggregated else definition.method
        for task in tasks:
            claims.append(
                Claim(
                    definition.name,
                    task,
                    definition.paper,
                    definition.figure,
                    definition.table,
                    method,
                    definition.baseline,
                    definition.margin,
                    None if definition.table == LABELS else n,
                )
            )
    return claims


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Tables:
    """One replicate's tables, by task: accuracy tables (``method,n,accuracy,std``), search tables
    (``method,n,accuracy,std,generated_tokens,scored_tokens``) and Math-Shepherd label statistics."""

    accuracy: Mapping[str, pd.DataFrame]
    search: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def replicate_files(paths: Sequence[str], tasks: Sequence[str], replicates: int) -> list[dict[str, str]]:
    """Each replicate's file of each task, from ``paths`` listed task by task, replicate 1 first."""
    if len(paths) != len(tasks) * replicates:
        raise ValueError(f"{len(paths)} files for {len(tasks)} tasks {list(tasks)} in {replicates} replicates")
    return [{task: paths[index * replicates + k] for index, task in enumerate(tasks)} for k in range(replicates)]


class Missing(Exception):
    """A claim's table lacks what it needs (the claim is left out)."""


#: The columns of the claims table: the claim, then one row per replicate and a `mean` row.
COLUMNS = [
    "claim",
    "task",
    "paper",
    "figure",
    "test",
    "method",
    "baseline",
    "n",
    "margin",
    "replicate",
    "method_accuracy",
    "baseline_accuracy",
    "measured",
    "std",
    "holds",
    "replicates",
    "method_generated_tokens",
    "baseline_generated_tokens",
    "recall_good",
]
#: The values measured in each replicate (the rest of a row describes the claim).
VALUES = ["method_accuracy", "baseline_accuracy", "method_generated_tokens", "baseline_generated_tokens", "recall_good"]


def _row(table: pd.DataFrame, method: str, n: int, what: str) -> pd.Series:
    rows = table[(table["method"] == method) & (table["n"] == n)]
    if rows.empty:
        raise Missing(f"its {what} has no row for {method} at N={n}")
    if len(rows) > 1:
        raise DataError(f"the {what} has {len(rows)} rows for {method} at N={n}")
    return rows.iloc[0]


def _values(claim: Claim, tables: Tables) -> dict[str, float]:
    """What ``claim`` reads from one replicate's tables (:data:`VALUES`; NaN where it does not apply)."""
    values = dict.fromkeys(VALUES, math.nan)
    if claim.table == LABELS:
        quality = tables.labels[claim.task].get("quality")
        if quality is None:
            raise Missing("its label statistics have no quality (the demo's true step labels are not available)")
        # The labels the PRM trains on (shepherd.labels): hard, or soft ones thresholded at the soft threshold.
        judged = quality["hard" if tables.labels[claim.task]["labels"] == "hard" else "soft"]
        if judged["accuracy"] is None:
            raise Missing("its label statistics judged no step")
        recall = judged["recall_good"]
        return {
            **values,
            "method_accuracy": judged["accuracy"],
            "recall_good": math.nan if recall is None else recall,
        }
    what = f"{claim.task} search table" if claim.table == SEARCH else f"{claim.task} accuracy table"
    table = (tables.search if claim.table == SEARCH else tables.accuracy)[claim.task]
    method, baseline = _row(table, claim.method, claim.n, what), _row(table, claim.baseline, claim.n, what)
    values.update(method_accuracy=method["accuracy"], baseline_accuracy=baseline["accuracy"])
    if claim.table == SEARCH:
        values.update(
            method_generated_tokens=method["generated_tokens"], baseline_generated_tokens=baseline["generated_tokens"]
        )
    return values


def measure(claims: Sequence[Claim], replicates: Sequence[Tables]) -> pd.DataFrame:
    """Every claim in every replicate (:data:`COLUMNS`), replicate 1 first.

    A replicate's row has the method's and the baseline's accuracy, ``measured`` (their difference, or
    the method's accuracy for a claim without a baseline), ``holds`` (1 when ``measured >= margin``, else
    0) and ``replicates`` = 1. The claim's ``mean`` row has the means over replicates, in ``std`` the
    standard deviation of ``measured`` over replicates (ddof 1; blank with one replicate), and in
    ``holds`` the number of the ``replicates`` in which the claim holds. A claim whose table lacks its
    method or baseline in some replicate (or whose label statistics lack the true labels' quality) is
    left out, with a log line.
    """
    if not replicates:
        raise ValueError("no replicate tables to measure the claims on")
    frames = []
    for claim in claims:
        try:
            measured = [_values(claim, tables) for tables in replicates]
        except Missing as reason:
            log.info("claim %s on %s left out: %s", claim.name, claim.task, reason)
            continue
        rows = pd.DataFrame(measured, columns=VALUES)
        baseline = 0.0 if claim.baseline is None else rows["baseline_accuracy"]
        rows["measured"] = rows["method_accuracy"] - baseline
        rows["holds"] = (rows["measured"] >= claim.margin - TOLERANCE).astype(int)
        rows["replicate"] = [str(k) for k in range(1, len(rows) + 1)]
        rows["replicates"], rows["std"] = 1, math.nan
        mean = {
            **rows[VALUES + ["measured"]].mean().to_dict(),
            "replicate": MEAN,
            "holds": int(rows["holds"].sum()),
            "replicates": len(rows),
            "std": rows["measured"].std() if len(rows) > 1 else math.nan,
        }
        rows = pd.concat([rows, pd.DataFrame([mean])], ignore_index=True)
        described = {
            "claim": claim.name,
            "task": claim.task,
            "paper": claim.paper,
            "figure": claim.figure,
            "test": claim.test,
            "method": claim.method,
            "baseline": claim.baseline,
            "n": claim.n,
            "margin": claim.margin,
        }
        frames.append(rows.assign(**described))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(frames, ignore_index=True)[COLUMNS]
    return table.astype({"n": "Int64", "holds": int, "replicates": int})


# ---------------------------------------------------------------- Markdown


def _format(value: float, absolute: bool) -> str:
    """An accuracy in percent, or a difference of two in signed points."""
    return f"{100 * value:.1f}%" if absolute else f"{100 * value:+.1f}"


def _beside(mean: pd.Series) -> str:
    """What a claim shows beside its test: a search's generated tokens, the labels' recall of good steps."""
    if not math.isnan(mean["method_generated_tokens"]):
        return (
            f"generated tokens per problem: {mean['method_generated_tokens']:.0f} "
            f"vs {mean['baseline_generated_tokens']:.0f}"
        )
    if not math.isnan(mean["recall_good"]):
        return f"recall of good steps {100 * mean['recall_good']:.1f}%"
    return ""


#: The columns of the claims' Markdown table.
COLUMNS_SHOWN = (
    "paper",
    "paper's figure",
    "task",
    "test",
    "measured",
    "per replicate",
    "method",
    "baseline",
    "beside it",
    "holds",
)


def claims_markdown(table: pd.DataFrame, n: int) -> str:
    """A row per claim of a :func:`measure` table: the paper, its figure, the test, the measured
    difference (mean ± sd over replicates; points, or percent for a claim without a baseline), each
    replicate's value, the method's and the baseline's mean accuracy, and in how many replicates it holds."""
    replicates = int(table["replicates"].max()) if len(table) else 0
    over = "in 1 replicate" if replicates == 1 else f"over {replicates} replicates (mean ± sd)"
    lines = [
        f"Claims of the papers, tested at N={n} {over}: measured is method - baseline in points "
        "(for a claim without a baseline, the accuracy itself).",
        "",
    ]
    rows = []
    for _, claim in table.groupby(["claim", "task"], sort=False):
        each, mean = claim[claim["replicate"] != MEAN], claim[claim["replicate"] == MEAN].iloc[0]
        absolute = pd.isna(mean["baseline"])
        measured = _format(mean["measured"], absolute)
        if not math.isnan(mean["std"]):
            measured += f" ± {100 * mean['std']:.1f}"
        rows.append(
            {
                "paper": mean["paper"],
                "paper's figure": mean["figure"],
                "task": mean["task"],
                "test": mean["test"],
                "measured": measured,
                "per replicate": " / ".join(_format(value, absolute) for value in each["measured"]),
                "method": f"{mean['method']} {100 * mean['method_accuracy']:.1f}%",
                "baseline": "" if absolute else f"{mean['baseline']} {100 * mean['baseline_accuracy']:.1f}%",
                "beside it": _beside(mean),
                "holds": f"{mean['holds']} of {mean['replicates']}",
            }
        )
    shown = pd.DataFrame(rows, columns=COLUMNS_SHOWN)
    return "\n".join(lines) + "\n" + markdown_table(shown, right=("measured", "method", "baseline"))
