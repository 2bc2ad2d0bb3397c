"""The demo's tiny model: a byte-level BPE tokenizer trained offline on the demo
corpus and a small Llama-architecture config initialised at random, saved as an
ordinary Hugging Face model folder so that every later stage loads it exactly as
it would load a pretrained model.

A number written after ``=`` tokenizes as it does on its own, so the
calculator's forced results (``=105>>``) match the model's own tokens. With ``split_digits`` every
digit is its own token and the space before a number is a token of its own (as
in the Llama 3 and Qwen2.5 tokenizers). Without it the split is GPT-2's: BPE
learns frequent numbers as single tokens that keep their leading space
(``" 15"``), just as words do. Then taking a quantity from the question is one
plain copy (``reads`` -> `` 15`` in "She reads 15 pages"), which a model this
small learns within the demo's budget; with a separate space token it has to
match two tokens back and mostly fails.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

END_OF_TEXT = "<|endoftext|>"
PAD = "<|pad|>"


@dataclass(frozen=True)
class TinyArchitecture:
    """Size of the tiny Llama; defaults give about 3M parameters with a 2k vocabulary."""

    vocab_size: int = 2048
    hidden_size: int = 256
    intermediate_size: int = 704
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    max_position_embeddings: int = 1024
    rope_theta: float = 10000.0
    dropout: float = 0.0
    split_digits: bool = True


def demo_corpus(gsm8k_path: str | os.PathLike, math_path: str | os.PathLike) -> list[str]:
    """The tiny model's corpus: every training problem of both tasks with its solution, as the
    generators will read and write them. Its tokenizer is trained on it, and the model pretrained."""
    from stepwise.data.gsm8k import load_gsm8k
    from stepwise.data.math import load_math
    from stepwise.formats.prompts import gsm8k_prompt, math_prompt

    texts = [gsm8k_prompt(p.question) + p.answer for p in load_gsm8k(gsm8k_path)]
    return texts + [math_prompt(p.problem) + p.solution for p in load_math(math_path)]


def train_tokenizer(texts: Iterable[str], vocab_size: int, split_digits: bool = True):
    """Train a byte-level BPE tokenizer on ``texts``; returns a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    if split_digits:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
        )
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END_OF_TEXT, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=END_OF_TEXT,
        bos_token=END_OF_TEXT,
        pad_token=PAD,
        clean_up_tokenization_spaces=False,
    )


def build_tiny_model(texts: Iterable[str], out_dir: str | os.PathLike, arch: TinyArchitecture, seed: int = 0) -> int:
    """Train the tokenizer on ``texts``, initialise the model, save both to ``out_dir``.

    Returns the number of model parameters.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = train_tokenizer(texts, arch.vocab_size, arch.split_digits)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=arch.hidden_size,
        intermediate_size=arch.intermediate_size,
        num_hidden_layers=arch.num_hidden_layers,
        num_attention_heads=arch.num_attention_heads,
        num_key_value_heads=arch.num_key_value_heads,
        max_position_embeddings=arch.max_position_embeddings,
        rope_theta=arch.rope_theta,
        attention_dropout=arch.dropout,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    params = sum(p.numel() for p in model.parameters())
    log.info(
        "tiny model: %s, %d tokens in vocabulary, %.2fM parameters -> %s",
        asdict(arch),
        len(tokenizer),
        params / 1e6,
        out_dir,
    )
    return params
