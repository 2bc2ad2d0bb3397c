"""Generator SFT with trl: completion-only labels, memorisation, resuming, bad input."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from stepwise.formats.prompts import gsm8k_prompt
from stepwise.io import DataError
from stepwise.models.tiny import TinyArchitecture, build_tiny_model
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.sft import SFTSettings, build_sft_trainer, train_sft

pytestmark = pytest.mark.slow

EOS = "<|endoftext|>"
TOY_ARCHITECTURE = TinyArchitecture(
    vocab_size=400,
    hidden_size=48,
    intermediate_size=96,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=2,
    max_position_embeddings=256,
)
COLOURS = ["red", "blue", "green", "yellow"]
ANIMALS = ["cat", "horse", "owl", "zebra"]


def toy_examples() -> list[dict[str, str]]:
    """Four prompt-completion pairs of different lengths whose completions must be memorised."""
    return [
        {
            "prompt": gsm8k_prompt(f"What does the {animal} like?"),
            "completion": f"{' and '.join(COLOURS[: index + 1])} hats.\n#### {index}{EOS}",
        }
        for index, animal in enumerate(ANIMALS)
    ]


def make_tiny_model(out_dir: Path, texts: list[str], seed: int = 0) -> Path:
    """A toy-sized Llama and tokenizer trained on ``texts`` (shared with the verifier tests)."""
    build_tiny_model(texts, out_dir, TOY_ARCHITECTURE, seed=seed)
    return out_dir


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory) -> Path:
    texts = [e["prompt"] + e["completion"] for e in toy_examples()]
    return make_tiny_model(tmp_path_factory.mktemp("toy") / "model", texts)


FAST = SFTSettings(epochs=1, learning_rate=3e-3, batch_size=4, max_length=128, warmup_ratio=0.0, logging_steps=1)


def test_prompt_tokens_get_label_minus_100(toy_model, tmp_path):
    trainer = build_sft_trainer(toy_model, toy_examples(), tmp_path / "out", FAST)
    tokenizer = trainer.processing_class
    for row, example in zip(trainer.train_dataset, toy_examples()):
        n_prompt = len(tokenizer(example["prompt"])["input_ids"])
        assert row["labels"][:n_prompt] == [-100] * n_prompt
        assert row["labels"][n_prompt:] == row["input_ids"][n_prompt:]
        assert row["input_ids"][-1] == tokenizer.eos_token_id
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(3)])
    padding = batch["input_ids"] == tokenizer.pad_token_id
    assert padding.any() and (batch["labels"][padding] == -100).all()


def test_pretraining_texts_train_on_every_token(toy_model, tmp_path):
    texts = [{"text": e["prompt"] + e["completion"]} for e in toy_examples()]
    trainer = build_sft_trainer(toy_model, texts, tmp_path / "out", FAST)
    for row in trainer.train_dataset:
        assert row["input_ids"][-1] == trainer.processing_class.eos_token_id
        assert "labels" not in row or -100 not in row["labels"]
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(3)])
    padding = batch["input_ids"] == trainer.processing_class.pad_token_id
    assert (batch["labels"][~padding] == batch["input_ids"][~padding]).all()
    assert (batch["labels"][padding] == -100).all()


def _load(model_dir: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(model_dir).eval(), AutoTokenizer.from_pretrained(model_dir)


def _greedy_completion(model_dir: Path, prompt: str) -> str:
    model, tokenizer = _load(model_dir)
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=40, do_sample=False, eos_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=False)


def _completion_loss(model_dir: Path, examples: list[dict[str, str]]) -> float:
    """Mean next-token loss of the completions given their prompts."""
    model, tokenizer = _load(model_dir)
    losses = []
    for example in examples:
        prompt_ids = tokenizer(example["prompt"])["input_ids"]
        ids = torch.tensor([prompt_ids + tokenizer(example["completion"])["input_ids"]])
        labels = ids.clone()
        labels[0, : len(prompt_ids)] = -100
        with torch.no_grad():
            losses.append(model(input_ids=ids, labels=labels).loss.item())
    return sum(losses) / len(losses)


def test_sft_lowers_loss_and_memorises_completions(toy_model, tmp_path):
    settings = SFTSettings(
        epochs=60,
        learning_rate=1e-2,
        batch_size=4,
        max_length=128,
        warmup_ratio=0.0,
        lr_scheduler="constant",
        save_steps=20,
    )
    out = tmp_path / "sft"
    metrics = train_sft(toy_model, toy_examples(), out, settings)
    assert metrics["tokens_per_second"] > 0
    assert (out / "config.json").is_file() and (out / "tokenizer.json").is_file()
    assert not list(out.glob("checkpoint-*"))
    assert _completion_loss(out, toy_examples()) < 0.1 * _completion_loss(toy_model, toy_examples())
    for example in toy_examples():
        assert _greedy_completion(out, example["prompt"]) == example["completion"]


def test_restarted_job_resumes_from_last_checkpoint(toy_model, tmp_path, caplog):
    out = tmp_path / "sft"
    interrupted = build_sft_trainer(
        toy_model,
        toy_examples(),
        out,
        SFTSettings(epochs=1, learning_rate=3e-3, batch_size=1, max_length=128, save_steps=2),
    )
    interrupted.train()  # 4 steps; checkpoints at steps 2 and 4, the last one kept
    assert (out / "checkpoint-4").is_dir()
    with caplog.at_level(logging.INFO, logger="stepwise.training.sft"):
        metrics = train_sft(
            toy_model,
            toy_examples(),
            out,
            SFTSettings(epochs=2, learning_rate=3e-3, batch_size=1, max_length=128, save_steps=2),
        )
    assert "resuming from" in caplog.text and "checkpoint-4" in caplog.text
    assert metrics["epoch"] == pytest.approx(2.0)
    assert (out / "model.safetensors").is_file() and not list(out.glob("checkpoint-*"))


def test_a_separate_checkpoint_folder_is_resumed_then_removed(toy_model, tmp_path, caplog):
    # Snakemake deletes a job's output folder before rerunning it: the workflow keeps checkpoints apart.
    out, checkpoints = tmp_path / "model", tmp_path / "checkpoints"
    run = {"model": fingerprint(toy_model), "settings": "sft"}
    claim_checkpoint_dir(checkpoints, run)
    settings = SFTSettings(epochs=1, learning_rate=3e-3, batch_size=1, max_length=128, save_steps=2)
    build_sft_trainer(toy_model, toy_examples(), checkpoints, settings).train()  # the killed job's checkpoints
    claim_checkpoint_dir(checkpoints, run)  # the restarted job: same run, checkpoints kept
    assert (checkpoints / "checkpoint-4").is_dir()
    with caplog.at_level(logging.INFO, logger="stepwise.training.sft"):
        train_sft(toy_model, toy_examples(), out, replace(settings, epochs=2), checkpoint_dir=checkpoints)
    assert "resuming from" in caplog.text and str(checkpoints / "checkpoint-4") in caplog.text
    assert (out / "model.safetensors").is_file() and not checkpoints.exists()


def test_checkpoints_of_another_run_are_discarded(tmp_path, caplog):
    checkpoints = tmp_path / "checkpoints"
    claim_checkpoint_dir(checkpoints, {"settings": {"learning_rate": 1e-3}})
    (checkpoints / "checkpoint-2").mkdir()
    claim_checkpoint_dir(checkpoints, {"settings": {"learning_rate": 1e-3}})
    assert (checkpoints / "checkpoint-2").is_dir()
    with caplog.at_level(logging.WARNING, logger="stepwise.training.checkpoints"):
        claim_checkpoint_dir(checkpoints, {"settings": {"learning_rate": 2e-3}})  # the config changed meanwhile
    assert not (checkpoints / "checkpoint-2").exists() and "another run" in caplog.text
    (tmp_path / "stray").mkdir()  # a folder without a run record is not resumed either
    (tmp_path / "stray" / "checkpoint-1").mkdir()
    claim_checkpoint_dir(tmp_path / "stray", {"settings": {}})
    assert not (tmp_path / "stray" / "checkpoint-1").exists()


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"prompt": "q"}, "completion"),
        ({"prompt": 3, "completion": "a"}, "prompt"),
        ({"prompt": "q", "completion": ""}, "completion"),
    ],
)
def test_bad_examples_are_named(toy_model, tmp_path, bad, key):
    with pytest.raises(DataError, match=rf"example 1: .*'{key}'"):
        build_sft_trainer(toy_model, [toy_examples()[0], bad], tmp_path / "out", FAST)
