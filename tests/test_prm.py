"""Process reward model: labels at step ends only, learning which steps are wrong, three classes,
long solutions, save/load, the scripts, and the step-level metrics."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from stepwise.data.stepwise_formats import StepwiseExample, read_trl, write_trl
from stepwise.demo.truth import true_step_labels
from stepwise.evaluation.step_metrics import auroc, labelled_example_steps, sample_steps, step_metrics
from stepwise.formats.prompts import math_prompt
from stepwise.io import DataError, read_jsonl, write_jsonl
from stepwise.models.collate import RightPaddingCollator
from stepwise.models.lm import load_causal_lm
from stepwise.models.prm import (
    ProcessRewardModel,
    add_step_marker,
    label_token_ids,
    load_prm,
    save_prm,
    single_token_id,
)
from stepwise.models.prm_inputs import encode_steps, step_windows
from stepwise.scoring.prm import score_steps
from stepwise.training.checkpoints import claim_checkpoint_dir
from stepwise.training.prm_config import BAD, GOOD, NEUTRAL, PRMSettings
from stepwise.training.prm_trainer import (
    IGNORE_INDEX,
    check_prm_examples,
    step_loss,
    train_prm,
    training_features,
)
from tests.test_sft import make_tiny_model
from tests.workflow import squeezed

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal"]
GOOD_WORDS = ["add", "take", "count", "double", "halve", "keep"]
WRONG_WORD, NEUTRAL_WORD = "oops", "maybe"  # a step containing the word is wrong / neutral
FAST = PRMSettings(
    epochs=3, learning_rate=3e-3, batch_size=16, max_length=128, lr_scheduler="constant", logging_steps=50
)


def toy_examples(n: int, seed: int, neutral: bool = False) -> list[StepwiseExample]:
    """Step-labelled solutions whose labels are visible in each step's words; random positions,
    about half the steps wrong (a third each of good, neutral, wrong with ``neutral``)."""
    rng = random.Random(seed)
    kinds = [1, 0, -1] if neutral else [1, -1]
    examples = []
    for _ in range(n):
        prompt = math_prompt(f"{rng.choice(NAMES)} has {rng.randint(2, 9)} pens. How many pens are left?")
        ratings = [rng.choice(kinds) for _ in range(rng.randint(2, 4))]
        words = {1: lambda: rng.choice(GOOD_WORDS), 0: lambda: NEUTRAL_WORD, -1: lambda: WRONG_WORD}
        steps = tuple(f"We {words[rating]()} {rng.randint(1, 9)} pens." for rating in ratings)
        extra = {"ratings": ratings} if neutral else {}
        examples.append(StepwiseExample(prompt, steps, tuple(rating >= 0 for rating in ratings), extra))
    return examples


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory) -> Path:
    texts = [e.prompt + "\n".join(e.steps) for e in toy_examples(60, seed=0, neutral=True)]
    return make_tiny_model(tmp_path_factory.mktemp("prm") / "model", texts)


@pytest.fixture(scope="module")
def trained(toy_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prm") / "trained"
    train_prm(toy_model, toy_examples(160, seed=1), out, FAST)
    return out


@pytest.fixture(scope="module")
def trained_three_classes(toy_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prm") / "trained3"
    train_prm(toy_model, toy_examples(150, seed=3, neutral=True), out, replace(FAST, neutral="neutral"))
    return out


def _score(prm_dir: Path, examples: list[StepwiseExample], **options) -> list[list[float]]:
    return score_steps(prm_dir, [e.prompt for e in examples], [e.steps for e in examples], batch_size=8, **options)


# ---------------------------------------------------------------- learning


@pytest.mark.slow
def test_prm_learns_which_steps_are_wrong(trained):
    test = toy_examples(40, seed=2)
    labels = [list(e.labels) for e in test]
    metrics = step_metrics(_score(trained, test), labels)
    assert 0.35 < metrics["n_correct_steps"] / metrics["n_steps"] < 0.65  # so chance is about 50%
    assert metrics["step_accuracy"] > 0.9
    assert metrics["step_auroc"] > 0.95
    assert metrics["first_error_exact"] > 0.8


@pytest.mark.slow
def test_three_classes_learn_the_neutral_step_and_neutral_counts_as_chosen(trained_three_classes):
    test = toy_examples(40, seed=4, neutral=True)
    with_neutral = _score(trained_three_classes, test)
    without = _score(trained_three_classes, test, neutral_is_correct=False)
    hits = total = 0
    for example, scores_with, scores_without in zip(test, with_neutral, without):
        for rating, p_correct, p_good in zip(example.extra["ratings"], scores_with, scores_without):
            p_neutral, p_bad = p_correct - p_good, 1 - p_correct
            predicted = max([(p_good, 1), (p_neutral, 0), (p_bad, -1)])[1]
            hits += predicted == rating
            total += 1
    assert hits / total > 0.85  # three balanced classes: chance is a third
    model, tokenizer, settings = load_prm(trained_three_classes)
    assert settings.neutral == "neutral"
    assert model.label_token_ids.tolist() == [single_token_id(tokenizer, t) for t in ("+", "-", "0")]


# ---------------------------------------------------------------- where the loss is


def _prepared(toy_model: Path, settings: PRMSettings = FAST):
    lm, tokenizer = load_causal_lm(toy_model)
    marker_id = add_step_marker(lm, tokenizer, settings.step_marker)
    return ProcessRewardModel(lm, label_token_ids(tokenizer, settings)).eval(), tokenizer, marker_id


def test_labels_sit_only_on_step_ends(toy_model):
    model, tokenizer, marker_id = _prepared(toy_model)
    examples = toy_examples(3, seed=5)
    ratings = check_prm_examples(examples)
    collate = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"step_labels": IGNORE_INDEX})
    batch = collate(training_features(tokenizer, examples, ratings, FAST, marker_id))
    for row, example in enumerate(examples):
        ids, labels = batch["input_ids"][row], batch["step_labels"][row]
        labelled = (labels != IGNORE_INDEX).nonzero().squeeze(1).tolist()
        assert labelled == (ids == marker_id).nonzero().squeeze(1).tolist()
        assert labels[labelled].tolist() == [GOOD if good else BAD for good in example.labels]
        n_prompt = len(tokenizer(example.prompt)["input_ids"])
        assert labelled[0] > n_prompt and (labels[:n_prompt] == IGNORE_INDEX).all()
        # Between markers lies exactly the step's text (and the newline joining it to the previous one).
        starts = [n_prompt] + [end + 1 for end in labelled[:-1]]
        pieces = [tokenizer.decode(ids[start:end]) for start, end in zip(starts, labelled)]
        assert pieces == [example.steps[0]] + ["\n" + step for step in example.steps[1:]]
    assert (batch["step_labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()


def test_loss_is_next_token_cross_entropy_on_the_label_tokens_at_step_ends(toy_model):
    model, tokenizer, marker_id = _prepared(toy_model)
    examples = toy_examples(2, seed=6)
    collate = RightPaddingCollator(tokenizer.pad_token_id, token_fields={"step_labels": IGNORE_INDEX})
    batch = collate(training_features(tokenizer, examples, check_prm_examples(examples), FAST, marker_id))
    with torch.no_grad():
        logits = model.lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        at_markers = logits[batch["input_ids"] == marker_id][:, model.label_token_ids]
        expected = F.cross_entropy(at_markers, batch["step_labels"][batch["input_ids"] == marker_id])
        assert step_loss(model, batch).item() == pytest.approx(expected.item(), rel=1e-5)
        # Changing the labels anywhere but at step ends changes nothing.
        noisy = dict(batch, step_labels=batch["step_labels"].clone())
        noisy["step_labels"][batch["input_ids"] != marker_id] = IGNORE_INDEX
        assert step_loss(model, noisy).item() == pytest.approx(expected.item(), rel=1e-5)


def test_marker_token_is_added_once_and_an_existing_token_is_reused(toy_model):
    lm, tokenizer = load_causal_lm(toy_model)
    rows, vocabulary = lm.get_input_embeddings().num_embeddings, len(tokenizer)
    marker_id = add_step_marker(lm, tokenizer, "<|step_end|>")
    embeddings = lm.get_input_embeddings().weight
    assert (marker_id, len(tokenizer), embeddings.shape[0]) == (vocabulary, vocabulary + 1, rows + 1)
    assert torch.allclose(embeddings[marker_id], embeddings[:marker_id].mean(dim=0))
    assert tokenizer("a<|step_end|>b", add_special_tokens=False)["input_ids"].count(marker_id) == 1
    assert add_step_marker(lm, tokenizer, "<|step_end|>") == marker_id and len(tokenizer) == vocabulary + 1
    assert add_step_marker(lm, tokenizer, "<|pad|>") == tokenizer.pad_token_id and len(tokenizer) == vocabulary + 1


# ---------------------------------------------------------------- long solutions


def test_windows_hold_every_step_once_and_fit():
    assert step_windows([5, 9, 20, 22], max_length=10) == [(0, 10, range(0, 2)), (13, 23, range(2, 4))]
    assert step_windows([30], max_length=10) == [(21, 31, range(0, 1))]
    assert step_windows([3, 7], max_length=100) == [(0, 8, range(0, 2))]


@pytest.mark.slow
def test_a_solution_longer_than_max_length_scores_every_step_in_its_window(trained, tmp_path):
    model, tokenizer, settings = load_prm(trained)
    example = StepwiseExample(
        toy_examples(1, seed=7)[0].prompt, tuple(f"We {w} 3 pens." for w in ["add", "oops"] * 4), (True, False) * 4
    )
    encoded = encode_steps(tokenizer, example.prompt, example.steps, single_token_id(tokenizer, settings.step_marker))
    short = replace(settings, max_length=len(encoded.input_ids) // 2)
    windows = step_windows(encoded.step_ends, short.max_length)
    assert len(windows) >= 2
    save_prm(model, tokenizer, short, tmp_path / "short")
    (windowed,) = _score(tmp_path / "short", [example])
    assert len(windowed) == len(example.steps)
    # Each step's score is read at its marker within its own window, as the model sees that window alone.
    for start, end, steps in windows:
        ids = torch.tensor([encoded.input_ids[start:end]])
        mask = torch.zeros_like(ids)
        mask[0, [encoded.step_ends[k] - start for k in steps]] = 1
        with torch.no_grad():
            p_good = model(ids, torch.ones_like(ids), mask).softmax(dim=-1)[:, GOOD]
        assert [windowed[k] for k in steps] == pytest.approx(p_good.tolist(), abs=1e-5)


# ---------------------------------------------------------------- scoring, saving, loading


@pytest.mark.slow
def test_scores_do_not_depend_on_the_batch(trained):
    test = toy_examples(5, seed=8)
    alone = [_score(trained, [example])[0] for example in test]
    batched = score_steps(trained, [e.prompt for e in test], [e.steps for e in test], batch_size=5)
    for one, many in zip(alone, batched):
        assert many == pytest.approx(one, abs=1e-5)


@pytest.mark.slow
def test_solution_texts_are_split_in_the_step_format(trained):
    example = toy_examples(1, seed=9)[0]
    text = "\n".join(example.steps) + "\n# Answer\n\n3"
    (from_text,) = score_steps(trained, [example.prompt], [text], step_format="prm800k")
    (from_steps,) = score_steps(trained, [example.prompt], [[*example.steps, "# Answer\n\n3"]])
    assert from_text == pytest.approx(from_steps, abs=1e-6) and len(from_text) == len(example.steps) + 1
    assert len(score_steps(trained, [example.prompt], [""], step_format="prm800k")[0]) == 1


@pytest.mark.slow
def test_save_load_round_trip_gives_identical_scores(trained, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tokenizer, settings = load_prm(trained)
    save_prm(model, tokenizer, settings, tmp_path / "copy")
    test = toy_examples(4, seed=10)
    assert _score(tmp_path / "copy", test) == _score(trained, test)
    assert load_prm(tmp_path / "copy")[2] == settings == FAST
    # The folder is an ordinary model whose tokenizer holds the marker as one special token.
    reloaded = AutoTokenizer.from_pretrained(tmp_path / "copy")
    marker_id = single_token_id(reloaded, settings.step_marker)
    assert reloaded("x<|step_end|>", add_special_tokens=False)["input_ids"][-1] == marker_id
    lm = AutoModelForCausalLM.from_pretrained(tmp_path / "copy")
    assert lm.get_input_embeddings().num_embeddings == len(reloaded) == marker_id + 1


@pytest.mark.slow
def test_scripts_train_score_and_measure(toy_model, tmp_path):
    """train_prm.py on TRL JSONL (discarding checkpoints of another run), score_steps.py on samples and on TRL
    records, step_metrics.py on the latter."""
    write_trl(tmp_path / "train.jsonl", toy_examples(40, seed=11))
    settings = {"epochs": 1, "learning_rate": 3e-3, "batch_size": 16, "max_length": 128}
    checkpoints = claim_checkpoint_dir(tmp_path / "checkpoints", {"settings": {**settings, "epochs": 2}})
    (checkpoints / "checkpoint-3").mkdir()  # left by a killed run with other settings; resuming it would fail
    _run(
        "train_prm.py",
        "--data",
        tmp_path / "train.jsonl",
        "--model",
        toy_model,
        "--settings",
        json.dumps(settings),
        "--out",
        tmp_path / "prm",
        "--checkpoints",
        checkpoints,
    )
    assert load_prm(tmp_path / "prm")[2].epochs == 1 and not checkpoints.exists()

    test = toy_examples(3, seed=12)
    problems = [
        {
            "problem": f"problem {i}",
            "solution": "",
            "answer": "3",
            "subject": "Algebra",
            "level": 1,
            "unique_id": f"p{i}",
        }
        for i in range(len(test))
    ]
    write_jsonl(tmp_path / "problems.jsonl", problems)
    samples = [{"problem_id": f"p{i}", "sample_id": 0, "text": "\n".join(e.steps)} for i, e in enumerate(test)]
    write_jsonl(tmp_path / "samples.jsonl", samples)
    _run(
        "score_steps.py",
        "--samples",
        tmp_path / "samples.jsonl",
        "--task",
        "math",
        "--dataset",
        tmp_path / "problems.jsonl",
        "--prm",
        tmp_path / "prm",
        "--settings",
        SAMPLE_SCORING,
        "--out",
        tmp_path / "scored.jsonl",
    )
    scored = read_jsonl(tmp_path / "scored.jsonl")
    prompts = [math_prompt(p["problem"]) for p in problems]
    expected = score_steps(tmp_path / "prm", prompts, [e.steps for e in test])
    assert [len(s["prm_steps"]) for s in scored] == [len(e) for e in expected]
    assert [x for s in scored for x in s["prm_steps"]] == pytest.approx([x for e in expected for x in e], abs=1e-5)
    # A score file: the samples' keys and the step scores, nothing else.
    assert [{k: v for k, v in s.items() if k != "prm_steps"} for s in scored] == [
        {"problem_id": s["problem_id"], "sample_id": s["sample_id"]} for s in samples
    ]

    write_trl(tmp_path / "test.jsonl", test)
    _run(
        "score_steps.py",
        "--stepwise",
        tmp_path / "test.jsonl",
        "--prm",
        tmp_path / "prm",
        "--settings",
        SCORING,
        "--out",
        tmp_path / "test_scored.jsonl",
    )
    scores, labels = labelled_example_steps(read_trl(tmp_path / "test_scored.jsonl"), "prm_steps")
    assert labels == [list(e.labels) for e in test] and [len(s) for s in scores] == [len(e.steps) for e in test]
    _run(
        "step_metrics.py",
        "--stepwise",
        tmp_path / "test_scored.jsonl",
        "--json",
        tmp_path / "metrics.json",
        "--settings",
        json.dumps({"column": "prm_steps", "threshold": 0.5, "title": "PRM step-level metrics"}),
        "--markdown",
        tmp_path / "metrics.md",
    )
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    expected = step_metrics(scores, labels)
    assert metrics["step_accuracy"] == pytest.approx(expected["step_accuracy"])
    assert metrics["n_steps"] == sum(len(e.steps) for e in test)
    assert "| step_auroc |" in squeezed((tmp_path / "metrics.md").read_text())


def test_aggregate_script_adds_one_solution_score_per_aggregation(tmp_path):
    samples = [
        {"problem_id": "p", "sample_id": 0, "steps": [0.5, 0.8], "text": "a"},
        {"problem_id": "p", "sample_id": 1, "steps": [0.9], "text": "b"},
    ]
    write_jsonl(tmp_path / "in.jsonl", samples)
    settings = json.dumps({"column": "steps", "aggregations": ["prod", "min", "last"]})
    _run(
        "aggregate_step_scores.py",
        "--samples",
        tmp_path / "in.jsonl",
        "--settings",
        settings,
        "--out",
        tmp_path / "out.jsonl",
    )
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [(s["steps_prod"], s["steps_min"], s["steps_last"]) for s in out] == [(0.4, 0.5, 0.8), (0.9, 0.9, 0.9)]
    assert [{k: v for k, v in s.items() if not k.startswith("steps_")} for s in out] == samples


SCORING = json.dumps({"column": "prm_steps", "batch_size": 64, "neutral_is_correct": True})
SAMPLE_SCORING = json.dumps(
    {**json.loads(SCORING), "step_format": "prm800k"}
)  # samples split as the generator writes them


def _run(script: str, *args) -> None:
    command = [sys.executable, str(ROOT / "scripts" / script), *map(str, args)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]


# ---------------------------------------------------------------- bad input


def test_settings_are_checked():
    with pytest.raises(ValueError, match="neutral"):
        PRMSettings(neutral="half")
    with pytest.raises(ValueError, match="distinct"):
        PRMSettings(good_token="-")
    assert [PRMSettings(neutral=mode).target(0) for mode in ("positive", "negative", "neutral")] == [GOOD, BAD, NEUTRAL]
    assert PRMSettings().label_tokens == ("+", "-") and PRMSettings(neutral="neutral").label_tokens == ("+", "-", "0")


@pytest.mark.parametrize(
    "bad, message",
    [
        (StepwiseExample("q", ("a", "b"), (True,)), "2 steps but 1 labels"),
        (StepwiseExample("q", ("a",), (0.5,)), "hard labels"),
        (StepwiseExample("q", ("a", "b"), (True, False), {"ratings": [1]}), "one rating per step"),
        (StepwiseExample("q", ("a", "b"), (True, False), {"ratings": [1, 2]}), "rating 2 must be -1, 0 or 1"),
        (StepwiseExample("q", ("a", "b"), (True, True), {"ratings": [1, -1]}), "rating 2 is -1 but label 2 is True"),
        ({"prompt": "q", "completions": ["a"], "labels": [True]}, "StepwiseExample"),
    ],
)
def test_bad_examples_are_named(bad, message):
    good = StepwiseExample("q", ("a", "b"), (True, False), {"ratings": [0, -1]})
    assert check_prm_examples([good]) == [[0, -1]]
    with pytest.raises(DataError, match=rf"PRM example 1: .*{message}"):
        check_prm_examples([good, bad])
    with pytest.raises(DataError, match="no PRM examples"):
        check_prm_examples([])


def test_bad_scoring_input_is_refused(toy_model, trained, tmp_path):
    _, tokenizer, marker_id = _prepared(toy_model)
    with pytest.raises(DataError, match="contains the step marker"):
        encode_steps(tokenizer, "q", ["a<|step_end|>b"], marker_id)
    with pytest.raises(ValueError, match="step_format"):
        score_steps(trained, ["q"], ["some text"])
    with pytest.raises(DataError, match="solution 0 must be"):
        score_steps(trained, ["q"], [[]])
    with pytest.raises(ValueError, match="1 prompts but 2 solutions"):
        score_steps(trained, ["q"], [["a"], ["b"]])
    with pytest.raises(DataError, match="not a process_reward_model folder"):
        load_prm(toy_model)
    with pytest.raises(DataError, match="not a single token"):
        label_token_ids(tokenizer, PRMSettings(good_token="correct!"))


# ---------------------------------------------------------------- step metrics


def test_auroc_is_the_rank_statistic():
    # Correct steps 0.9, 0.4, 0.6 against wrong 0.6, 0.2: 4 of 6 pairs ordered, one tie: 4.5 / 6.
    assert auroc([0.9, 0.4, 0.6, 0.6, 0.2], [True, True, True, False, False]) == pytest.approx(0.75)
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert math.isnan(auroc([0.2, 0.3], [True, True]))


def test_step_metrics_on_hand_made_solutions():
    scores = [[0.9, 0.2, 0.8], [0.3, 0.9], [0.9, 0.7], [0.6, 0.8], [0.95, 0.4]]
    labels = [[True, False, True], [True, False], [True, False], [True, True], [True, True]]
    metrics = step_metrics(scores, labels)
    # Right calls: 3 + 0 + 1 + 2 + 1 of 11 steps. Ordered (correct, wrong) pairs: 8 vs 0.2, 1 + 2 ties / 2 vs 0.9,
    # 5 vs 0.7: 15 of 24. First errors: exact (solution 1), early (2), missed (3); of the two all-correct
    # solutions only the first has nothing flagged.
    assert metrics == {
        "threshold": 0.5,
        "n_solutions": 5,
        "n_steps": 11,
        "n_correct_steps": 8,
        "step_accuracy": pytest.approx(7 / 11),
        "step_auroc": pytest.approx(15 / 24),
        "n_with_error": 3,
        "first_error_exact": pytest.approx(1 / 3),
        "first_error_early": pytest.approx(1 / 3),
        "first_error_missed": pytest.approx(1 / 3),
        "n_all_correct": 2,
        "all_correct_unflagged": 0.5,
    }
    assert step_metrics(scores, labels, threshold=0.95)["first_error_early"] == 1.0  # every first step flagged
    assert math.isnan(step_metrics([[0.9]], [[True]])["first_error_exact"])


@pytest.mark.parametrize(
    "scores, labels, message",
    [
        ([[0.5]], [[True], [False]], "1 solutions scored but 2 labelled"),
        ([[0.5, 0.5]], [[True]], "solution 0: 2 step scores for 1 labelled steps"),
        ([[1.5]], [[True]], "probabilities"),
        ([[0.5]], [[1]], "booleans"),
    ],
)
def test_step_metrics_refuse_bad_input(scores, labels, message):
    with pytest.raises(DataError, match=message):
        step_metrics(scores, labels)


def test_demo_samples_are_judged_step_by_step():
    demo = {"p": {"values": ["3", "4", "7"], "answer_value": "7"}}
    samples = [
        {"problem_id": "p", "sample_id": 0, "text": "We have $3 + 4 = 7$.\n# Answer\n\n7", "s": [0.9, 0.8]},
        {
            "problem_id": "p",
            "sample_id": 1,
            "text": "We have $3 + 4 = 7$.\nSo $7 + 4 = 12$.\n# Answer\n\n7",
            "s": [0.9, 0.3, 0.7],
        },
        {"problem_id": "p", "sample_id": 2, "text": "", "s": [0.5]},
    ]
    solutions, scores, skipped = sample_steps(samples, "s", "prm800k")
    labels = true_step_labels(solutions, demo, "prm800k")
    assert labels == [[True, True], [True, False, True]] and scores == [[0.9, 0.8], [0.9, 0.3, 0.7]] and skipped == 1
    assert [s["sample_id"] for s in solutions] == [0, 1] and solutions[1]["steps"][1] == "So $7 + 4 = 12$."
    with pytest.raises(DataError, match="sample 0 .*2 steps but step scores"):
        sample_steps([dict(samples[0], s=[0.9])], "s", "prm800k")
    with pytest.raises(DataError, match="no demo ground truth"):
        true_step_labels([dict(solutions[0], problem_id="q")], demo, "prm800k")
    with pytest.raises(DataError, match="no 's'"):
        sample_steps([{"problem_id": "p", "text": "x"}], "s", "prm800k")
