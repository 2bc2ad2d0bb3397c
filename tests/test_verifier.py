"""Token-level outcome verifier: masking, padding, balancing, learning to rank, save/load,
resuming a killed run."""

from __future__ import annotations

import logging
import random
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import torch

from stepwise.formats.prompts import gsm8k_prompt
from stepwise.io import DataError
from stepwise.models.collate import RightPaddingCollator, encode_solution
from stepwise.models.lm import load_causal_lm
from stepwise.models.verifier import CONFIG_FILE, TokenVerifier, load_verifier, save_verifier
from stepwise.scoring.verifier import score_solutions, token_scores
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.verifier import (
    balance_examples,
    check_verifier_examples,
    lm_positions,
    solution_lm_loss,
    train_verifier,
    value_loss,
)
from stepwise.training.verifier_config import VerifierSettings
from tests.test_sft import make_tiny_model

pytestmark = pytest.mark.slow

NAMES = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kim", "Lu"]


def toy_problem(index: int, rng: random.Random) -> tuple[str, list[tuple[str, int]]]:
    """A question and four samples; correctness is visible in the text (they start with "ok" or "bad")."""
    name, count = NAMES[index % len(NAMES)], index + 2
    prompt = gsm8k_prompt(f"{name} has {count} pens. How many pens are there?")
    samples = []
    for label in (1, 1, 0, 0):
        steps = " ".join(rng.choice(["so", "then", "we count", "and"]) for _ in range(rng.randint(1, 4)))
        samples.append((f"{'ok' if label else 'bad'}: {name} {steps} {count} pens.", label))
    return prompt, samples


def toy_examples(indices: range, seed: int) -> list[dict]:
    rng = random.Random(seed)
    examples = []
    for index in indices:
        prompt, samples = toy_problem(index, rng)
        examples += [{"prompt": prompt, "completion": text, "label": label} for text, label in samples]
    return examples


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory) -> Path:
    texts = [e["prompt"] + e["completion"] for e in toy_examples(range(40), seed=0)]
    return make_tiny_model(tmp_path_factory.mktemp("verifier") / "model", texts)


@pytest.fixture(scope="module", params=["mse", "bce"])
def trained(toy_model, tmp_path_factory, request) -> Path:
    out = tmp_path_factory.mktemp("verifier") / f"trained-{request.param}"
    settings = VerifierSettings(
        epochs=3,
        learning_rate=3e-3,
        batch_size=16,
        max_length=128,
        loss=request.param,
        lm_weight=0.1,
        dropout=0.1,
        balance="weight",
        lr_scheduler="constant",
    )
    train_verifier(toy_model, toy_examples(range(30), seed=1), out, settings)
    return out


def test_verifier_ranks_correct_above_wrong_within_each_problem(trained):
    test = toy_examples(range(30, 40), seed=2)
    scores = score_solutions(trained, [e["prompt"] for e in test], [e["completion"] for e in test], batch_size=8)
    for start in range(0, len(test), 4):
        group = list(zip(scores[start : start + 4], (e["label"] for e in test[start : start + 4])))
        assert min(s for s, label in group if label) > max(s for s, label in group if not label)


def test_last_is_the_final_real_token_under_padding(trained):
    test = toy_examples(range(30, 33), seed=3)
    prompts, completions = [e["prompt"] for e in test], [e["completion"] for e in test]
    alone = [score_solutions(trained, [p], [c])[0] for p, c in zip(prompts, completions)]
    batched = score_solutions(trained, prompts, completions, batch_size=len(test))
    assert batched == pytest.approx(alone, abs=1e-5)
    assert len(set(round(s, 4) for s in alone)) > 1  # not a constant
    # Reading the value at the eos by hand gives the same score.
    model, tokenizer, settings = load_verifier(trained)
    ids = torch.tensor([encode_solution(tokenizer, prompts[0], completions[0]).input_ids])
    with torch.no_grad():
        values, _ = model(ids, torch.ones_like(ids))
    assert ids[0, -1] == tokenizer.eos_token_id
    assert token_scores(values[0, -1], settings.loss).item() == pytest.approx(alone[0], abs=1e-5)


def test_mean_reduction_averages_solution_tokens_only(trained):
    example = toy_examples(range(30, 31), seed=4)[0]
    other_prompt = gsm8k_prompt("A different and much longer question about many, many things?")
    model, tokenizer, settings = load_verifier(trained)
    mean = score_solutions(trained, [example["prompt"]], [example["completion"]], reduction="mean")[0]
    encoded = encode_solution(tokenizer, example["prompt"], example["completion"])
    ids = torch.tensor([encoded.input_ids])
    with torch.no_grad():
        values, _ = model(ids, torch.ones_like(ids))
    assert token_scores(values[0, encoded.solution_start :], settings.loss).mean().item() == pytest.approx(
        mean, abs=1e-5
    )
    assert score_solutions(trained, [other_prompt], [example["completion"]], reduction="mean")[0] != pytest.approx(mean)


