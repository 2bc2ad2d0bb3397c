"""The papers' claims a run tests (stepwise/evaluation/claims.py): hand-built tables of three replicates, one of
which breaks a claim; a claim whose table lacks its method is left out; the config fixes each PRM's
headline aggregation; and the claims of the session's tiny run (tests/conftest.py: ``tiny_run``)."""

from __future__ import annotations

import copy
import logging
import re
import zipfile

import pandas as pd
import pytest
import yaml

from stepwise.config import job_settings
from stepwise.config.registry import check_config
from stepwise.evaluation.claims import (
    CLAIMS,
    COLUMNS,
    MEAN,
    Tables,
    claims_markdown,
    configured_claims,
    measure,
    replicate_files,
)
from stepwise.selection import n_values
from tests.workflow import DEFAULT_CONFIG, squeezed

N = 4
SETTINGS = {
    "claims": {"n": N, "aggregation": {"prm800k_prm": "prod", "shepherd_prm": "min"}},
    "shepherd_tasks": ["math"],
    "search_tasks": ["math"],
    "tasks": ["gsm8k", "math"],
    "replicates": 3,
}


@pytest.fixture()
def config():
    """The default config, with the schema's defaults filled in as the workflow sees it."""
    from snakemake.utils import validate

    loaded = yaml.safe_load(DEFAULT_CONFIG.read_text())
    validate(loaded, str(DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml"))
    return loaded


def accuracy_table(at_n: dict[str, float], other_n: float = 0.0) -> pd.DataFrame:
    """An accuracy table with ``at_n``'s accuracies at N and ``other_n`` for every method at N=1 and 8,
    so that a claim read at another N than the configured one would show."""
    rows = [
        {"method": method, "n": n, "accuracy": accuracy if n == N else other_n, "std": 0.01}
        for method, accuracy in at_n.items()
        for n in (1, N, 8)
    ]
    return pd.DataFrame(rows, columns=["method", "n", "accuracy", "std"])


def search_table(at_n: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """A search table: (accuracy, generated tokens) per method at N, and at N=8 (other values)."""
    rows = [
        {
            "method": method,
            "n": n,
            "accuracy": accuracy if n == N else 0.0,
            "std": 0.05,
            "generated_tokens": tokens if n == N else 1e6,
            "scored_tokens": 2 * tokens,
        }
        for method, (accuracy, tokens) in at_n.items()
        for n in (N, 8)
    ]
    return pd.DataFrame(rows)


def replicate(
    gsm8k: dict[str, float],
    math_: dict[str, float],
    search: dict[str, tuple[float, float]],
    label_accuracy: float,
    recall_good: float,
) -> Tables:
    return Tables(
        accuracy={"gsm8k": accuracy_table(gsm8k), "math": accuracy_table(math_)},
        search={"math": search_table(search)},
        labels={
            "math": {
                "n_steps": 40,
                "labels": "hard",
                "quality": {
                    "hard": {"accuracy": label_accuracy, "recall_good": recall_good},
                    "soft": {"accuracy": 0.0, "recall_good": 0.0},
                },
            }
        },
    )


# Accuracies in multiples of 1/16 (exact binary fractions, so that differences are exact). Replicate 2
# breaks the GSM8K claims (verifier = greedy = majority) and the label claim (0.8125 < 0.85); the PRM's
# `min` row beats its headline `prod` everywhere, so reading the best aggregation would show.
MATH = {
    "greedy": 0.25,
    "majority": 0.375,
    "orm": 0.375,
    "prm800k_prm_prod": 0.5,
    "prm800k_prm_min": 0.9375,
    "shepherd_prm_min": 0.4375,
    "shepherd_prm_prod": 0.9375,
}
REPLICATES = [
    replicate(
        {"greedy": 0.5, "majority": 0.5625, "verifier": 0.625},
        MATH,
        {"beam_search": (0.5, 100.0), "best_of_n": (0.4375, 300.0), "dvts": (0.9, 1.0)},
        0.875,
        0.9375,
    ),
    replicate(
        {"greedy": 0.5, "majority": 0.5, "verifier": 0.5},
        MATH,
        {"beam_search": (0.5, 120.0), "best_of_n": (0.5, 300.0), "dvts": (0.9, 1.0)},
        0.8125,
        0.875,
    ),
    replicate(
        {"greedy": 0.5, "majority": 0.625, "verifier": 0.75},
        MATH,
        {"beam_search": (0.625, 140.0), "best_of_n": (0.5, 300.0), "dvts": (0.9, 1.0)},
        0.9375,
        1.0,
    ),
]


def rows_of(table: pd.DataFrame, claim: str, task: str) -> pd.DataFrame:
    return table[(table["claim"] == claim) & (table["task"] == task)].set_index("replicate")


def test_the_configured_claims_read_each_prm_at_its_headline_aggregation():
    claims = configured_claims(SETTINGS)
    assert [(c.name, c.task, c.method, c.baseline, c.n) for c in claims] == [
        ("verifier_vs_greedy", "gsm8k", "verifier", "greedy", N),
        ("verifier_vs_majority", "gsm8k", "verifier", "majority", N),
        ("prm_vs_greedy", "math", "prm800k_prm_prod", "greedy", N),
        ("prm_vs_majority", "math", "prm800k_prm_prod", "majority", N),
        ("prm_vs_orm", "math", "prm800k_prm_prod", "orm", N),
        ("shepherd_prm_vs_greedy", "math", "shepherd_prm_min", "greedy", N),
        ("shepherd_prm_vs_majority", "math", "shepherd_prm_min", "majority", N),
        ("beam_search_vs_best_of_n", "math", "beam_search", "best_of_n", N),
        ("shepherd_label_accuracy", "math", "step_labels", None, None),
    ]
    margins = {(c.name, c.task): c.margin for c in claims}
    assert margins[("verifier_vs_greedy", "gsm8k")] == 0.05 and margins[("verifier_vs_majority", "gsm8k")] == 0.02
    assert margins[("prm_vs_greedy", "math")] == 0.03 and margins[("shepherd_label_accuracy", "math")] == 0.85
    # Lightman's is the one figure of the sources; every other claim is qualitative.
    figures = {c.name: c.figure for c in CLAIMS}
    assert "PRM 78.2%, ORM 72.4%, majority voting 69.6%" in figures["prm_vs_orm"]
    assert all(figures[name].startswith("qualitative: ") for name in figures if not name.startswith("prm_vs_"))

    # Without Math-Shepherd and search, their claims are not tested; with both on two tasks, on each.
    off = configured_claims({**SETTINGS, "shepherd_tasks": [], "search_tasks": []})
    assert {c.name for c in off} == {
        "verifier_vs_greedy",
        "verifier_vs_majority",
        "prm_vs_greedy",
        "prm_vs_majority",
        "prm_vs_orm",
    }
    both = configured_claims({**SETTINGS, "shepherd_tasks": ["gsm8k", "math"], "search_tasks": ["math", "gsm8k"]})
    assert [c.task for c in both if c.name == "beam_search_vs_best_of_n"] == ["math", "gsm8k"]
    assert [c.task for c in both if c.name == "shepherd_label_accuracy"] == ["gsm8k", "math"]
    other = {**SETTINGS, "claims": {"n": 8, "aggregation": {"prm800k_prm": "min", "shepherd_prm": "last"}}}
    methods = {c.name: (c.method, c.n) for c in configured_claims(other)}
    assert methods["prm_vs_orm"] == ("prm800k_prm_min", 8) and methods["shepherd_prm_vs_greedy"] == (
        "shepherd_prm_last",
        8,
    )


def test_the_label_claim_judges_the_labels_the_prm_trains_on():
    claims = [c for c in configured_claims(SETTINGS) if c.name == "shepherd_label_accuracy"]
    hard = REPLICATES[0]
    soft = Tables(hard.accuracy, hard.search, {"math": {**hard.labels["math"], "labels": "soft"}})
    # The soft labels thresholded at shepherd.soft_threshold (0.0 in `replicate`), not the hard ones (0.875).
    assert list(measure(claims, [hard])["measured"]) == [0.875, 0.875]
    assert list(measure(claims, [soft])["measured"]) == [0.0, 0.0]


def test_each_claim_in_each_replicate_and_its_mean():
    table = measure(configured_claims(SETTINGS), REPLICATES)
    assert list(table.columns) == COLUMNS
    assert len(table) == len(configured_claims(SETTINGS)) * (len(REPLICATES) + 1)

    greedy = rows_of(table, "verifier_vs_greedy", "gsm8k")
    assert list(greedy.index) == ["1", "2", "3", MEAN]
    assert list(greedy["method_accuracy"]) == [0.625, 0.5, 0.75, 0.625]
    assert list(greedy["baseline_accuracy"]) == [0.5, 0.5, 0.5, 0.5]
    assert list(greedy["measured"]) == [0.125, 0.0, 0.25, 0.125]
    assert list(greedy["holds"]) == [1, 0, 1, 2] and list(greedy["replicates"]) == [1, 1, 1, 3]
    assert greedy["std"].iloc[:3].isna().all()
    assert greedy.loc[MEAN, "std"] == pytest.approx(0.125)  # the sd of 0.125, 0 and 0.25 (ddof 1)
    assert set(greedy["n"]) == {N} and set(greedy["margin"]) == {0.05} and set(greedy["paper"]) == {CLAIMS[0].paper}

    majority = rows_of(table, "verifier_vs_majority", "gsm8k")
    assert list(majority["measured"]) == [0.0625, 0.0, 0.125, 0.0625] and list(majority["holds"]) == [1, 0, 1, 2]

    # MATH: the headline `prod` row, not the better `min` row; a difference of 0 meets a margin of 0.
    for name, baseline, measured in (
        ("prm_vs_greedy", 0.25, 0.25),
        ("prm_vs_majority", 0.375, 0.125),
        ("prm_vs_orm", 0.375, 0.125),
        ("shepherd_prm_vs_majority", 0.375, 0.0625),
    ):
        rows = rows_of(table, name, "math")
        assert list(rows["baseline_accuracy"]) == [baseline] * 4 and list(rows["measured"]) == [measured] * 4, name
        assert list(rows["holds"]) == [1, 1, 1, 3], name
        assert rows.loc[MEAN, "std"] == 0.0
    assert list(rows_of(table, "prm_vs_orm", "math")["method"]) == ["prm800k_prm_prod"] * 4

    search = rows_of(table, "beam_search_vs_best_of_n", "math")
    assert list(search["measured"]) == [0.0625, 0.0, 0.125, 0.0625] and list(search["holds"]) == [1, 1, 1, 3]
    assert list(search["method_generated_tokens"]) == [100.0, 120.0, 140.0, 120.0]
    assert list(search["baseline_generated_tokens"]) == [300.0] * 4
    assert search["recall_good"].isna().all()

    labels = rows_of(table, "shepherd_label_accuracy", "math")
    assert list(labels["method_accuracy"]) == list(labels["measured"]) == [0.875, 0.8125, 0.9375, 0.875]
    assert labels["baseline_accuracy"].isna().all() and labels["baseline"].isna().all() and labels["n"].isna().all()
    assert list(labels["holds"]) == [1, 0, 1, 2]
    assert list(labels["recall_good"]) == [0.9375, 0.875, 1.0, pytest.approx(0.9375)]
    assert greedy["recall_good"].isna().all() and greedy["method_generated_tokens"].isna().all()


def test_the_markdown_has_a_row_per_claim():
    claims = configured_claims(SETTINGS)
    text = claims_markdown(measure(claims, REPLICATES), N)
    lines = text.splitlines()
    assert f"tested at N={N} over 3 replicates" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| paper")]
    assert len(rows) == len(claims)
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert cells == [
        "Cobbe et al. 2021 (GSM8K verifiers)",
        CLAIMS[0].figure,
        "gsm8k",
        "verifier - greedy >= 5 points at N=4",
        "+12.5 ± 12.5",
        "+12.5 / +0.0 / +25.0",
        "verifier 62.5%",
        "greedy 50.0%",
        "",
        "2 of 3",
    ]
    search = [cell.strip() for cell in rows[-2].strip("|").split("|")]
    assert search[4:] == [
        "+6.2 ± 6.2",
        "+6.2 / +0.0 / +12.5",
        "beam_search 54.2%",
        "best_of_n 47.9%",
        "generated tokens per problem: 120 vs 300",
        "3 of 3",
    ]
    labels = [cell.strip() for cell in rows[-1].strip("|").split("|")]
    assert labels[3:] == [
        "step_labels accuracy >= 85%",
        "87.5% ± 6.2",
        "87.5% / 81.2% / 93.8%",
        "step_labels 87.5%",
        "",
        "recall of good steps 93.8%",
        "2 of 3",
    ]

    one = claims_markdown(measure(claims, REPLICATES[:1]), N)  # one replicate: no sd
    assert "in 1 replicate" in one and "| +12.5 | +12.5 |" in squeezed(one) and "1 of 1" in one


def test_a_claim_whose_table_lacks_its_method_is_left_out(caplog):
    claims = configured_claims(SETTINGS)
    without_orm = [
        Tables(
            {**tables.accuracy, "math": tables.accuracy["math"].query("method != 'orm'")}, tables.search, tables.labels
        )
        for tables in REPLICATES
    ]
    with caplog.at_level(logging.INFO, logger="stepwise.evaluation.claims"):
        table = measure(claims, without_orm)
    assert "prm_vs_orm" not in set(table["claim"])
    assert set(table["claim"]) == {c.name for c in claims} - {"prm_vs_orm"}
    assert "claim prm_vs_orm on math left out: its math accuracy table has no row for orm at N=4" in caplog.text

    # Missing from one replicate's search table only (a search without beam search there): left out too.
    caplog.clear()
    second = REPLICATES[1]
    lacking = [
        REPLICATES[0],
        Tables(second.accuracy, {"math": second.search["math"].query("method != 'beam_search'")}, second.labels),
        REPLICATES[2],
    ]
    with caplog.at_level(logging.INFO, logger="stepwise.evaluation.claims"):
        table = measure(claims, lacking)
    assert "beam_search_vs_best_of_n" not in set(table["claim"]) and "prm_vs_orm" in set(table["claim"])
    assert "math search table has no row for beam_search at N=4" in caplog.text

    # Label statistics without the demo's truth (real problems): no label claim.
    caplog.clear()
    untrue = [Tables(t.accuracy, t.search, {"math": {"n_steps": 40}}) for t in REPLICATES]
    with caplog.at_level(logging.INFO, logger="stepwise.evaluation.claims"):
        table = measure(claims, untrue)
    assert "shepherd_label_accuracy" not in set(table["claim"])
    assert "claim shepherd_label_accuracy on math left out" in caplog.text and "not available" in caplog.text

    empty = measure([c for c in claims if c.name == "prm_vs_orm"], without_orm)
    assert list(empty.columns) == COLUMNS and empty.empty


def test_replicate_files_are_listed_task_by_task():
    paths = ["g1", "g2", "g3", "m1", "m2", "m3"]
    assert replicate_files(paths, ["gsm8k", "math"], 3) == [
        {"gsm8k": "g1", "math": "m1"},
        {"gsm8k": "g2", "math": "m2"},
        {"gsm8k": "g3", "math": "m3"},
    ]
    assert replicate_files([], [], 2) == [{}, {}]
    with pytest.raises(ValueError, match=r"5 files for 2 tasks \['gsm8k', 'math'\] in 3 replicates"):
        replicate_files(paths[:5], ["gsm8k", "math"], 3)


def test_the_claims_section_is_checked_against_the_tables(config):
    check_config(config)
    assert config["claims"] == {"n": 16, "aggregation": {"prm800k_prm": "prod", "shepherd_prm": "min"}}
    settings = job_settings.claims(config)
    assert settings == {
        "claims": config["claims"],
        "shepherd_tasks": config["shepherd"]["tasks"],
        "search_tasks": config["search"]["tasks"],
        "tasks": ["gsm8k", "math"],
        "replicates": config["replicates"],
    }

    def fails(message, change):
        bad = copy.deepcopy(config)
        change(bad)
        with pytest.raises(ValueError, match=message):
            check_config(bad)

    fails(
        r"claims\.aggregation\.prm800k_prm: 'mean' is not one of math\.evaluation\.aggregations",
        lambda c: c["claims"]["aggregation"].update(prm800k_prm="mean"),
    )
    fails(
        r"claims\.aggregation\.shepherd_prm: 'prod' is not one of gsm8k\.evaluation\.aggregations \['min'\]",
        lambda c: (
            c["claims"]["aggregation"].update(shepherd_prm="prod"),
            c["gsm8k"]["evaluation"].update(aggregations=["min"]),
            c["shepherd"].update(tasks=["gsm8k"]),
        ),
    )
    ns = n_values(config["gsm8k"]["test_samples"]["n"])
    fails(
        re.escape(f"claims.n: {max(ns) + 1} is not an N of the gsm8k table, which has N = {ns}"),
        lambda c: c["claims"].update(n=max(ns) + 1),
    )
    fails(
        r"claims\.n: 8 is not one of search\.budgets \[4, 16\]",
        lambda c: (c["claims"].update(n=8), c["search"].update(budgets=[4, 16])),
    )
    # A Math-Shepherd aggregation no task of shepherd.tasks lacks, a search that does not run: nothing to check.
    quiet = copy.deepcopy(config)
    quiet["shepherd"]["tasks"], quiet["claims"]["aggregation"]["shepherd_prm"] = [], "mean"
    quiet["search"].update(tasks=[], guides={})
    quiet["claims"]["n"] = 8
    check_config(quiet)


@pytest.mark.slow
def test_the_tiny_run_tests_its_claims(tiny_run, tiny_report):
    config, results = tiny_run.config, tiny_run.results
    settings = job_settings.claims(config)
    claims = configured_claims(settings)
    table = pd.read_csv(results / "claims.csv", dtype={"replicate": str})
    assert list(table.columns) == COLUMNS
    measured = table[["claim", "task"]].drop_duplicates()
    assert list(measured.itertuples(index=False, name=None)) == [(c.name, c.task) for c in claims]
    assert (table["replicate"] == MEAN).sum() == len(claims) and table["replicates"].max() == config["replicates"] == 1

    # Each claim recomputed from the run's tables at claims.n (each PRM at its configured aggregation).
    n = config["claims"]["n"]
    firsts = table[table["replicate"] == "1"].set_index(["claim", "task"])
    for claim in claims:
        if claim.table == "labels":
            continue
        folder = results / "search" / claim.task if claim.table == "search" else results / claim.task
        accuracy = pd.read_csv(folder / "accuracy.csv").set_index(["method", "n"])["accuracy"]
        row = firsts.loc[(claim.name, claim.task)]
        assert (row["method"], row["baseline"], row["n"]) == (claim.method, claim.baseline, n)
        assert [row["method_accuracy"], row["baseline_accuracy"]] == pytest.approx(
            [accuracy[(claim.method, n)], accuracy[(claim.baseline, n)]]
        ), claim
        difference = accuracy[(claim.method, n)] - accuracy[(claim.baseline, n)]
        assert row["measured"] == pytest.approx(difference)
        assert row["holds"] == int(difference >= row["margin"] - 1e-9)
    prm = firsts.loc[("prm_vs_majority", "math")]
    assert prm["method"] == f"prm800k_prm_{config['claims']['aggregation']['prm800k_prm']}"
    for task in config["shepherd"]["tasks"]:  # the demo's truth judges the labels
        stats = pd.read_json(results / f"shepherd/{task}/stats.json", typ="series")
        labels = table[(table["claim"] == "shepherd_label_accuracy") & (table["task"] == task)].iloc[0]
        judged = "hard" if config["shepherd"]["labels"] == "hard" else "soft"  # the labels the PRM trains on
        assert labels["measured"] == pytest.approx(stats["quality"][judged]["accuracy"])

    text = (results / "claims.md").read_text()
    rows = [line for line in squeezed(text).splitlines() if line.startswith("| ") and "| paper |" not in line]
    assert len(rows) == len(claims)
    assert "78.2%" in text

    archive = zipfile.ZipFile(tiny_report)
    reported = {archive.read(name) for name in archive.namelist() if name.startswith("report/data/raw/")}
    for name in ("claims.csv", "claims.md"):
        assert (results / name).read_bytes() in reported, name
    html = archive.read("report/report.html").decode()
    assert "Claims" in html and "headline aggregation, fixed in the config" in html
