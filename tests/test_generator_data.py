"""The generator's SFT data: MATH references in steps, and few-shot samples kept only when correct."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from stepwise.answers.check import AnswerChecker
from stepwise.answers.extract import extract_answer
from stepwise.config.registry import get_task
from stepwise.data.math import MATHProblem, load_math
from stepwise.formats.prompts import math_prompt
from stepwise.generators.sft_data import (
    GeneratorDataSettings,
    cut_after_answer,
    fewshot_examples,
    fewshot_prompt,
    split_exemplars,
)
from stepwise.io import read_jsonl, write_jsonl
from stepwise.sampling.base import Generation, SamplingParams
from tests.workflow import ROOT


def problem(index: int, answer: str) -> MATHProblem:
    solution = f"It is $\\boxed{{{answer}}}$."
    return MATHProblem(f"Find the value of item {index}.", solution, answer, "Algebra", 1, f"p{index}")


class ScriptedSampler:
    """Answers each prompt with the texts scripted for its problem, and records what it was asked."""

    backend = "scripted"

    def __init__(self, texts: dict[str, list[str]]):
        self.texts = texts
        self.calls: list[tuple[list[str], SamplingParams]] = []

    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        self.calls.append((prompts, params))
        out = []
        for prompt in prompts:
            question = prompt.rsplit("Problem: ", 1)[1].split("\n", 1)[0]
            texts = self.texts[question][: params.n]
            out.append([Generation(text, 10, "stop") for text in texts])
        return out


def test_cut_after_answer_drops_what_a_prompted_model_writes_next():
    assert cut_after_answer("Step one.\n# Answer\n\n7\n\nProblem: next\nSolution:\n...") == "Step one.\n# Answer\n\n7"
    assert cut_after_answer("Step one.\n# Answer\n\n  \\frac12  \nmore") == "Step one.\n# Answer\n\n  \\frac12"
    assert cut_after_answer("Step one.\nProblem: next") is None
    assert cut_after_answer("Step one.\n# Answer\n\n") is None


def test_exemplars_are_drawn_by_seed_and_not_sampled():
    problems = [problem(i, str(i)) for i in range(10)]
    exemplars, rest = split_exemplars(problems, 3, seed=1)
    assert len(exemplars) == 3 and len(rest) == 7
    assert {p.problem_id for p in exemplars + rest} == {f"p{i}" for i in range(10)}
    assert split_exemplars(problems, 3, seed=1) == (exemplars, rest)
    prompt = fewshot_prompt(exemplars, rest[0])
    assert prompt.endswith(math_prompt(rest[0].problem)) and prompt.count("# Answer\n\n") == 3
    with pytest.raises(ValueError, match="more than k=10"):
        split_exemplars(problems, 10, seed=0)


def test_only_correct_distinct_samples_are_kept_and_counted():
    problems = [problem(i, str(i)) for i in range(6)]
    settings = GeneratorDataSettings(source="fewshot", k=2, n=4, problems=3, seed=0)
    _, rest = split_exemplars(problems, 2, seed=0)
    targets = rest[:3]
    right = {p.problem: f"Add zero.\n# Answer\n\n{p.answer}\n\nProblem: junk" for p in targets}
    texts = {
        targets[0].problem: [right[targets[0].problem], right[targets[0].problem], "Add.\n# Answer\n\n99", "no answer"],
        targets[1].problem: ["Add.\n# Answer\n\n99"] * 4,
        targets[2].problem: [right[targets[2].problem], f"Other way.\n# Answer\n\n{targets[2].answer}.0", "x", "y"],
    }
    sampler = ScriptedSampler(texts)
    task = get_task("math")
    with AnswerChecker(kind="math") as checker:
        examples, counts = fewshot_examples(sampler, problems, settings, task.extract, checker.equal)
    ((prompts, params),) = sampler.calls
    assert len(prompts) == 3 and params.n == 4 and params.temperature == settings.temperature
    assert dict(counts) == {"problems": 3, "samples": 12, "with_answer": 9, "correct": 4, "kept": 3, "problems_kept": 2}
    assert [e["prompt"] for e in examples] == [math_prompt(targets[i].problem) for i in (0, 2, 2)]
    assert examples[0]["completion"] == f"Add zero.\n# Answer\n\n{targets[0].answer}"  # cut before "Problem: junk"


@pytest.mark.slow
def test_fewshot_path_runs_with_a_tiny_prompted_model_and_keeps_only_correct_answers(tmp_path):
    """scripts/sft_data_fewshot.py end to end with a tiny model as the prompted model.

    A randomly initialised tiny model never writes an answer line, so the prompted
    model is a tiny one fine-tuned to answer every few-shot prompt with "2": right
    for the problems whose answer is 2, wrong for those whose answer is 3.
    """
    from stepwise.models.tiny import TinyArchitecture, build_tiny_model
    from stepwise.training.sft import SFTSettings, train_sft

    dataset = tmp_path / "math_train.jsonl"
    write_jsonl(dataset, [problem(i, str(2 + i % 2)).to_record() for i in range(13)])
    problems = load_math(dataset)
    settings = {
        "source": "fewshot",
        "model": str(tmp_path / "prompted"),
        "k": 1,
        "n": 4,
        "temperature": 0.5,
        "max_tokens": 48,
        "problems": None,
        "seed": 0,
    }
    exemplars, targets = split_exemplars(problems, settings["k"], settings["seed"])
    always_two = "Add zero to the number.\n# Answer\n\n2"
    shots = [{"prompt": fewshot_prompt(exemplars, p), "completion": always_two} for p in targets]
    tiny = tmp_path / "tiny"
    arch = TinyArchitecture(
        vocab_size=300,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    build_tiny_model([e["prompt"] + e["completion"] for e in shots], tiny, arch)
    train_sft(tiny, shots, tmp_path / "prompted", SFTSettings(epochs=20, learning_rate=5e-3, batch_size=4))

    out = tmp_path / "sft_data.jsonl"
    sampling = {"backend": "hf", "batch_size": 32, "gpu_memory_utilization": 0.3, "max_model_len": None}
    base = tmp_path / "base.json"  # the base-model pointer; unused, since the prompted model is a folder
    base.write_text(json.dumps({"model": str(tiny)}))
    command = [
        sys.executable,
        str(ROOT / "scripts" / "sft_data_fewshot.py"),
        "--task",
        "math",
        "--dataset",
        str(dataset),
        "--base",
        str(base),
        "--gpus",
        "0",
        "--out",
        str(out),
        "--settings",
        json.dumps({"generator_data": settings, "sampling": sampling}),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    line = re.search(r"fewshot: (problems \d+, .*)", result.stderr).group(1)
    counts = {key: int(value) for key, value in re.findall(r"(\w+) (\d+)", line)}
    assert counts["problems"] == len(targets) == 12 and counts["samples"] == 12 * 4
    kept = read_jsonl(out)
    assert len(kept) == counts["kept"] > 0
    assert counts["correct"] < counts["with_answer"]  # the "2" answers to answer-3 problems were dropped
    answers = {math_prompt(p.problem): p.answer for p in targets}
    assert {answers[e["prompt"]] for e in kept} == {"2"}  # zero-shot prompts of sampled answer-2 problems only
    assert len({(e["prompt"], e["completion"]) for e in kept}) == len(kept)
    with AnswerChecker(kind="math") as checker:
        assert all(checker.equal(extract_answer(e["completion"]), answers[e["prompt"]]) for e in kept)