def test_save_load_round_trip_gives_identical_scores(trained, tmp_path):
    model, tokenizer, settings = load_verifier(trained)
    save_verifier(model, tokenizer, settings, tmp_path / "copy")
    test = toy_examples(range(30, 32), seed=5)
    prompts, completions = [e["prompt"] for e in test], [e["completion"] for e in test]
    assert score_solutions(tmp_path / "copy", prompts, completions) == score_solutions(trained, prompts, completions)
    assert load_verifier(tmp_path / "copy")[2] == settings


# ---------------------------------------------------------------- a killed run


class Killed(Exception):
    """Stands for the job being killed."""


RESUMABLE = VerifierSettings(epochs=1, learning_rate=3e-3, batch_size=4, max_length=128, lm_weight=0.1, save_steps=2)


def _killed_after_first_checkpoint(toy_model, examples, checkpoints: Path, monkeypatch) -> None:
    """Train until the first checkpoint is written, then die as a killed job would."""
    from transformers import Trainer

    save_checkpoint = Trainer._save_checkpoint

    def save_then_die(trainer, *args, **kwargs):
        save_checkpoint(trainer, *args, **kwargs)
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(Trainer, "_save_checkpoint", save_then_die)
        with pytest.raises(Killed):
            train_verifier(toy_model, examples, checkpoints.parent / "killed", RESUMABLE, checkpoints)
    assert [p.name for p in checkpoints.glob("checkpoint-*")] == ["checkpoint-2"]
    assert not (checkpoints.parent / "killed" / CONFIG_FILE).exists()


def test_a_restarted_run_resumes_from_its_checkpoint_and_ends_as_an_unbroken_one(
    toy_model, tmp_path, monkeypatch, caplog
):
    examples = toy_examples(range(4), seed=1)  # 16 examples: 4 steps of 4, a checkpoint after steps 2 and 4
    run = {"model": fingerprint(toy_model), "settings": asdict(RESUMABLE)}
    checkpoints = claim_checkpoint_dir(tmp_path / "checkpoints", run)
    _killed_after_first_checkpoint(toy_model, examples, checkpoints, monkeypatch)
    claim_checkpoint_dir(checkpoints, run)  # the restarted job: the same run, checkpoints kept
    with caplog.at_level(logging.INFO, logger="stepwise.training.reward_model"):
        train_verifier(toy_model, examples, tmp_path / "resumed", RESUMABLE, checkpoints)
    assert f"resuming from {checkpoints / 'checkpoint-2'}" in caplog.text
    assert (tmp_path / "resumed" / CONFIG_FILE).is_file() and not checkpoints.exists()
    # The resumed run took the weights, optimiser state and data order of step 2: it ends where an
    # unbroken run ends (whose checkpoints, in its output folder, are gone too).
    train_verifier(toy_model, examples, tmp_path / "unbroken", RESUMABLE)
    assert not list((tmp_path / "unbroken").glob("checkpoint-*"))
    test = toy_examples(range(30, 32), seed=5)
    prompts, completions = [e["prompt"] for e in test], [e["completion"] for e in test]
    resumed = score_solutions(tmp_path / "resumed", prompts, completions)
    assert resumed == pytest.approx(score_solutions(tmp_path / "unbroken", prompts, completions), abs=1e-5)


def test_a_restart_with_other_settings_starts_afresh(toy_model, tmp_path, monkeypatch, caplog):
    examples = toy_examples(range(4), seed=1)
    run = {"model": fingerprint(toy_model), "settings": asdict(RESUMABLE)}
    checkpoints = claim_checkpoint_dir(tmp_path / "checkpoints", run)
    _killed_after_first_checkpoint(toy_model, examples, checkpoints, monkeypatch)
    changed = replace(RESUMABLE, learning_rate=1e-3)  # the config changed before the restart
    with caplog.at_level(logging.INFO):
        claim_checkpoint_dir(checkpoints, {**run, "settings": asdict(changed)})
        train_verifier(toy_model, examples, tmp_path / "verifier", changed, checkpoints)
    assert "another run" in caplog.text and "resuming" not in caplog.text
    assert (tmp_path / "verifier" / CONFIG_FILE).is_file() and not checkpoints.exists()


def _batch(tokenizer, examples):
    collate = RightPaddingCollator(
        tokenizer.pad_token_id, token_fields={"solution_mask": 0}, example_fields=("label", "weight")
    )
    features = []
    for example in examples:
        encoded = encode_solution(tokenizer, example["prompt"], example["completion"])
        features.append(
            {
                "input_ids": encoded.input_ids,
                "solution_mask": encoded.solution_mask(),
                "label": example["label"],
                "weight": 1.0,
            }
        )
    return collate(features)


