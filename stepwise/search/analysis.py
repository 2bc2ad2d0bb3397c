"""Test-time search evaluated: accuracy and compute per method and budget, by problem difficulty, and
the compute-optimal choice of method per difficulty (Snell et al., 2024). Their Markdown and plot are
:mod:`stepwise.search.report`'s.

Inputs are the search records (one per problem, method and budget ``n``: ``problem_id, method, n,
answer, correct, score, text, finished, generated_tokens, scored_tokens``; best-of-N's too), and the
task's test samples joined to the guide's score file of them (:mod:`stepwise.evaluation.score_tables`), which say how
hard each problem is.

Conventions, shared by every table here:

- ``accuracy`` is the share of problems answered correctly, a fraction in the CSV files as in the
  task tables (``<task>/accuracy.csv``), in percent in the Markdown ones.
- ``std`` is the standard error of that share over the problems, sd(correct) / sqrt(P) (sample sd,
  0 for a single problem). The task tables' ``std`` is the spread over random N-subsets of fixed
  problems; a search runs once per problem, so its noise is measured over the problems instead.
- ``generated_tokens`` and ``scored_tokens`` are means per problem.
- Difficulty: ``bins`` quantile levels, 1 the easiest to ``bins`` the hardest (Snell's order).
  ``oracle`` levels come from each problem's pass@1, the mean correctness of its sampled (not
  greedy) test samples; ``predicted`` levels from the guide's mean score over the same samples,
  which needs no answer key. Tied problems share a level (:func:`quantile_levels`).
- Compute-optimal: per budget and level the method with the best accuracy, chosen on one half of
  the problems and scored on the other, both ways round (two-fold cross-fitting), so that every
  problem is answered by a method chosen without it (:func:`compute_optimal`). The halves are a
  seeded split within the oracle levels, the same for both binnings.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from stepwise.evaluation.accuracy import samples_frame
from stepwise.io import DataError
from stepwise.search.records import read_search_records

#: Search methods in the order of the tables (best-of-N, the baseline, first); of equally good methods
#: the compute-optimal choice takes the first.
METHOD_ORDER = ("best_of_n", "beam_search", "dvts", "lookahead")
BASELINE = "best_of_n"
BINNINGS = ("oracle", "predicted")
RECORD_COLUMNS = ["problem_id", "method", "n", "correct", "generated_tokens", "scored_tokens"]
SUMMARY_COLUMNS = ["accuracy", "std", "generated_tokens", "scored_tokens"]
ACCURACY_COLUMNS = ["method", "n", *SUMMARY_COLUMNS]
DIFFICULTY_COLUMNS = ["binning", "level", "method", "n", "problems", *SUMMARY_COLUMNS]
CURVE_COLUMNS = ["binning", "n", "problems", *SUMMARY_COLUMNS]
CHOICE_COLUMNS = ["binning", "n", "level", "chosen_on", "method"]


# ---------------------------------------------------------------- reading


def read_records(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """The search records of ``paths`` as a table of :data:`RECORD_COLUMNS`. Each file is checked by
    :func:`stepwise.search.records.read_search_records` (a bad record is a DataError naming file and
    line); a record of a problem, method and budget that another file has too is a DataError as well."""
    rows, first = [], {}
    for path in paths:
        for record in read_search_records(path):
            key = (record["problem_id"], record["method"], record["n"])
            if key in first:
                raise DataError(
                    f"a second record of problem_id={key[0]!r}, method={key[1]}, n={key[2]} "
                    f"(the first is in {first[key]})",
                    path,
                )
            first[key] = path
            rows.append({column: record[column] for column in RECORD_COLUMNS})
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def check_complete(records: pd.DataFrame, methods: Sequence[str], budgets: Sequence[int]) -> None:
    """Every method at every budget, nothing else, each over the same problems: a missing shard or
    budget would otherwise bias the comparison silently."""
    found = set(zip(records["method"], records["n"]))
    expected = {(method, n) for method in methods for n in budgets}
    if found != expected:
        raise DataError(
            f"search records: expected every method of {list(methods)} at every budget of "
            f"{list(budgets)}; missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
        )
    problems = set(records["problem_id"])
    for (method, n), rows in records.groupby(["method", "n"]):
        missing = sorted(problems - set(rows["problem_id"]))
        if missing:
            raise DataError(
                f"search records: {method} at n={n} lacks {len(missing)} of the {len(problems)} "
                f"problems, e.g. {missing[0]!r} (a shard missing?)"
            )


# ---------------------------------------------------------------- accuracy and compute


def standard_error(values: pd.Series) -> float:
    """sd / sqrt(count) of ``values`` (sample sd; 0 for fewer than two values)."""
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def summarise(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per group of ``keys``: the number of problems, accuracy, its standard error and mean tokens."""
    frame = frame.assign(correct=frame["correct"].astype(float))
    grouped = frame.groupby(list(keys), sort=True)
    summary = grouped.agg(
        problems=("correct", "size"),
        accuracy=("correct", "mean"),
        generated_tokens=("generated_tokens", "mean"),
        scored_tokens=("scored_tokens", "mean"),
    )
    summary["std"] = grouped["correct"].agg(standard_error)
    return summary.reset_index()


