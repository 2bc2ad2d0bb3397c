"""Generators used as they are (stepwise/generators/prompting.py): prompting settings, the folder, the prompts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stepwise.config.registry import get_task
from stepwise.generators.prompting import (
    PROMPTING_FILE,
    Generator,
    Prompting,
    link_model,
    pretrained_prompting,
    read_prompting,
    render_prompt,
    write_prompting,
)
from stepwise.io import DataError
from stepwise.sampling import SamplingParams
from tests.public_prm_fixtures import CHATML, tiny_tokenizer

SETTINGS = {
    "source": "pretrained",
    "model": "some/model",
    "revision": None,
    "prompt": "fewshot",
    "system_prompt": None,
    "fewshot": 2,
    "step_format": "paragraphs",
    "stop": ["</s>"],
}
GOLD = [{"prompt": f"Question: q{i}\nAnswer:\n", "completion": f"s{i}\n#### {i}"} for i in range(5)]


def test_fewshot_prompting_takes_the_first_solved_problems_and_stops_at_a_next_problem():
    prompting = pretrained_prompting(SETTINGS, get_task("gsm8k"), GOLD)
    assert prompting.exemplars == (("Question: q0\nAnswer:\n", "s0\n#### 0"), ("Question: q1\nAnswer:\n", "s1\n#### 1"))
    assert prompting.stop == ("</s>", "\n\nQuestion:")
    assert pretrained_prompting(SETTINGS, get_task("math"), GOLD).stop[-1] == "\n\nProblem:"
    prompt = render_prompt(prompting, get_task("gsm8k"), "What is 2 + 3?")
    exemplars = "Question: q0\nAnswer:\ns0\n#### 0\n\nQuestion: q1\nAnswer:\ns1\n#### 1\n\n"
    assert prompt == exemplars + "Question: What is 2 + 3?\nAnswer:\n"
    with pytest.raises(DataError, match="gsm8k.generator.fewshot = 2 exemplars, but the training set has 1"):
        pretrained_prompting(SETTINGS, get_task("gsm8k"), GOLD[:1])


def test_chat_prompting_renders_the_template_with_one_bos(tmp_path):
    tokenizer = tiny_tokenizer(special=["<|im_start|>", "<|im_end|>"], chat_template="{{ bos_token }}" + CHATML)
    prompting = pretrained_prompting({**SETTINGS, "prompt": "chat", "system_prompt": "Be brief."}, get_task("math"), [])
    assert prompting.exemplars == () and prompting.stop == ("</s>",)
    text = render_prompt(prompting, get_task("math"), "What is 2 + 3?", tokenizer)
    assert text == (
        "<|endoftext|><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )  # this tokenizer adds no bos of its own: the template's stays
    tokenizer._tokenizer.post_processor = __import__("tokenizers").processors.TemplateProcessing(
        single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", tokenizer.bos_token_id)]
    )
    again = render_prompt(prompting, get_task("math"), "What is 2 + 3?", tokenizer)
    assert again == text.removeprefix("<|endoftext|>")  # the tokenizer adds it back: not twice
    assert tokenizer(again)["input_ids"].count(tokenizer.bos_token_id) == 1
    with pytest.raises(DataError, match="needs a tokenizer with a chat template"):
        render_prompt(prompting, get_task("math"), "x", tiny_tokenizer())


def test_the_generator_folder_links_the_model_and_holds_its_prompting(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights")
    out = tmp_path / "generator"
    link_model(model, out)
    prompting = Prompting("chat", "Be brief.", (), ("</s>",), "paragraphs", True)
    write_prompting(prompting, out)
    assert (out / "model.safetensors").is_symlink() and (out / "model.safetensors").read_bytes() == b"weights"
    assert read_prompting(out) == prompting
    generator = Generator.from_folder(out, get_task("math"))
    assert generator.step_format == "paragraphs" and generator.stop == ("</s>",)
    # A fine-tuned generator has no prompting file: the task's prompt, step format and answers.
    assert Generator.from_folder(model, get_task("math")).step_format == "prm800k"
    # Its solutions end after their answer line; a free-form one's at eos or its stop strings.
    params = SamplingParams(stop=("x",), end_after_answer="gsm8k")
    assert Generator.from_folder(model, get_task("math")).sampling_params(params) == replace(
        params, stop=(), end_after_answer="prm800k"
    )
    assert generator.sampling_params(params) == replace(params, stop=("</s>",), end_after_answer=None)
    assert read_prompting(model) == Prompting()
    (out / PROMPTING_FILE).unlink()
    (out / PROMPTING_FILE).write_text('{"style": "chat"}')
    with pytest.raises(DataError, match="not a generator's prompting file"):
        read_prompting(out)
