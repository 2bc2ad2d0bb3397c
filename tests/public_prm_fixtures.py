"""Tiny PRMs in the public models' conventions, built offline with random weights (for the tests).

- ``step_tag``: a causal LM whose tokenizer has Math-Shepherd's tag ``ки`` as a token;
- ``token_classification``: a 2-class token classifier whose tokenizer has a ChatML chat template and
  Qwen's separator ``<extra_0>``; with ``remote_code`` the folder also ships its own model class
  (``modeling_tiny_prm.py``, named in the config's ``auto_map``), as Qwen2.5-Math-PRM does;
- ``chat_turns``: a causal LM whose tokenizer has a Llama-3-style chat template.

The tokenizers are byte-level BPEs trained on a small corpus of step-by-step solutions (the demo
tiny model's trainer). Weights are drawn with a wider initialiser range than usual, so that scores spread
over (0, 1) rather than sitting at 0.5, and a test comparing them means something.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from stepwise.models.tiny import train_tokenizer

CORPUS = [
    f"Step {k}: {a} + {b} = {a + b} ки\nStep {k + 1}: {a + b} - {b} = {a} ки + - + -"
    for k in range(1, 4)
    for a in range(2, 30, 3)
    for b in range(1, 20, 4)
] + ["The answer is \\boxed{12}.", "Janet has 16 eggs and eats 3 of them.", "What is 7 times 8?"]

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LLAMA3_STYLE = (
    "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n"
    "{{ message['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)

REMOTE_MODEL_CODE = '''"""A model class of its own, as a hub repository with trust_remote_code ships one."""
from transformers import LlamaForTokenClassification


class TinyRemoteProcessRewardModel(LlamaForTokenClassification):
    """A Llama token classifier under another name: loaded only through the folder's auto_map."""
'''


def tiny_tokenizer(special: list[str] = (), added: list[str] = (), chat_template: str | None = None):
    tokenizer = train_tokenizer(CORPUS, vocab_size=400, split_digits=False)
    if special:
        tokenizer.add_special_tokens({"additional_special_tokens": list(special)})
    if added:
        tokenizer.add_tokens(list(added))
    if chat_template:
        tokenizer.chat_template = chat_template
    return tokenizer


def tiny_llama_config(tokenizer, **extra):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        initializer_range=0.2,
        pad_token_id=tokenizer.pad_token_id,
        **extra,
    )


def save(model, tokenizer, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_step_tag_prm(folder: Path, seed: int = 0) -> Path:
    """A Math-Shepherd-style PRM: a causal LM read at ``ки`` over the tokens of ``"+ -"``."""
    from transformers import LlamaForCausalLM

    tokenizer = tiny_tokenizer(added=["ки"])
    torch.manual_seed(seed)
    return save(LlamaForCausalLM(tiny_llama_config(tokenizer)), tokenizer, folder)


def build_token_classification_prm(folder: Path, seed: int = 0, remote_code: bool = False) -> Path:
    """A Qwen2.5-Math-PRM-style PRM: a 2-class token classifier with ``<extra_0>`` and a ChatML template."""
    from transformers import LlamaForTokenClassification

    tokenizer = tiny_tokenizer(special=["<|im_start|>", "<|im_end|>", "<extra_0>"], chat_template=CHATML)
    torch.manual_seed(seed)
    model = LlamaForTokenClassification(tiny_llama_config(tokenizer, num_labels=2))
    save(model, tokenizer, folder)
    if remote_code:
        (folder / "modeling_tiny_prm.py").write_text(REMOTE_MODEL_CODE)
        config = json.loads((folder / "config.json").read_text())
        config["auto_map"] = {"AutoModel": "modeling_tiny_prm.TinyRemoteProcessRewardModel"}
        (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


def build_chat_turns_prm(folder: Path, seed: int = 0) -> Path:
    """An RLHFlow-style PRM: a causal LM with a Llama-3-style chat template, read for "+" against "-"."""
    from transformers import LlamaForCausalLM

    tokenizer = tiny_tokenizer(
        special=["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
        chat_template=LLAMA3_STYLE,
    )
    tokenizer.bos_token = "<|begin_of_text|>"
    torch.manual_seed(seed)
    return save(LlamaForCausalLM(tiny_llama_config(tokenizer)), tokenizer, folder)


BUILDERS = {
    "step_tag": build_step_tag_prm,
    "token_classification": build_token_classification_prm,
    "chat_turns": build_chat_turns_prm,
}
