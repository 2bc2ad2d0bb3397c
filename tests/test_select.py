"""Selection methods and accuracy-vs-N curves.

Expected values come from hand computation (stated in comments) or from
brute-force enumeration of every N-subset inside the test, never from the code
under test. Monte Carlo results are compared with a tolerance of five standard
errors of a mean of Bernoulli trials (5 * 0.5 / sqrt(trials)); runs are seeded,
so the tolerance only says the agreement is not luck.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from stepwise.io import DataError
from stepwise.selection import (
    MethodSpec,
    accuracy_curves,
    add_solution_scores,
    aggregate_steps,
    expected_best_of_n,
    expected_pass_at_n,
    fill_answer_groups,
    n_values,
    pairwise_grouper,
    selections_at_max_n,
)

TRIALS = 4000
MC_TOLERANCE = 5 * 0.5 / math.sqrt(TRIALS)


def table(problem_id, answers, correct, **scores) -> pd.DataFrame:
    """One problem's samples, sample_id in list order, answer groups by string equality."""
    frame = pd.DataFrame(
        {"problem_id": problem_id, "sample_id": range(len(answers)), "answer": answers, "correct": correct, **scores}
    )
    return fill_answer_groups(frame)


def curve(frame, spec, **kwargs) -> dict[int, float]:
    result = accuracy_curves(frame, [spec], **kwargs)
    return dict(zip(result["n"], result["accuracy"]))


# ---- brute force over all N-subsets (independent of the code under test) ----


def brute_best_of_n(scores, correct, n) -> Fraction:
    total = Fraction(0)
    subsets = list(combinations(range(len(scores)), n))
    for subset in subsets:
        top = max(scores[i] for i in subset)
        tied = [i for i in subset if scores[i] == top]
        total += Fraction(sum(correct[i] for i in tied), len(tied))
    return total / len(subsets)


def brute_vote(answers, correct, n, weights=None, scores=None, k=None) -> Fraction:
    """Exact vote accuracy; answer groups are consistent (all members equally correct)."""
    group_correct = {a: c for a, c in zip(answers, correct) if a is not None}
    total = Fraction(0)
    subsets = list(combinations(range(len(answers)), n))
    for subset in subsets:
        if k is not None:  # scores are distinct in these tests
            subset = sorted(subset, key=lambda i: -scores[i])[:k]
        tally: dict[str, float] = {}
        for i in subset:
            if answers[i] is not None:
                tally[answers[i]] = tally.get(answers[i], 0) + (1 if weights is None else weights[i])
        if tally:
            best = max(tally.values())
            winners = [a for a, v in tally.items() if v == best]
            total += Fraction(sum(group_correct[a] for a in winners), len(winners))
    return total / len(subsets)


# ---- N list ----


@pytest.mark.parametrize(
    "max_n, expected",
    [
        (1, [1]),
        (2, [1, 2]),
        (6, [1, 2, 4, 6]),
        (8, [1, 2, 4, 8]),
        (1860, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1860]),
    ],
)
def test_n_values(max_n, expected):
    assert n_values(max_n) == expected


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_n_values_rejects_bad_max(bad):
    with pytest.raises(ValueError):
        n_values(bad)


# ---- exact best-of-N and pass@N ----

TIED_SCORES = [0.3, 0.5, 0.5, 0.5, 0.9, 0.9, 0.1]
TIED_CORRECT = [True, False, True, True, False, True, False]


@pytest.mark.parametrize(
    "scores, correct",
    [
        (TIED_SCORES, TIED_CORRECT),
        ([0.7, 0.2, 0.9, 0.4, 0.6, 0.1, 0.8], [False, True, False, True, True, False, True]),  # no ties
        ([0.5] * 5, [True, False, False, True, False]),  # one tie group
    ],
)
def test_exact_best_of_n_equals_enumeration(scores, correct):
    ns = np.arange(1, len(scores) + 1)
    exact = expected_best_of_n(np.array(scores), np.array(correct), ns)
    for n, value in zip(ns, exact):
        assert value == pytest.approx(float(brute_best_of_n(scores, correct, int(n))), abs=1e-12)


def test_exact_best_of_n_hand_values():
    # Only the top-scoring of 4 samples is correct: it is picked iff it is in the subset, P = N/4.
    assert expected_best_of_n(np.array([1.0, 2, 3, 4]), np.array([0, 0, 0, 1]), np.arange(1, 5)) == pytest.approx(
        [0.25, 0.5, 0.75, 1.0]
    )
    # All scores tied: the pick is a uniform sample of the subset, hence of all samples: 2/5 for every N.
    assert expected_best_of_n(np.zeros(5), np.array([1, 1, 0, 0, 0]), np.arange(1, 6)) == pytest.approx([0.4] * 5)