def test_question_tokens_are_masked_out_of_both_losses(toy_model):
    lm, tokenizer = load_causal_lm(toy_model)
    model = TokenVerifier(lm).eval()
    completion = "Ann so 3 pens.\nThat is ok."
    short = {"prompt": gsm8k_prompt("Ann has 3 pens?"), "completion": completion, "label": 1}
    long = {
        "prompt": gsm8k_prompt("Ann, Bob and Cy have 3 pens and 4 cups and more?"),
        "completion": completion,
        "label": 1,
    }
    batch = _batch(tokenizer, [short, long])
    # The same solution tokens carry the loss whatever the question.
    selected = [batch["input_ids"][row][batch["solution_mask"][row].bool()].tolist() for row in range(2)]
    assert selected[0] == selected[1] == tokenizer(completion)["input_ids"] + [tokenizer.eos_token_id]
    with torch.no_grad():
        values, lm_logits = model(batch["input_ids"], batch["attention_mask"], lm_positions(batch))
        question = batch["solution_mask"] == 0
        garbage = values.masked_fill(question, 100.0)
        for kind in ("mse", "bce"):
            assert value_loss(garbage, batch, kind) == pytest.approx(value_loss(values, batch, kind).item())
        # LM loss: only positions that predict a solution token enter it, the same ones whatever the question.
        for row in range(2):
            predicted = batch["input_ids"][row, 1:][lm_positions(batch)[row, :-1]].tolist()
            assert predicted == selected[row]
        assert lm_logits.shape[0] == sum(len(tokens) for tokens in selected)
        assert solution_lm_loss(lm_logits, batch).item() > 0


def test_value_loss_targets_the_label_at_every_solution_token(toy_model):
    _, tokenizer = load_causal_lm(toy_model)
    batch = _batch(tokenizer, toy_examples(range(1), seed=6))
    values = batch["label"][:, None].expand(batch["input_ids"].shape).clone()
    values[batch["attention_mask"] == 0] = 7.0  # padding is ignored
    assert value_loss(values, batch, "mse").item() == 0.0
    final = batch["attention_mask"].sum(dim=1) - 1
    values[0, final[0]] += 1.0  # one solution token off by 1
    n_solution_tokens = batch["solution_mask"].sum().item()
    assert value_loss(values, batch, "mse").item() == pytest.approx(1.0 / n_solution_tokens)


def test_balance_modes():
    examples = [{"prompt": "q", "completion": "c", "label": int(i < 2)} for i in range(8)]
    kept, weights = balance_examples(examples, "weight", seed=0)
    assert sum(w for e, w in zip(kept, weights) if e["label"]) == pytest.approx(
        sum(w for e, w in zip(kept, weights) if not e["label"])
    )
    kept, weights = balance_examples(examples, "subsample", seed=0)
    assert sorted(e["label"] for e in kept) == [0, 0, 1, 1] and weights == [1.0] * 4
    assert balance_examples(examples, "none", seed=0) == (examples, [1.0] * 8)


def test_within_prompt_balance_keeps_mixed_prompts_with_equal_class_weight():
    mixed = [{"prompt": "a", "completion": str(i), "label": int(i == 0)} for i in range(4)]
    solved = [{"prompt": "b", "completion": str(i), "label": 1} for i in range(3)]
    kept, weights = balance_examples(mixed + solved, "within_prompt", seed=0)
    assert kept == mixed
    assert weights == [2.0, 2 / 3, 2 / 3, 2 / 3]
    with pytest.raises(DataError, match="within_prompt"):
        balance_examples(solved, "within_prompt", seed=0)


def test_segments_end_at_their_last_token(toy_model):
    _, tokenizer = load_causal_lm(toy_model)
    segments = ["Ann so 3 pens.\n", "That is ok.\n", "#### 3"]
    encoded = encode_solution(tokenizer, gsm8k_prompt("Ann?"), segments)
    pieces, start = [], encoded.solution_start
    for end in encoded.segment_ends:
        pieces.append(tokenizer.decode(encoded.input_ids[start : end + 1]))
        start = end + 1
    assert pieces == segments[:2] + ["#### 3" + tokenizer.eos_token]


def test_truncation_keeps_the_end_of_the_solution(toy_model):
    _, tokenizer = load_causal_lm(toy_model)
    prompt, completion = gsm8k_prompt("Ann has 3 pens? " * 5), "Ann so 3 pens.\nThat is ok."
    full = encode_solution(tokenizer, prompt, completion)
    cut = encode_solution(tokenizer, prompt, completion, max_length=len(full.input_ids) - 4)
    assert cut.input_ids == full.input_ids[4:]
    assert cut.solution_start == full.solution_start - 4 and cut.segment_ends == [len(cut.input_ids) - 1]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"prompt": "q", "completion": "c"}, "'label'"),
        ({"prompt": "q", "completion": "c", "label": 2}, "'label'"),
        ({"prompt": "q", "label": 1}, "'completion'"),
    ],
)
def test_bad_examples_are_named(bad, message):
    with pytest.raises(DataError, match=rf"example 1: {message}"):
        check_verifier_examples([{"prompt": "q", "completion": "c", "label": True}, bad])


def test_settings_are_checked():
    with pytest.raises(ValueError, match="loss"):
        VerifierSettings(loss="hinge")
    with pytest.raises(ValueError, match="reduction"):
        score_solutions("unused", [], [], reduction="max")
