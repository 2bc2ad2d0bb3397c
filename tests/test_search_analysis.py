"""The evaluation of test-time search (stepwise/search/analysis.py) on small record sets computed by hand."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from stepwise.io import DataError
from stepwise.search import analysis, report
from tests.workflow import ROOT, squeezed


def record(problem_id, method, n, correct, generated, scored=0):
    return {
        "problem_id": problem_id,
        "method": method,
        "n": n,
        "answer": "1" if correct else "2",
        "correct": correct,
        "score": 0.5,
        "text": "...",
        "finished": n,
        "generated_tokens": generated,
        "scored_tokens": scored,
    }


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


EASY, HARD = ["e1", "e2", "e3", "e4"], ["h1", "h2", "h3", "h4"]


def two_level_records():
    """Best-of-N solves the easy problems, beam search the hard ones; at n=8 best-of-N also solves h1.

    Best-of-N: n=4 accuracy 4/8 at 100 tokens, n=8 5/8 at 200; beam search: 4/8 at 60 and 120.
    """
    rows = []
    for n, bon_tokens, beam_tokens in ((4, 100, 60), (8, 200, 120)):
        for p in EASY:
            rows += [
                record(p, "best_of_n", n, True, bon_tokens, 10 * n),
                record(p, "beam_search", n, False, beam_tokens, 20 * n),
            ]
        for p in HARD:
            rows += [
                record(p, "best_of_n", n, n == 8 and p == "h1", bon_tokens, 10 * n),
                record(p, "beam_search", n, True, beam_tokens, 20 * n),
            ]
    return rows


def two_level_samples(uninformative_scores=True):
    """A greedy and two sampled solutions per problem: the easy ones' correct, the hard ones' wrong;
    the guide's score the same for all (or, if not, following correctness)."""
    rows = []
    for p in EASY + HARD:
        correct = p in EASY
        for sample_id in range(3):
            score = 0.5 if uninformative_scores else (0.9 if correct else 0.1)
            rows.append(
                {
                    "problem_id": p,
                    "sample_id": sample_id,
                    "greedy": sample_id == 0,
                    "answer": "1",
                    "correct": correct if sample_id else not correct,
                    "guide": score,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture()
def records(tmp_path):
    return analysis.read_records([write_jsonl(tmp_path / "records.jsonl", two_level_records())])


# ---------------------------------------------------------------- reading and accuracy


def test_accuracy_standard_error_and_tokens_by_hand(records):
    table = analysis.accuracy_table(records)
    assert list(table.columns) == ["method", "n", "accuracy", "std", "generated_tokens", "scored_tokens"]
    assert list(zip(table["method"], table["n"])) == [
        ("best_of_n", 4),
        ("best_of_n", 8),
        ("beam_search", 4),
        ("beam_search", 8),
    ]
    rows = table.set_index(["method", "n"])
    assert rows.loc[("best_of_n", 4), "accuracy"] == 0.5
    # sd of four ones and four zeros (ddof 1) is sqrt(8/7 * 1/4); over sqrt(8) problems
    assert rows.loc[("best_of_n", 4), "std"] == pytest.approx(math.sqrt(2 / 7) / math.sqrt(8))
    assert rows.loc[("best_of_n", 8), "accuracy"] == 5 / 8
    assert rows.loc[("best_of_n", 8), "std"] == pytest.approx(math.sqrt((5 * (3 / 8) ** 2 + 3 * (5 / 8) ** 2) / 7 / 8))
    assert list(rows["generated_tokens"]) == [100, 200, 60, 120]
    assert list(rows["scored_tokens"]) == [40, 80, 80, 160]
    one = analysis.summarise(records[records["problem_id"] == "e1"], ["method", "n"])
    assert (one["std"] == 0).all() and (one["problems"] == 1).all()  # one problem: no spread to measure


def test_malformed_records_name_file_and_line(tmp_path):
    good = record("p1", "dvts", 4, True, 10)
    cases = [  # the records' own checks (stepwise.search.records), at the line
        ("{not json", "malformed JSON"),
        (json.dumps({k: v for k, v in good.items() if k != "generated_tokens"}), r"lacks \['generated_tokens'\]"),
        (json.dumps({**good, "correct": "yes"}), "correct='yes'"),
        (json.dumps({**good, "method": "greedy"}), "method='greedy'"),
        (json.dumps({**good, "n": 0}), "n=0"),
        (json.dumps(good), "a second record for problem_id='p1', method=dvts, n=4"),
    ]
    for line, message in cases:
        path = tmp_path / "shard.jsonl"
        path.write_text(json.dumps(good) + "\n" + line + "\n")
        with pytest.raises(DataError, match=f"{path}:2: .*{message}"):
            analysis.read_records([path])
    first, second = write_jsonl(tmp_path / "a.jsonl", [good]), write_jsonl(tmp_path / "b.jsonl", [good])
    with pytest.raises(DataError, match=f"{second}: a second record of problem_id='p1', method=dvts, n=4 .*{first}"):
        analysis.read_records([first, second])


def test_incomplete_records_are_errors(records):
    analysis.check_complete(records, ["best_of_n", "beam_search"], [4, 8])
    with pytest.raises(DataError, match=r"missing \[\('dvts', 4\), \('dvts', 8\)\]"):
        analysis.check_complete(records, ["best_of_n", "beam_search", "dvts"], [4, 8])
    with pytest.raises(DataError, match=r"unexpected \[\('beam_search', 8\), \('best_of_n', 8\)\]"):
        analysis.check_complete(records, ["best_of_n", "beam_search"], [4])
    lacking = records[~((records["method"] == "beam_search") & (records["n"] == 8) & (records["problem_id"] == "h3"))]
    with pytest.raises(DataError, match="beam_search at n=8 lacks 1 of the 8 problems, e.g. 'h3'"):
        analysis.check_complete(lacking, ["best_of_n", "beam_search"], [4, 8])


# ---------------------------------------------------------------- difficulty levels


def test_quantile_levels_without_ties_are_equal_shares_easiest_first():
    ease = pd.Series([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0], index=[f"p{i}" for i in range(10)])
    levels = analysis.quantile_levels(ease, 5)
    assert levels.sort_values(kind="stable").index[:2].tolist() == ["p0", "p6"]  # the two easiest: level 1
    assert levels.value_counts().sort_index().tolist() == [2, 2, 2, 2, 2]
    assert (levels.groupby(levels).apply(lambda g: ease[g.index].min()).diff().dropna() < 0).all()
    # 7 problems in 5 levels: sizes 1, 2, 1, 2, 1 by the rule floor(5 (2r + 1) / 14) + 1
    seven = analysis.quantile_levels(pd.Series(range(7, 0, -1), dtype=float), 5)
    assert seven.tolist() == [1, 2, 2, 3, 4, 4, 5]
    assert analysis.quantile_levels(pd.Series([0.3]), 5).tolist() == [3]  # one problem: the middle level


def test_tied_problems_share_a_level_deterministically():
    ease = pd.Series([1, 1, 1, 0.75, 0.75, 0.5, 0.25, 0, 0, 0], dtype=float)
    levels = analysis.quantile_levels(ease, 5)
    assert levels.tolist() == [1, 1, 1, 3, 3, 3, 4, 5, 5, 5]  # level 2 empty: the ties are not split
    shuffled = ease.sample(frac=1, random_state=3)
    assert analysis.quantile_levels(shuffled, 5).sort_index().equals(levels)  # the order of problems does not matter
    # A tie whose middle is on a boundary (4 of 10 easiest: the middle at 2/10) goes to the harder level.
    assert analysis.quantile_levels(pd.Series([1.0] * 4 + [0.0] * 6), 5).tolist() == [2] * 4 + [4] * 6
    assert analysis.quantile_levels(pd.Series([0.5] * 6), 5).tolist() == [3] * 6  # all tied: the middle


def test_oracle_levels_from_pass_at_1_and_predicted_from_the_guides_mean_score():
    samples = two_level_samples(uninformative_scores=False)
    difficulty = analysis.problem_difficulty(samples, "guide")
    # The greedy sample (correct for the hard problems here) is not among the samples pass@1 is taken over.
    assert difficulty.loc["e1", "pass_at_1"] == 1.0 and difficulty.loc["h1", "pass_at_1"] == 0.0
    assert difficulty.loc["e1", "mean_score"] == pytest.approx(0.9)
    levels = analysis.difficulty_levels(difficulty, 2)
    assert (levels.loc[EASY] == 1).all().all() and (levels.loc[HARD] == 2).all().all()
    # Scores that say the opposite of the answers: predicted levels swap, oracle levels do not.
    samples["guide"] = 1 - samples["guide"]
    swapped = analysis.difficulty_levels(analysis.problem_difficulty(samples, "guide"), 2)
    assert (swapped.loc[EASY, "predicted"] == 2).all() and (swapped.loc[EASY, "oracle"] == 1).all()
    samples.loc[samples["problem_id"] == "h2", "guide"] = None
    with pytest.raises(DataError, match="scores none of the samples of problem 'h2'"):
        analysis.problem_difficulty(samples, "guide")


def test_samples_without_the_guides_column_name_the_score_file():
    rows = two_level_samples().drop(columns="guide").to_dict("records")
    with pytest.raises(DataError, match="scores.jsonl: no column 'guide' for problem_id='e1', sample_id=0"):
        analysis.samples_with_score(rows, "guide", "scores.jsonl")


def test_difficulty_table_by_hand(records):
    levels = analysis.difficulty_levels(analysis.problem_difficulty(two_level_samples(), "guide"), 2)
    table = analysis.difficulty_table(records, levels)
    assert list(table.columns) == [
        "binning",
        "level",
        "method",
        "n",
        "problems",
        "accuracy",
        "std",
        "generated_tokens",
        "scored_tokens",
    ]
    oracle = table[table["binning"] == "oracle"].set_index(["level", "method", "n"])
    assert oracle.loc[(1, "best_of_n", 4), "accuracy"] == 1.0 and oracle.loc[(1, "beam_search", 4), "accuracy"] == 0.0
    assert oracle.loc[(2, "best_of_n", 8), "accuracy"] == 0.25 and oracle.loc[(2, "beam_search", 8), "accuracy"] == 1.0
    assert (oracle["problems"] == 4).all()
    predicted = table[table["binning"] == "predicted"]  # equal scores: one level of all eight problems
    assert set(predicted["level"]) == {2} and (predicted["problems"] == 8).all()


# ---------------------------------------------------------------- compute-optimal


def test_halves_split_every_level_evenly_and_follow_the_seed():
    levels = pd.Series([1] * 5 + [2] * 4 + [3] * 3, index=[f"p{i:02d}" for i in range(12)])
    halves = analysis.split_halves(levels, seed=0)
    counts = pd.crosstab(levels, halves)
    assert ((counts[0] - counts[1]).abs() <= 1).all() and abs(halves.sum() - 6) == 0
    assert halves.equals(analysis.split_halves(levels.sample(frac=1, random_state=1), seed=0).reindex(levels.index))
    assert any(not analysis.split_halves(levels, seed).equals(halves) for seed in range(1, 5))


def test_the_choice_never_sees_the_half_it_answers(records, monkeypatch):
    levels = pd.Series(1, index=EASY + HARD).where(pd.Series(EASY + HARD, index=EASY + HARD).isin(EASY), 2)
    halves = analysis.split_halves(levels, seed=7)
    seen = []
    choose = analysis.choose_methods
    monkeypatch.setattr(
        analysis, "choose_methods", lambda rows, lv: seen.append(set(rows["problem_id"])) or choose(rows, lv)
    )
    answered, choices = analysis.compute_optimal(records, levels, halves)
    assert [halves[sorted(problems)].unique().tolist() for problems in seen] == [[0], [1]]
    for chosen_on, problems in enumerate(seen):
        answered_here = answered[answered["problem_id"].map(halves) != chosen_on]
        assert not problems & set(answered_here["problem_id"])
    assert len(answered) == 2 * 8  # every problem once per budget
    # Whatever the answered half's own records say, the choice made for it stays the same.
    flipped = records.assign(
        correct=records["correct"].where(records["problem_id"].map(halves) == 0, ~records["correct"])
    )
    monkeypatch.setattr(analysis, "choose_methods", choose)
    _, choices_flipped = analysis.compute_optimal(flipped, levels, halves)
    on_half_0 = choices["chosen_on"] == 0
    assert choices[on_half_0].equals(choices_flipped[on_half_0])


def test_compute_optimal_curve_choices_and_headline_by_hand(records):
    tables = analysis.evaluate_search(records, two_level_samples(), "guide", bins=2, seed=0)
    curve = tables["compute_optimal"].set_index(["binning", "n"])
    # Oracle levels: best-of-N on the easy level, beam search on the hard one, whichever half chooses.
    assert set(tables["choices"].query("binning == 'oracle' and level == 1")["method"]) == {"best_of_n"}
    assert set(tables["choices"].query("binning == 'oracle' and level == 2")["method"]) == {"beam_search"}
    assert curve.loc[("oracle", 4), "accuracy"] == 1.0 and curve.loc[("oracle", 4), "generated_tokens"] == 80
    assert curve.loc[("oracle", 8), "accuracy"] == 1.0 and curve.loc[("oracle", 8), "generated_tokens"] == 160
    # Predicted levels from uninformative scores: one level; at n=4 both methods solve half of either half,
    # and the tie goes to the cheaper beam search.
    assert set(tables["choices"].query("binning == 'predicted' and n == 4")["method"]) == {"beam_search"}
    assert curve.loc[("predicted", 4), "accuracy"] == 0.5 and curve.loc[("predicted", 4), "generated_tokens"] == 60
    assert curve.loc[("predicted", 8), "accuracy"] == 0.5
    summary = tables["summary"]
    assert summary["best_of_n"] == {"n": 8, "accuracy": 0.625, "generated_tokens": 200.0}
    assert summary["oracle"] == {"reached": True, "n": 4, "accuracy": 1.0, "generated_tokens": 80.0, "token_ratio": 0.4}
    assert summary["predicted"] == {
        "reached": False,
        "n": None,
        "accuracy": None,
        "generated_tokens": None,
        "token_ratio": None,
    }
    assert "does not reach best-of-8's 62.5%" in report.headline_markdown(summary)
    assert "0.40x best-of-8's 200" in report.headline_markdown(summary)
    assert "says nothing" not in report.headline_markdown(summary)
    nothing = {**summary, "best_of_n": {**summary["best_of_n"], "accuracy": 0.0}}
    assert "best-of-8 solves no problem here" in report.headline_markdown(nothing)


def test_a_level_missing_from_the_choosing_half_takes_the_halfs_best_method(records):
    levels = pd.Series({**{p: 1 for p in EASY + HARD[:3]}, "h4": 2})  # level 2: one problem, in one half only
    halves = analysis.split_halves(levels, seed=0)
    choices = analysis.compute_optimal(records, levels, halves)[1]
    empty_half = 1 - halves["h4"]
    overall = analysis.choose_methods(records[records["problem_id"].map(halves) == empty_half], levels.drop("h4"))
    assert choices.query(f"chosen_on == {empty_half} and level == 2 and n == 4")["method"].item() == overall[(4, 1)]


def test_search_evaluate_writes_every_output(tmp_path):
    records = write_jsonl(tmp_path / "records.jsonl", two_level_records())
    samples = two_level_samples()
    write_jsonl(tmp_path / "samples.jsonl", samples.drop(columns="guide").to_dict("records"))
    write_jsonl(tmp_path / "scores.jsonl", samples[["problem_id", "sample_id", "guide"]].to_dict("records"))
    outputs = {
        "accuracy-csv": "accuracy.csv",
        "accuracy-markdown": "accuracy.md",
        "plot": "accuracy.png",
        "difficulty-csv": "difficulty.csv",
        "difficulty-markdown": "difficulty.md",
        "compute-optimal-csv": "compute_optimal.csv",
        "compute-optimal-markdown": "compute_optimal.md",
        "levels": "levels.csv",
        "summary": "summary.json",
    }
    settings = {
        "methods": ["best_of_n", "beam_search"],
        "budgets": [4, 8],
        "score": "guide",
        "bins": 2,
        "seed": 0,
        "title": "test",
    }
    command = [
        sys.executable,
        str(ROOT / "scripts" / "search_evaluate.py"),
        "--records",
        str(records),
        "--samples",
        str(tmp_path / "samples.jsonl"),
        "--scores",
        str(tmp_path / "scores.jsonl"),
        "--settings",
        json.dumps(settings),
    ]
    for flag, name in outputs.items():
        command += [f"--{flag}", str(tmp_path / name)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    assert pd.read_csv(tmp_path / "accuracy.csv").shape == (4, 6)
    assert json.loads((tmp_path / "summary.json").read_text())["oracle"]["token_ratio"] == 0.4
    assert "| best_of_n | 8 | 62.5 (±18.3) | 200 | 80 |" in squeezed((tmp_path / "accuracy.md").read_text())
    assert "level 1 (4 problems)" in (tmp_path / "difficulty.md").read_text()
    assert "best_of_n / best_of_n" in (tmp_path / "compute_optimal.md").read_text()
    assert pd.read_csv(tmp_path / "levels.csv", index_col="problem_id").loc["e1", "oracle"] == 1
    assert (tmp_path / "accuracy.png").stat().st_size > 0