def test_exact_pass_at_n_equals_enumeration():
    correct = [False, True, False, False, True, False]
    exact = expected_pass_at_n(np.array(correct), np.arange(1, 7))
    for n, value in zip(range(1, 7), exact):
        subsets = list(combinations(range(6), n))
        assert value == pytest.approx(sum(any(correct[i] for i in s) for s in subsets) / len(subsets), abs=1e-12)


def test_exact_formulas_hold_at_m_2000_against_integer_arithmetic():
    rng = np.random.default_rng(7)
    m = 2000
    scores = np.round(rng.random(m), 1)  # 11 levels: large tie groups
    correct = rng.random(m) < 0.3
    ns = [1, 2, 7, 1000, 1999, 2000]
    exact = expected_best_of_n(scores, correct, np.array(ns))
    for n, value in zip(ns, exact):
        # Per tie group: P(max in group) * (correct members / group size), in exact rationals.
        expected = Fraction(0)
        for level in np.unique(scores):
            below, members = int((scores < level).sum()), scores == level
            wins = Fraction(math.comb(below + int(members.sum()), n) - math.comb(below, n), math.comb(m, n))
            expected += wins * Fraction(int(correct[members].sum()), int(members.sum()))
        assert value == pytest.approx(float(expected), abs=1e-10)
    pass_exact = expected_pass_at_n(correct, np.array(ns))
    c = int(correct.sum())
    for n, value in zip(ns, pass_exact):
        assert value == pytest.approx(1 - math.comb(m - c, n) / math.comb(m, n), abs=1e-10)


def test_curves_use_exact_values_with_exact_std():
    frame = pd.concat(
        [table("p", [None] * 7, TIED_CORRECT, orm=TIED_SCORES), table("q", [None] * 7, [True] * 7, orm=[0.0] * 7)]
    )
    result = accuracy_curves(frame, [MethodSpec("best_of_n", score="orm")], ns=[1, 3, 7])
    for n in (1, 3, 7):
        q_p = float(brute_best_of_n(TIED_SCORES, TIED_CORRECT, n))
        row = result[result["n"] == n].iloc[0]
        assert row["accuracy"] == pytest.approx((q_p + 1.0) / 2)
        # Problem q always succeeds, so only p contributes to the spread: sqrt(q(1-q)) / 2.
        assert row["std"] == pytest.approx(math.sqrt(q_p * (1 - q_p)) / 2)


def test_monte_carlo_agrees_with_exact_best_of_n_and_its_std():
    rng = np.random.default_rng(3)
    frames = [
        table(p, [None] * 12, list(rng.random(12) < 0.5), orm=list(np.round(rng.random(12), 1))) for p in range(8)
    ]
    frame = pd.concat(frames)
    spec = [MethodSpec("best_of_n", score="orm")]
    exact = accuracy_curves(frame, spec)
    simulated = accuracy_curves(frame, spec, exact=False, trials=TRIALS, seed=1)
    assert list(exact["n"]) == [1, 2, 4, 8, 12]
    assert np.allclose(exact["accuracy"], simulated["accuracy"], atol=MC_TOLERANCE / math.sqrt(8))
    assert np.allclose(exact["std"], simulated["std"], atol=0.01)


# ---- voting ----


def test_majority_ties_and_missing_answers_against_enumeration():
    answers = ["A", "B", None, "B", "A", None, "C"]
    correct = [True, False, False, False, True, False, False]
    frame = table("p", answers, correct)
    simulated = curve(frame, MethodSpec("majority"), ns=list(range(1, 8)), trials=TRIALS)
    for n in range(1, 8):
        assert simulated[n] == pytest.approx(float(brute_vote(answers, correct, n)), abs=MC_TOLERANCE)
    # N = 7 by hand: A and B tie at 2 votes, C has 1, the two None never vote: A wins half the time.
    assert simulated[7] == pytest.approx(0.5, abs=MC_TOLERANCE)


def test_missing_answers_never_win():
    frame = table("p", [None, None, None, "B"], [False, False, False, True])
    assert curve(frame, MethodSpec("majority"), ns=[4])[4] == 1.0  # the lone answer wins
    nobody = table("q", [None, None], [False, False])
    assert curve(nobody, MethodSpec("majority"), ns=[1, 2]) == {1: 0.0, 2: 0.0}
    picked = selections_at_max_n(nobody, [MethodSpec("majority")])
    assert picked["sample_id"].isna().all() and not picked["correct"].any()