def method_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of :data:`METHOD_ORDER`, then by budget."""
    return (
        frame.assign(_order=frame["method"].map(METHOD_ORDER.index))
        .sort_values(["_order", "n"], kind="stable")
        .drop(columns="_order")
    )


def accuracy_table(records: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and compute per method and budget (:data:`ACCURACY_COLUMNS`)."""
    return method_order(summarise(records, ["method", "n"]))[ACCURACY_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- difficulty


def samples_with_score(
    records: Sequence[Mapping[str, Any]], score: str, scores_path: str | os.PathLike
) -> pd.DataFrame:
    """The task's test samples joined to the guide's score file
    (:func:`stepwise.evaluation.score_tables.join_score_files`) as a table with the guide's column ``score``,
    which the score file must have."""
    unscored = next((record for record in records if score not in record), None)
    if unscored is not None:
        raise DataError(
            f"no column {score!r} for problem_id={unscored['problem_id']!r}, sample_id={unscored['sample_id']}",
            scores_path,
        )
    return samples_frame(records, [score])


def problem_difficulty(samples: pd.DataFrame, score: str) -> pd.DataFrame:
    """Per problem of the sample table (``problem_id, greedy, correct`` and the guide's column
    ``score``): ``pass_at_1`` and ``mean_score`` over its sampled (not greedy) solutions."""
    pool = samples[~samples["greedy"].astype(bool)]
    difficulty = pool.groupby("problem_id").agg(pass_at_1=("correct", "mean"), mean_score=(score, "mean"))
    unscored = difficulty.index[difficulty["mean_score"].isna()]
    if len(unscored):
        raise DataError(f"the guide's {score!r} scores none of the samples of problem {unscored[0]!r}")
    return difficulty.astype(float)


def quantile_levels(ease: pd.Series, bins: int) -> pd.Series:
    """Difficulty levels 1 (easiest) to ``bins`` (hardest) of the problems of ``ease`` (higher: easier),
    in equal shares of the problems.

    A problem's place is the middle of the stretch of the ranking its ties share: with ``a`` problems
    strictly easier and ``t`` as easy (itself included), its level is floor(bins * (a + t/2) / P) + 1.
    Without ties that cuts P problems into bins of equal size (sizes differing by one when ``bins``
    does not divide P). Tied problems always share a level -- a large tie leaves a level empty rather
    than splitting equal problems by an arbitrary order -- and a tie whose middle falls exactly on a
    boundary goes to the harder level.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    problems = len(ease)
    if problems == 0:
        return pd.Series([], index=ease.index, dtype=int)
    twice_middle = (2 * ease.rank(method="average", ascending=False) - 1).round().astype(int)  # 2a + t
    return (bins * twice_middle // (2 * problems) + 1).clip(upper=bins).astype(int)


def difficulty_levels(difficulty: pd.DataFrame, bins: int) -> pd.DataFrame:
    """The ``oracle`` (pass@1) and ``predicted`` (guide's mean score) level of every problem."""
    return pd.DataFrame(
        {
            "oracle": quantile_levels(difficulty["pass_at_1"], bins),
            "predicted": quantile_levels(difficulty["mean_score"], bins),
        }
    )


def difficulty_table(records: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and compute per binning, level, method and budget (:data:`DIFFICULTY_COLUMNS`)."""
    tables = []
    for binning in BINNINGS:
        leveled = records.assign(binning=binning, level=records["problem_id"].map(levels[binning]))
        tables.append(method_order(summarise(leveled, ["binning", "level", "method", "n"])))
    table = pd.concat(tables)
    table = table.assign(_binning=table["binning"].map(BINNINGS.index))
    return table.sort_values(["_binning", "level"], kind="stable")[DIFFICULTY_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- compute-optimal


def split_halves(levels: pd.Series, seed: int) -> pd.Series:
    """Half 0 or 1 of every problem: within each level a seeded shuffle, dealt alternately, the
    alternation carried over from level to level, so that both halves hold every level (and the
    whole) in shares that differ by at most one problem."""
    rng = np.random.default_rng(seed)
    halves, dealt = {}, 0
    for level in sorted(levels.unique()):
        problems = sorted(levels.index[levels == level])
        for position, index in enumerate(rng.permutation(len(problems))):
            halves[problems[index]] = (dealt + position) % 2
        dealt += len(problems)
    return pd.Series(halves, dtype=int).reindex(levels.index)


def choose_methods(records: pd.DataFrame, levels: pd.Series) -> dict[tuple[int, int], str]:
    """The best method per (budget, level) on ``records`` (the choosing half's, of problems with
    ``levels``): the highest accuracy; of equals the fewest generated tokens, then the first of
    :data:`METHOD_ORDER`. A level without problems here gets the best method over all levels of the half."""
    leveled = records.assign(level=records["problem_id"].map(levels))
    choices = {}
    for n, at_budget in leveled.groupby("n"):
        overall = _best_method(at_budget)
        by_level = {level: _best_method(rows) for level, rows in at_budget.groupby("level")}
        for level in sorted(levels.unique()):
            choices[(int(n), int(level))] = by_level.get(level, overall)
    return choices


def _best_method(records: pd.DataFrame) -> str:
    summary = summarise(records, ["method"])
    summary["_order"] = summary["method"].map(METHOD_ORDER.index)
    ranked = summary.sort_values(
        ["accuracy", "generated_tokens", "_order"], ascending=[False, True, True], kind="stable"
    )
    return ranked["method"].iloc[0]


def compute_optimal(records: pd.DataFrame, levels: pd.Series, halves: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per budget, the accuracy and compute of choosing a method per level (:func:`choose_methods`)
    on one half of the problems and answering the other half's with it, both ways round.

    Returns the answers (one row per problem and budget: its record of the method chosen on the
    other half) and the choices (``n, level, chosen_on, method``). The choice on half ``h`` is made
    from half ``h``'s records alone.
    """
    answers, choices = [], []
    for chosen_on in (0, 1):
        chooser = records[records["problem_id"].map(halves) == chosen_on]
        held_out = records[records["problem_id"].map(halves) != chosen_on]
        chosen = choose_methods(chooser, levels)
        choices += [
            {"n": n, "level": level, "chosen_on": chosen_on, "method": method} for (n, level), method in chosen.items()
        ]
        wanted = held_out["method"] == [
            chosen[(n, level)] for n, level in zip(held_out["n"], held_out["problem_id"].map(levels))
        ]
        answers.append(held_out[wanted])
    answered = pd.concat(answers).sort_values(["n", "problem_id"]).reset_index(drop=True)
    return answered, pd.DataFrame(choices).sort_values(["n", "level", "chosen_on"]).reset_index(drop=True)


def compute_optimal_tables(records: pd.DataFrame, levels: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The compute-optimal curve (:data:`CURVE_COLUMNS`) and choices (:data:`CHOICE_COLUMNS`) for
    oracle and predicted levels, on the same halves (split within the oracle levels, so that both
    halves hold easy and hard problems alike; the split chooses nothing)."""
    halves = split_halves(levels["oracle"], seed)
    curves, choices = [], []
    for binning in BINNINGS:
        answered, chosen = compute_optimal(records, levels[binning], halves)
        curves.append(summarise(answered, ["n"]).assign(binning=binning))
        choices.append(chosen.assign(binning=binning))
    return (
        pd.concat(curves)[CURVE_COLUMNS].reset_index(drop=True),
        pd.concat(choices)[CHOICE_COLUMNS].reset_index(drop=True),
    )


def headline(accuracy: pd.DataFrame, curve: pd.DataFrame) -> dict[str, Any]:
    """Snell's headline figure on our data: the fewest generated tokens per problem at which the
    compute-optimal curve reaches best-of-N's accuracy at its largest N, as a share of best-of-N's
    tokens there (below 1: compute-optimal needs less). ``reached`` false (ratio null) when no
    budget of the curve reaches it."""
    baseline = accuracy[accuracy["method"] == BASELINE]
    if baseline.empty:
        raise DataError(f"no {BASELINE} records: the headline ratio compares with best-of-N")
    largest = baseline.loc[baseline["n"].idxmax()]
    summary = {
        "best_of_n": {
            "n": int(largest["n"]),
            "accuracy": float(largest["accuracy"]),
            "generated_tokens": float(largest["generated_tokens"]),
        }
    }
    for binning, points in curve.groupby("binning", sort=False):
        reaching = points[points["accuracy"] >= largest["accuracy"]].sort_values(["generated_tokens", "n"])
        if reaching.empty:
            summary[binning] = {
                "reached": False,
                "n": None,
                "accuracy": None,
                "generated_tokens": None,
                "token_ratio": None,
            }
            continue
        point = reaching.iloc[0]
        ratio = point["generated_tokens"] / largest["generated_tokens"] if largest["generated_tokens"] > 0 else None
        summary[binning] = {
            "reached": True,
            "n": int(point["n"]),
            "accuracy": float(point["accuracy"]),
            "generated_tokens": float(point["generated_tokens"]),
            "token_ratio": None if ratio is None else float(ratio),
        }
    return summary


# ---------------------------------------------------------------- the whole evaluation


def evaluate_search(
    records: pd.DataFrame, samples: pd.DataFrame, score: str, *, bins: int, seed: int
) -> dict[str, Any]:
    """Every table of a task's search evaluation from its records and its scored test samples
    (``problem_id, greedy, correct`` and the guide's column ``score``): ``accuracy``, ``difficulty``,
    ``compute_optimal``, ``choices`` (frames), ``levels`` (per problem) and ``summary`` (a dict)."""
    difficulty = problem_difficulty(samples, score)
    unsampled = sorted(set(records["problem_id"]) - set(difficulty.index))
    if unsampled:
        raise DataError(
            f"{len(unsampled)} searched problems have no test samples to judge their difficulty, e.g. {unsampled[0]!r}"
        )
    difficulty = difficulty.loc[sorted(set(records["problem_id"]))]
    levels = difficulty_levels(difficulty, bins)
    accuracy = accuracy_table(records)
    curve, choices = compute_optimal_tables(records, levels, seed)
    summary = {"problems": len(difficulty), "bins": bins, "seed": seed, **headline(accuracy, curve)}
    return {
        "accuracy": accuracy,
        "difficulty": difficulty_table(records, levels),
        "compute_optimal": curve,
        "choices": choices,
        "levels": difficulty.join(levels),
        "summary": summary,
    }
