"""The whole PRM800K / MATH experiment (target `prm800k`) on a tiny config, run for real by Snakemake."""

from __future__ import annotations

import json
import math
import re
import zipfile

import pandas as pd
import pytest

from stepwise.answers.check import AnswerChecker
from stepwise.answers.extract import extract_answer
from stepwise.data.prm800k import load_prm800k
from stepwise.data.stepwise_formats import read_trl
from stepwise.steps import split_steps
from stepwise.scoring.prm import steps_to_score
from tests.workflow import TINY_WORKFLOW, deep_update, snakemake, write_config

AGGREGATIONS = ("prod", "min", "last")  # math.evaluation.aggregations in config.yaml
OWN_METHODS = {"greedy", "majority", "weighted_majority", "orm", *(f"prm800k_prm_{a}" for a in AGGREGATIONS), "pass@n"}
# The shared tiny run (tests/conftest.py) also has the Math-Shepherd PRM and the `chance` scorer.
METHODS = OWN_METHODS | {*(f"shepherd_prm_{a}" for a in AGGREGATIONS), "chance"}
POOLED = METHODS - {"greedy", "pass@n"}
KEYS = ["problem_id", "sample_id"]


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def math_run(tiny_run):
    return tiny_run[0]


def read(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


def scored_samples(run, split: str) -> pd.DataFrame:
    samples = read(run / f"results/t/math/samples/{split}.jsonl")
    for scorer in (["orm"] if split == "test" else []) + ["prm800k_prm"]:
        scores = read(run / f"results/t/math/scores/{split}/{scorer}.jsonl")
        samples = samples.merge(scores, on=KEYS, validate="one_to_one")
    return samples


def test_math_table_has_every_method_and_is_consistent_with_the_samples(math_run):
    table = pd.read_csv(math_run / "results/t/math/accuracy.csv")
    assert list(table.columns) == ["method", "n", "accuracy", "std"]
    assert set(table["method"]) == METHODS
    assert sorted(table["n"].unique()) == [1, 2, 4]  # math.test_samples.n = 4
    assert table["accuracy"].between(0, 1).all() and (table["std"] >= 0).all()
    markdown = (math_run / "results/t/math/accuracy.md").read_text()
    assert all(f"| {method} |" in markdown for method in METHODS)
    assert (math_run / "results/t/math/accuracy.png").stat().st_size > 0

    table = table.set_index(["method", "n"])
    samples = scored_samples(math_run, "test")
    pooled, greedy = samples[~samples["greedy"]], samples[samples["greedy"]]
    assert len(greedy) == 10 and len(pooled) == 10 * 4  # demo.math.test = 10 problems
    single = pooled.groupby("problem_id")["correct"].mean().mean()
    assert table.loc[("pass@n", 4), "accuracy"] == pytest.approx(pooled.groupby("problem_id")["correct"].any().mean())
    assert table.loc[("greedy", 4), "accuracy"] == pytest.approx(greedy["correct"].mean())
    for method in ["pass@n", "orm", *(f"prm800k_prm_{a}" for a in AGGREGATIONS)]:
        assert table.loc[(method, 1), "accuracy"] == pytest.approx(single)  # best-of-1: one random sample
    for aggregation in AGGREGATIONS:
        column = f"prm800k_prm_{aggregation}"
        if not pooled.duplicated(["problem_id", column]).any():  # no ties: best-of-4 is the top sample
            best = pooled.loc[pooled.groupby("problem_id")[column].idxmax()]
            assert table.loc[(column, 4), "accuracy"] == pytest.approx(best["correct"].mean())
    for n in (1, 2, 4):
        for method in POOLED:
            assert table.loc[(method, n), "accuracy"] <= table.loc[("pass@n", n), "accuracy"] + 1e-9
    selections = pd.read_csv(math_run / "results/t/math/selections.csv")
    assert set(selections["method"]) == METHODS and selections.groupby("method").size().eq(10).all()


def test_score_files_hold_the_keys_and_their_scorer_columns_only(math_run):
    prm_columns = ["prm800k_prm", *(f"prm800k_prm_{a}" for a in AGGREGATIONS)]
    expected = {"test": {"orm": ["orm"], "prm800k_prm": prm_columns}, "train": {"prm800k_prm": prm_columns}}
    for split, files in expected.items():
        samples = read(math_run / f"results/t/math/samples/{split}.jsonl")
        for scorer, columns in files.items():
            scores = read(math_run / f"results/t/math/scores/{split}/{scorer}.jsonl")
            assert list(scores.columns) == KEYS + columns
            assert scores[KEYS].equals(samples[KEYS])
    samples = scored_samples(math_run, "train")
    assert samples["problem_id"].nunique() == 12 and len(samples) == 12 * 2  # math.train_samples in TINY_WORKFLOW
    for text, steps, prod, low, last in samples[["text", *prm_columns]].itertuples(index=False):
        assert len(steps) == len(steps_to_score(text, "prm800k")) and all(0 <= p <= 1 for p in steps)
        assert (prod, low, last) == pytest.approx((math.prod(steps), min(steps), steps[-1]))


def test_prm_is_trained_from_the_generator_with_the_preprocessing_neutral_setting(math_run):
    prm = json.loads((math_run / "results/t/models/prm800k_prm/prm.json").read_text())
    assert prm["settings"]["neutral"] == "positive" and prm["settings"]["epochs"] == 1
    generator = json.loads((math_run / "results/t/models/math_generator/config.json").read_text())
    model = json.loads((math_run / "results/t/models/prm800k_prm/config.json").read_text())
    assert prm["step_marker_id"] == generator["vocab_size"] and model["vocab_size"] == generator["vocab_size"] + 1
    sft_data = read(math_run / "results/t/math/sft_data.jsonl")
    assert list(sft_data.columns) == ["prompt", "completion"] and len(sft_data) == 40  # math.generator_data.problems
    assert sft_data["completion"].map(lambda text: split_steps(text, "prm800k")[-1].startswith("# Answer")).all()


def test_step_metrics_and_the_batch_to_label(math_run):
    metrics = json.loads((math_run / "results/t/math/prm_step_metrics.json").read_text())
    samples = read(math_run / "results/t/math/samples/test.jsonl")
    with_steps = samples["text"].map(lambda text: bool(split_steps(text, "prm800k"))).sum()
    assert metrics["n_solutions"] == with_steps and metrics["n_skipped_without_steps"] == len(samples) - with_steps
    assert metrics["n_all_correct"] + metrics["n_with_error"] == metrics["n_solutions"]
    assert "demo's ground truth" in (math_run / "results/t/math/prm_step_metrics.md").read_text()

    records = load_prm800k(math_run / "results/t/prm800k/to_label.jsonl")
    raw = [json.loads(line) for line in (math_run / "results/t/prm800k/to_label.jsonl").read_text().splitlines()]
    train = scored_samples(math_run, "train").set_index(KEYS)
    labelable = train["text"].str.strip().astype(bool).sum()
    assert len(records) == min(6, labelable)  # prm800k.active_learning.batch_size in TINY_WORKFLOW
    scores = []
    for record in raw:
        selection = record["selection"]
        assert selection["score_column"] == "prm800k_prm_prod"
        sample = train.loc[(selection["problem_id"], selection["sample_id"])]
        assert selection["correct"] == sample["correct"]
        if selection["reason"] == "convincing_wrong_answer":
            assert not sample["correct"] and sample["answer"] is not None
        scores.append((selection["reason"], record["question"]["pre_generated_verifier_score"]))
    for reason in {reason for reason, _ in scores}:
        ranked = [score for r, score in scores if r == reason]
        assert ranked == sorted(ranked, reverse=True)


def test_report_has_the_prm800k_table_plot_metrics_and_statistics(math_run):
    snakemake(math_run, "--report", "report.zip", "prm800k")
    archive = zipfile.ZipFile(math_run / "report.zip")
    names = archive.namelist()
    for name in ("accuracy.png", "accuracy.csv", "prm_step_metrics.md", "stats.json"):
        assert any(n.endswith(f"/{name}") for n in names), (name, names)
    html = archive.read("report/report.html").decode()
    assert "PRM800K process reward model" in html and "MATH, process vs outcome supervision" in html


def test_config_values_are_checked_and_fewshot_prompts_the_base_model(tmp_path):
    for overrides, message in (
        ({"math": {"evaluation": {"aggregations": ["min"]}}}, "math.evaluation.weighted_majority: 'prm800k_prm_prod'"),
        ({"prm800k": {"active_learning": {"aggregation": "mean"}}}, "prm800k.active_learning.aggregation: 'mean'"),
        ({"math": {"generator_data": {"source": "sampled"}}}, "['math']['generator_data']['source']"),
    ):
        write_config(tmp_path, deep_update(TINY_WORKFLOW, overrides))
        result = snakemake(tmp_path, "-n", "prm800k", check=False)
        assert result.returncode != 0 and message in result.stdout + result.stderr, (overrides, result.stderr[-2000:])
    target = "results/t/math/sft_data.jsonl"
    write_config(tmp_path, TINY_WORKFLOW)
    reference = snakemake(tmp_path, "-n", "-p", target).stdout
    assert "--base" not in reference and "base_model" not in reference
    write_config(tmp_path, deep_update(TINY_WORKFLOW, {"math": {"generator_data": {"source": "fewshot", "k": 2}}}))
    fewshot = snakemake(tmp_path, "-n", "-p", target).stdout
    assert "--base results/t/models/base.json" in fewshot and re.search(r"rule base_model", fewshot)
    assert '"k": 2' in fewshot and '"backend": "hf"' in fewshot


@pytest.mark.realdata
def test_prm800k_rules_run_on_real_math500_and_prm800k_records(real_data_run):
    workdir, subsets = real_data_run  # tests/conftest.py: small subsets of the real files
    out = workdir / "results" / "t"
    table = pd.read_csv(out / "math/accuracy.csv")
    assert set(table["method"]) == OWN_METHODS and table["accuracy"].between(0, 1).all()
    assert read(out / "math/samples/test.jsonl")["problem_id"].nunique() == 6
    # Not the demo: the step metrics are on the PRM800K test split's human labels (one trajectory per record).
    heldout = read_trl(out / "prm800k/test.jsonl")
    assert not (out / "math/prm_step_metrics.json").exists()  # the demo's metrics, judged by its ground truth
    metrics = json.loads((out / "prm800k/test_step_metrics.json").read_text())
    assert metrics["n_solutions"] == len(heldout) == 2 and metrics["n_steps"] == sum(len(e.steps) for e in heldout)
    assert "PRM800K test labels" in (out / "prm800k/test_step_metrics.md").read_text()
    # The generator learnt from the real reference solutions, rewritten into steps.
    sft_data = read(out / "math/sft_data.jsonl")
    answers = [json.loads(line)["answer"] for line in subsets["math_train"]]
    assert len(sft_data) == len(answers)
    with AnswerChecker(kind="math") as checker:
        for completion, answer in zip(sft_data["completion"], answers):
            assert split_steps(completion, "prm800k")[-1] == "# Answer\n\n" + " ".join(answer.split())
            assert checker.equal(extract_answer(completion), answer)