def test_weighted_majority_against_enumeration():
    answers = ["A", "A", "A", "B", "C", None]
    correct = [False, False, False, True, False, False]
    weights = [0.1, 0.15, 0.2, 0.9, 0.3, 0.99]
    frame = table("p", answers, correct, orm=weights)
    simulated = curve(frame, MethodSpec("weighted_majority", score="orm"), ns=list(range(1, 7)), trials=TRIALS)
    for n in range(1, 7):
        assert simulated[n] == pytest.approx(float(brute_vote(answers, correct, n, weights=weights)), abs=MC_TOLERANCE)
    # N = 6 by hand: A sums to 0.45 < B's 0.9, so B (correct) wins although A has more votes.
    assert simulated[6] == 1.0


def test_top_k_vote_against_enumeration():
    answers = ["A", "B", "B", "C", "C", "C", "D"]
    correct = [False, True, True, False, False, False, False]
    scores = [0.95, 0.9, 0.85, 0.1, 0.15, 0.2, 0.5]
    frame = table("p", answers, correct, orm=scores)
    simulated = curve(frame, MethodSpec("top_k_vote", score="orm", k=3), ns=list(range(1, 8)), trials=TRIALS)
    for n in range(1, 8):
        assert simulated[n] == pytest.approx(
            float(brute_vote(answers, correct, n, scores=scores, k=3)), abs=MC_TOLERANCE
        )


def test_methods_disagree_as_designed_at_max_n():
    # By hand: majority picks C (3 votes, wrong); best-of-N picks sample 0 (A, 0.95, wrong);
    # weighted sums A 0.95, B 1.75, C 0.45 -> B; the top 3 by score are A, B, B -> B.
    frame = table(
        "p",
        ["A", "B", "B", "C", "C", "C"],
        [False, True, True, False, False, False],
        orm=[0.95, 0.9, 0.85, 0.1, 0.15, 0.2],
    )
    specs = [
        MethodSpec("greedy"),
        MethodSpec("pass_at_n"),
        MethodSpec("majority"),
        MethodSpec("best_of_n", score="orm"),
        MethodSpec("weighted_majority", score="orm"),
        MethodSpec("top_k_vote", score="orm", k=3),
    ]
    picked = selections_at_max_n(frame, specs).set_index("method")
    assert list(picked.columns) == ["problem_id", "sample_id", "answer", "correct"]
    expected = {
        "greedy": (0, "A", False),
        "pass_at_n": (1, "B", True),
        "majority": (3, "C", False),
        "best_of_n:orm": (0, "A", False),
        "weighted_majority:orm": (1, "B", True),
        "top_3_vote:orm": (1, "B", True),
    }
    for label, (sample_id, answer, correct) in expected.items():
        assert tuple(picked.loc[label, ["sample_id", "answer", "correct"]]) == (sample_id, answer, correct)
    curves = accuracy_curves(frame, specs, ns=[6])
    assert dict(zip(curves["method"], curves["accuracy"])) == {
        "greedy": 0.0,
        "pass_at_n": 1.0,
        "majority": 0.0,
        "best_of_n:orm": 0.0,
        "weighted_majority:orm": 1.0,
        "top_3_vote:orm": 1.0,
    }


def test_greedy_uses_greedy_column_or_first_sample():
    frame = table("p", ["A", "B", "C"], [False, True, False])
    shuffled = frame.iloc[[2, 1, 0]]  # row order must not matter: sample 0 is the first sample
    assert curve(shuffled, MethodSpec("greedy"), ns=[1, 3]) == {1: 0.0, 3: 0.0}
    flagged = frame.assign(greedy=[False, True, False])
    assert curve(flagged, MethodSpec("greedy"), ns=[1, 3]) == {1: 1.0, 3: 1.0}


# ---- invariants on a random table ----


@pytest.fixture(scope="module")
def random_table() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    frames = []
    for p in range(30):
        groups = rng.integers(0, 4, 16)  # group 0 is the right answer
        answers = [None if rng.random() < 0.15 else f"ans{g}" for g in groups]
        correct = [a == "ans0" for a in answers]
        scores = np.round(np.clip(rng.normal(0.3 + 0.4 * np.array(correct), 0.2), 0, 1), 1)
        frames.append(table(p, answers, correct, orm=list(scores)))
    return pd.concat(frames, ignore_index=True)


