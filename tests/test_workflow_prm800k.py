"""The PRM800K / MATH experiment (target `prm800k`) of the whole DAG on the tiny test config, run for real by Snakemake.

The run is the session's shared one (tests/conftest.py: ``tiny_run``); the
real-data tests read its continuation on the mirror's data (``real_data_run``).
"""

from __future__ import annotations

import json
import math
import re
import zipfile

import pandas as pd
import pytest

from stepwise.answers.check import AnswerChecker
from stepwise.answers.extract import extract_answer, extract_hash_answer
from stepwise.config.registry import load_math_problems
from stepwise.data.prm800k import load_prm800k
from stepwise.data.stepwise_formats import read_trl
from stepwise.formats.steps import split_steps
from stepwise.scoring.marked import steps_to_score
from tests.workflow import TINY_CONFIG, deep_update, mirror_data, planned_jobs, snakemake, squeezed, write_config

pytestmark = pytest.mark.slow

AGGREGATIONS = ("prod", "min", "last")  # math.evaluation.aggregations in config.yaml
PRM800K = [f"prm800k_prm_{a}" for a in AGGREGATIONS]
SHEPHERD = [f"shepherd_prm_{a}" for a in AGGREGATIONS]  # .test/config.yaml: Math-Shepherd on both tasks
# The table's rows in order; `chance` is the configured scorer of .test/config.yaml.
METHODS = ["greedy", "majority", "weighted_majority", "orm", *PRM800K, *SHEPHERD, "chance", "pass@n"]
BEST_OF_N = ["orm", *PRM800K, *SHEPHERD, "chance"]  # by one score column
POOLED = set(METHODS) - {"greedy", "pass@n"}
KEYS = ["problem_id", "sample_id"]
TEST_SCORERS = ["orm", "prm800k_prm", "shepherd_prm", "chance"]  # score files of the test samples
TRAIN_SCORERS = ["prm800k_prm"]  # of the training samples: the pool active learning ranks


