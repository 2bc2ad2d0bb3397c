"""A toy generator for sampling tests and benchmarks, trained in seconds on a CPU.

The demo's tiny Llama (:mod:`stepwise.models.tiny`) trained for a few hundred
steps on demo GSM8K solutions writes solutions in the GSM8K format, with
calculator annotations whose results it mostly gets wrong, so the calculator
has work to do. Two probe prompts are memorized so that tests can rely on
exact behaviour: one writes a wrong annotation result (``<<3*5=16>>``), the other
an annotation the calculator must refuse (``<<x*2=8>>``).
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer

from stepwise.demo.gsm8k import generate_gsm8k
from stepwise.formats.prompts import gsm8k_prompt
from stepwise.models.tiny import TinyArchitecture, build_tiny_model

log = logging.getLogger(__name__)

WRONG_RESULT_PROBE = (gsm8k_prompt("What is three times five?"), "It is 3*5 = <<3*5=16>>16.\n#### 16")
REFUSED_PROBE = (gsm8k_prompt("What is twice x?"), "It is x*2 = <<x*2=8>>8.\n#### 8")
TOY_ARCHITECTURE = TinyArchitecture(
    vocab_size=512,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=2,
    max_position_embeddings=512,
)


def toy_corpus(n_problems: int, seed: int) -> list[str]:
    """Prompt + solution texts: short demo problems, and each probe a sixth of the total."""
    problems = generate_gsm8k(n_problems, seed, "train", max_steps=3, max_number=12)
    texts = [gsm8k_prompt(p["question"]) + p["answer"] for p in problems]
    probes = [prompt + solution for prompt, solution in (WRONG_RESULT_PROBE, REFUSED_PROBE)]
    return texts + probes * (n_problems // 4)


def train_toy_model(
    out_dir: str | os.PathLike,
    *,
    n_problems: int = 400,
    steps: int = 200,
    batch_size: int = 16,
    learning_rate: float = 5e-3,
    seed: int = 0,
) -> Path:
    """Build the tiny model in ``out_dir`` and train it on :func:`toy_corpus`; returns ``out_dir``."""
    texts = toy_corpus(n_problems, seed)
    build_tiny_model(texts, out_dir, TOY_ARCHITECTURE, seed=seed)
    tokenizer = AutoTokenizer.from_pretrained(out_dir)
    model = AutoModelForCausalLM.from_pretrained(out_dir)
    examples = [tokenizer(text)["input_ids"] + [tokenizer.eos_token_id] for text in texts]
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=steps, pct_start=0.1)
    model.train()
    progress = tqdm(range(steps), desc="training toy model", unit="step", disable=None)
    with _one_thread():
        for _ in progress:
            input_ids, attention_mask = _padded(rng.sample(examples, batch_size), tokenizer.pad_token_id)
            labels = input_ids.masked_fill(attention_mask == 0, -100)
            loss = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            progress.set_postfix(loss=f"{loss.item():.3f}")
    model.save_pretrained(out_dir)
    log.info("toy model: %d steps on %d texts, final loss %.3f -> %s", steps, len(texts), loss.item(), out_dir)
    return Path(out_dir)


@contextmanager
def _one_thread():
    """Run torch on one thread: 64-wide matrices gain little from more, and on a
    busy 2-core machine two threads made training 8x slower (230 s against 27 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _padded(batch: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and their attention mask."""
    length = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), length), pad_id)
    attention_mask = torch.zeros((len(batch), length), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


def ensure_toy_model(out_dir: str | os.PathLike, **train_kwargs) -> Path:
    """``out_dir`` holding the toy model: trained unless a finished one is there.

    Training happens in a temporary sibling folder renamed at the end, so a
    folder at ``out_dir`` is always complete.
    """
    out = Path(out_dir)
    if out.is_dir():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        train_toy_model(work, **train_kwargs)
        work.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