ALL_METHODS = [
    MethodSpec("greedy"),
    MethodSpec("pass_at_n"),
    MethodSpec("majority"),
    MethodSpec("best_of_n", score="orm"),
    MethodSpec("weighted_majority", score="orm"),
    MethodSpec("top_k_vote", score="orm", k=4),
]


def test_invariants(random_table):
    result = accuracy_curves(random_table, ALL_METHODS, trials=400)
    assert list(result.columns) == ["method", "n", "accuracy", "std"]
    assert result["accuracy"].between(0, 1).all() and (result["std"] >= 0).all()
    wide = result.pivot(index="n", columns="method", values="accuracy")
    tolerance = 5 * 0.5 / math.sqrt(400)
    # Greedy is a fixed sample, not one of the N drawn, so pass@N bounds only the subset methods.
    for label in wide.columns.drop("greedy"):
        assert (wide["pass_at_n"] >= wide[label] - tolerance).all(), label
    assert (wide["pass_at_n"] >= wide["best_of_n:orm"] - 1e-12).all()
    mean_single = random_table.groupby("problem_id")["correct"].mean().mean()
    assert wide.loc[1, "best_of_n:orm"] == pytest.approx(mean_single, abs=1e-12)
    assert wide.loc[1, "pass_at_n"] == pytest.approx(mean_single, abs=1e-12)
    assert wide.loc[1, "majority"] == pytest.approx(mean_single, abs=tolerance)
    assert (result.loc[result["method"] == "greedy", "std"] == 0).all()


def test_monte_carlo_invariants_hold_trial_by_trial(random_table):
    # Every method sees the same subsets, so pass@N bounds each one exactly, not just on average.
    result = accuracy_curves(random_table, ALL_METHODS[1:], trials=200, exact=False)
    wide = result.pivot(index="n", columns="method", values="accuracy")
    assert (wide["pass_at_n"].to_numpy()[:, None] >= wide.to_numpy() - 1e-12).all()


def test_top_k_vote_special_cases(random_table):
    specs = [MethodSpec("majority"), MethodSpec("top_k_vote", score="orm", k=16)]
    result = accuracy_curves(random_table, specs, trials=100).pivot(index="n", columns="method", values="accuracy")
    assert (result["majority"] == result["top_16_vote:orm"]).all()  # k >= N: all samples vote
    distinct = random_table.assign(
        orm=np.random.default_rng(5).random(len(random_table)), correct=lambda t: t["answer"] == "ans0"
    )
    specs = [MethodSpec("best_of_n", score="orm"), MethodSpec("top_k_vote", score="orm", k=1)]
    result = accuracy_curves(distinct, specs, trials=100, exact=False)
    per_method = result.pivot(index="n", columns="method", values="accuracy")
    assert (per_method["best_of_n:orm"] == per_method["top_1_vote:orm"]).all()  # top-1 vote is best-of-N


def test_seed_reproducibility(random_table):
    spec = [MethodSpec("majority")]
    first = accuracy_curves(random_table, spec, trials=50, seed=3)
    pd.testing.assert_frame_equal(first, accuracy_curves(random_table, spec, trials=50, seed=3))
    assert not first["accuracy"].equals(accuracy_curves(random_table, spec, trials=50, seed=4)["accuracy"])


# ---- answer groups ----


def test_fill_answer_groups_exact_and_with_equivalence():
    frame = pd.DataFrame(
        {
            "problem_id": ["p"] * 5 + ["q"],
            "sample_id": [0, 1, 2, 3, 4, 0],
            "answer": ["0.5", ".5", None, "0.5", "2", "0.5"],
            "correct": [True] * 6,
        }
    )
    exact = fill_answer_groups(frame)["answer_group"]
    assert exact[0] == exact[3] != exact[1] and pd.isna(exact[2]) and exact[4] not in (exact[0], exact[1])
    calls = []

    def numeric(a: str, b: str) -> bool:
        calls.append((a, b))
        return float(a) == float(b)

    grouped = fill_answer_groups(frame, pairwise_grouper(numeric))["answer_group"]
    assert grouped[0] == grouped[1] == grouped[3] != grouped[4] and pd.isna(grouped[2])
    assert ("0.5", "0.5") not in calls  # identical strings are grouped without asking