def read(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


def scored_samples(results, split: str) -> pd.DataFrame:
    samples = read(results / f"math/samples/{split}.jsonl")
    for scorer in TEST_SCORERS if split == "test" else TRAIN_SCORERS:
        scores = read(results / f"math/scores/{split}/{scorer}.jsonl")
        samples = samples.merge(scores, on=KEYS, validate="one_to_one")
    return samples


def test_math_table_has_every_method_and_is_consistent_with_the_samples(tiny_run):
    results = tiny_run.results
    table = pd.read_csv(results / "math/accuracy.csv")
    assert list(table.columns) == ["method", "n", "accuracy", "std"]
    assert list(dict.fromkeys(table["method"])) == METHODS
    assert sorted(table["n"].unique()) == [1, 2, 4]  # math.test_samples.n = 4
    assert table["accuracy"].between(0, 1).all() and (table["std"] >= 0).all()
    markdown = squeezed((results / "math/accuracy.md").read_text())
    assert all(f"| {method} |" in markdown for method in METHODS)
    assert (results / "math/accuracy.png").stat().st_size > 0

    table = table.set_index(["method", "n"])
    samples = scored_samples(results, "test")
    pooled, greedy = samples[~samples["greedy"]], samples[samples["greedy"]]
    assert len(greedy) == 10 and len(pooled) == 10 * 4  # demo.math.test = 10 problems
    single = pooled.groupby("problem_id")["correct"].mean().mean()
    assert table.loc[("pass@n", 4), "accuracy"] == pytest.approx(pooled.groupby("problem_id")["correct"].any().mean())
    assert table.loc[("greedy", 4), "accuracy"] == pytest.approx(greedy["correct"].mean())
    for method in ["pass@n", *BEST_OF_N]:
        assert table.loc[(method, 1), "accuracy"] == pytest.approx(single), method  # best-of-1: one random sample
    for column in BEST_OF_N:
        if not pooled.duplicated(["problem_id", column]).any():  # no ties: best-of-4 is the top sample
            best = pooled.loc[pooled.groupby("problem_id")[column].idxmax()]
            assert table.loc[(column, 4), "accuracy"] == pytest.approx(best["correct"].mean()), column
    trials = tiny_run.config["math"]["evaluation"]["trials"]
    for n in (1, 2, 4):
        for method in POOLED:  # best-of-N is exact; the votes are means over Monte Carlo trials, within their noise
            accuracy, std = table.loc[(method, n), ["accuracy", "std"]]
            noise = 0 if method in BEST_OF_N else 4 * std / trials**0.5
            assert accuracy <= table.loc[("pass@n", n), "accuracy"] + noise + 1e-9, (method, n)
    selections = pd.read_csv(results / "math/selections.csv")
    assert set(selections["method"]) == set(METHODS) and selections.groupby("method").size().eq(10).all()


def test_score_files_hold_the_keys_and_their_scorer_columns_only(tiny_run):
    results = tiny_run.results
    prm_columns = ["prm800k_prm", *PRM800K]
    expected = {
        "test": {
            "orm": ["orm"],
            "prm800k_prm": prm_columns,
            "shepherd_prm": ["shepherd_prm", *SHEPHERD],
            "chance": ["chance"],
        },
        "train": {"prm800k_prm": prm_columns},
    }
    for split, files in expected.items():
        assert sorted(path.stem for path in (results / f"math/scores/{split}").iterdir()) == sorted(files)
        samples = read(results / f"math/samples/{split}.jsonl")
        for scorer, columns in files.items():
            scores = read(results / f"math/scores/{split}/{scorer}.jsonl")
            assert list(scores.columns) == KEYS + columns
            assert scores[KEYS].equals(samples[KEYS])
    samples = scored_samples(results, "train")
    assert samples["problem_id"].nunique() == 12 and len(samples) == 12 * 2  # math.train_samples in .test/config.yaml
    for text, steps, prod, low, last in samples[["text", *prm_columns]].itertuples(index=False):
        assert len(steps) == len(steps_to_score(text, "prm800k")) and all(0 <= p <= 1 for p in steps)
        assert (prod, low, last) == pytest.approx((math.prod(steps), min(steps), steps[-1]))


def test_prm_is_trained_from_the_generator_with_the_preprocessing_neutral_setting(tiny_run):
    models = tiny_run.results / "models"
    prm = json.loads((models / "prm800k_prm/prm.json").read_text())
    assert prm["settings"]["neutral"] == "positive" and prm["settings"]["epochs"] == 1
    generator = json.loads((models / "math_generator/config.json").read_text())
    model = json.loads((models / "prm800k_prm/config.json").read_text())
    assert prm["step_marker_id"] == generator["vocab_size"] and model["vocab_size"] == generator["vocab_size"] + 1
    sft_data = read(tiny_run.results / "math/sft_data.jsonl")
    assert list(sft_data.columns) == ["prompt", "completion"] and len(sft_data) == 40  # math.generator_data.problems
    assert sft_data["completion"].map(lambda text: split_steps(text, "prm800k")[-1].startswith("# Answer")).all()


def test_step_metrics_and_the_batch_to_label(tiny_run):
    results = tiny_run.results
    metrics = json.loads((results / "math/prm_step_metrics.json").read_text())
    samples = read(results / "math/samples/test.jsonl")
    with_steps = samples["text"].map(lambda text: bool(split_steps(text, "prm800k"))).sum()
    assert metrics["n_solutions"] == with_steps and metrics["n_skipped_without_steps"] == len(samples) - with_steps
    assert metrics["n_all_correct"] + metrics["n_with_error"] == metrics["n_solutions"]
    assert "demo's ground truth" in (results / "math/prm_step_metrics.md").read_text()
    assert not (results / "prm800k/test_step_metrics.json").exists()  # on demo data, the demo's truth judges

    records = load_prm800k(results / "prm800k/to_label.jsonl")
    raw = [json.loads(line) for line in (results / "prm800k/to_label.jsonl").read_text().splitlines()]
    train = scored_samples(results, "train").set_index(KEYS)
    labelable = train["text"].str.strip().astype(bool).sum()
    assert len(records) == min(6, labelable)  # prm800k.active_learning.batch_size in .test/config.yaml
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


def test_report_has_the_prm800k_table_plot_metrics_and_statistics(tiny_run, tiny_report):
    archive = zipfile.ZipFile(tiny_report)
    reported = {archive.read(name) for name in archive.namelist() if name.startswith("report/data/raw/")}
    for name in ("math/accuracy.png", "math/accuracy.csv", "math/prm_step_metrics.md", "prm800k/stats.json"):
        assert (tiny_run.results / name).read_bytes() in reported, name  # the very file
    html = archive.read("report/report.html").decode()
    assert "PRM800K process reward model" in html and "MATH, process vs outcome supervision" in html


def test_config_values_are_checked_and_fewshot_prompts_the_base_model(tmp_path):
    for overrides, message in (
        ({"math": {"evaluation": {"aggregations": ["min"]}}}, "math.evaluation.weighted_majority: 'prm800k_prm_prod'"),
        ({"prm800k": {"active_learning": {"aggregation": "mean"}}}, "prm800k.active_learning.aggregation: 'mean'"),
        ({"math": {"generator_data": {"source": "sampled"}}}, "['math']['generator_data']['source']"),
    ):
        write_config(tmp_path, deep_update(TINY_CONFIG, overrides))
        result = snakemake(tmp_path, "-n", "prm800k", check=False)
        assert result.returncode != 0 and message in result.stdout + result.stderr, (overrides, result.stderr[-2000:])
    target = "results/t/math/sft_data.jsonl"
    write_config(tmp_path, TINY_CONFIG)
    reference = snakemake(tmp_path, "-n", "-p", target).stdout
    assert "--base" not in reference and "base_model" not in reference
    write_config(tmp_path, deep_update(TINY_CONFIG, {"math": {"generator_data": {"source": "fewshot", "k": 2}}}))
    fewshot = snakemake(tmp_path, "-n", "-p", target).stdout
    assert "--base results/t/models/base.json" in fewshot and re.search(r"rule base_model", fewshot)
    assert '"k": 2' in fewshot and '"backend": "hf"' in fewshot


@pytest.mark.realdata
def test_prm800k_rules_run_on_real_math500_and_prm800k_records(real_data_run, shared_data):
    """The real MATH-500 problems and PRM800K records, on the tiny run's models (the PRM800K PRM retrained)."""
    results = real_data_run.results
    table = pd.read_csv(results / "math/accuracy.csv")
    own = [method for method in METHODS if method not in SHEPHERD and method != "chance"]
    assert list(dict.fromkeys(table["method"])) == own and table["accuracy"].between(0, 1).all()
    samples = read(results / "math/samples/test.jsonl")
    for scorer in ("orm", "prm800k_prm"):  # rescored
        samples = samples.merge(read(results / f"math/scores/test/{scorer}.jsonl"), on=KEYS, validate="one_to_one")
    problems = load_math_problems(shared_data / "math500/test.jsonl")[
        : real_data_run.config["math"]["test_samples"]["problems"]
    ]
    assert list(dict.fromkeys(samples["problem_id"])) == [p.problem_id for p in problems]
    assert len(samples) == len(problems) * 5  # greedy and test_samples.n = 4, each with its scores
    # Not the demo: the step metrics are on the PRM800K test split's human labels (one trajectory per record).
    heldout = read_trl(results / "prm800k/test.jsonl")
    metrics = json.loads((results / "prm800k/test_step_metrics.json").read_text())
    assert metrics["n_solutions"] == len(heldout) == 2 and metrics["n_steps"] == sum(len(e.steps) for e in heldout)
    assert "PRM800K test labels" in (results / "prm800k/test_step_metrics.md").read_text()
    stats = json.loads((results / "prm800k/stats.json").read_text())
    assert stats["math500_problems"] == 500  # the real MATH-500, held out of the PRM's training records
    assert stats["train"]["files"]["prm800k_phase1_train"] == len(
        (shared_data / "prm800k/prm800k-phase1-train.sample.jsonl").read_text().splitlines()
    )
    # The PRM800K PRM retrained on the new records; the generator it starts from is the tiny run's.
    written = {
        name: (results / "models" / name / "config.json").stat().st_mtime for name in ("prm800k_prm", "math_generator")
    }
    assert written["math_generator"] < (results / "data/math500.jsonl").stat().st_mtime < written["prm800k_prm"]


@pytest.mark.realdata
def test_sft_data_from_the_real_training_files(tmp_path, shared_data):
    """The generators' SFT data from real training files: GSM8K's gold solutions, MATH reference solutions in
    steps; and the tiny model's tokenizer, built from them, writes them back as they were."""
    math_lines = (shared_data / "math500" / "test.jsonl").read_text().splitlines()[100:160]  # stand in for MATH train
    (tmp_path / "real-math_train.jsonl").write_text("\n".join(math_lines) + "\n")
    data = {
        "gsm8k_train": mirror_data(shared_data)["gsm8k_train"],
        "math_train": {"source": "path", "path": str(tmp_path / "real-math_train.jsonl")},
    }
    write_config(tmp_path, deep_update(TINY_CONFIG, {"data": data, "math": {"generator_data": {"problems": None}}}))
    targets = ["results/t/gsm8k/sft_data.jsonl", "results/t/math/sft_data.jsonl", "results/t/models/tiny"]
    assert planned_jobs(tmp_path, *targets) == {"raw_dataset": 2, "sft_data": 2, "tiny_model": 1}  # nothing trained
    snakemake(tmp_path, "--cores", "2", *targets)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / targets[2])
    for target in targets[:2]:  # byte-level BPE: every real text, encoded and decoded, is itself again
        for prompt, completion in read(tmp_path / target)[["prompt", "completion"]].head(300).itertuples(index=False):
            text = prompt + completion
            assert tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) == text
    gsm8k = [json.loads(line) for line in (shared_data / "gsm8k/train.jsonl").read_text().splitlines()]
    sft_data = read(tmp_path / targets[0])
    assert len(sft_data) == len(gsm8k) == 7473
    assert all(question in prompt for question, prompt in zip((p["question"] for p in gsm8k), sft_data["prompt"]))
    assert sft_data["completion"].tolist() == [p["answer"] for p in gsm8k]
    assert [extract_hash_answer(text) for text in sft_data["completion"][:50]] == [
        p["answer"].split("####")[-1].strip() for p in gsm8k[:50]
    ]
    # The MATH generator learns from the real reference solutions, rewritten into steps.
    sft_data = read(tmp_path / targets[1])
    answers = [json.loads(line)["answer"] for line in math_lines]
    assert len(sft_data) == len(answers)
    with AnswerChecker(kind="math") as checker:
        for completion, answer in zip(sft_data["completion"], answers):
            assert split_steps(completion, "prm800k")[-1] == "# Answer\n\n" + " ".join(answer.split())
            assert checker.equal(extract_answer(completion), answer)