def test_fill_answer_groups_rejects_non_string():
    frame = pd.DataFrame({"problem_id": [1], "sample_id": [0], "answer": [3.5], "correct": [False]})
    with pytest.raises(DataError, match="sample_id=0"):
        fill_answer_groups(frame)


# ---- PRM step aggregation ----


def test_step_aggregations_by_hand():
    steps = [0.9, 0.5, 0.8]
    assert aggregate_steps(steps, "prod") == pytest.approx(0.36)
    assert aggregate_steps(steps, "min") == 0.5
    assert aggregate_steps(steps, "last") == 0.8
    assert aggregate_steps(steps, "mean") == pytest.approx(2.2 / 3)


def test_add_solution_scores():
    frame = pd.DataFrame({"problem_id": [1, 1], "sample_id": [0, 1], "prm": [[0.5, 0.5], [1.0, 0.2]]})
    scored = add_solution_scores(frame, "prm", "prod")
    assert scored["prm_prod"].tolist() == pytest.approx([0.25, 0.2])
    assert "prm_prod" not in frame.columns
    assert add_solution_scores(frame, "prm", "min", out_column="s")["s"].tolist() == [0.5, 0.2]


@pytest.mark.parametrize(
    "steps, message",
    [([], "non-empty"), ([0.5, 1.5], r"\[0, 1\]"), ("0.5", "list"), ([0.5, float("nan")], r"\[0, 1\]")],
)
def test_add_solution_scores_rejects_bad_steps(steps, message):
    frame = pd.DataFrame({"problem_id": [1, 7], "sample_id": [0, 3], "prm": [[0.5], steps]})
    with pytest.raises(DataError, match=message) as error:
        add_solution_scores(frame, "prm", "mean")
    assert "problem_id=7, sample_id=3" in str(error.value)


def test_unknown_aggregation():
    with pytest.raises(DataError, match="known"):
        aggregate_steps([0.5], "median")


# ---- bad input ----


def good_frame() -> pd.DataFrame:
    return table("p", ["A", "B", None], [True, False, False], orm=[0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns="correct"), "'correct'"),
        (lambda f: f.drop(columns="answer_group"), "fill_answer_groups"),
        (lambda f: f.assign(sample_id=[0, 0, 1]), "duplicate sample: problem_id='p', sample_id=0"),
        (lambda f: f.assign(orm=[0.1, float("nan"), 0.3]), "'orm'.*sample_id=1"),
        (lambda f: f.assign(correct=[True, "yes", False]), "'correct'.*sample_id=1"),
        (lambda f: f.assign(correct=[True, False, True]), "no answer.*sample_id=2"),
        (lambda f: f.assign(answer_group=[0.5, 1, None]), "integer.*sample_id=0"),
        (lambda f: f.assign(greedy=[True, True, False]), "exactly one"),
    ],
)
def test_bad_tables_are_named(change, message):
    specs = [MethodSpec("majority"), MethodSpec("best_of_n", score="orm")]
    with pytest.raises(DataError, match=message):
        accuracy_curves(change(good_frame()), specs)


def test_n_beyond_samples_is_an_error():
    with pytest.raises(DataError, match="N=4 exceeds the 3 samples of problem_id='p'"):
        accuracy_curves(good_frame(), [MethodSpec("pass_at_n")], ns=[1, 4])


@pytest.mark.parametrize(
    "config, message",
    [
        ({"method": "oracle"}, "unknown selection method"),
        ({"method": "best_of_n"}, "needs a score"),
        ({"method": "majority", "score": "orm"}, "takes no score"),
        ({"method": "top_k_vote", "score": "orm"}, "integer k"),
        ({"method": "top_k_vote", "score": "orm", "k": 0}, "integer k"),
        ({"method": "greedy", "k": 3}, "takes no k"),
        ({"method": "greedy", "temperature": 1}, "unknown key"),
        ({"score": "orm"}, "missing key 'method'"),
    ],
)
def test_method_config_errors(config, message):
    with pytest.raises(DataError, match=message):
        MethodSpec.from_config(config)


def test_method_config_and_labels():
    spec = MethodSpec.from_config({"method": "top_k_vote", "score": "prm_min", "k": 5})
    assert spec == MethodSpec("top_k_vote", score="prm_min", k=5) and spec.label == "top_5_vote:prm_min"
    assert MethodSpec("best_of_n", score="orm", label="ORM").label == "ORM"
    with pytest.raises(DataError, match="duplicate method labels"):
        accuracy_curves(good_frame(), [MethodSpec("majority"), MethodSpec("majority")])
