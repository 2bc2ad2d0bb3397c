"""Off-the-shelf generators through the demo DAG: models with a chat template, used as they are.

The tiny run's fine-tuned generators, their tokenizers given a chat template
(built here, offline), stand in for instruct models: ``<task>.generator.source:
pretrained`` names them, and the whole DAG of both tasks -- sampling with the
chat prompt, answers read from free-form text, verifier and ORM, PRMs trained
from them and scoring, Math-Shepherd labels, ProcessBench, tables -- runs on
their samples with no SFT. MATH's samples split into steps at blank lines.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from stepwise.config.registry import get_task
from stepwise.formats.steps import split_steps
from stepwise.generators.prompting import PROMPTING_FILE, Prompting, read_prompting, render_prompt
from stepwise.io import read_jsonl
from tests.workflow import deep_update, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.slow

# Each task's chat template lays the user's turn out as the task's prompt, the system turn on a line before it.
TEMPLATES = {
    "gsm8k": "{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}\n{% elif m['role'] == 'user' %}"
    "Question: {{ m['content'] }}\nAnswer:\n{% endif %}{% endfor %}",
    "math": "{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}\n{% elif m['role'] == 'user' %}"
    "Problem: {{ m['content'] }}\nSolution:\n{% endif %}{% endfor %}",
}
STEP_FORMATS = {"gsm8k": "gsm8k", "math": "paragraphs"}


def chat_model(run, task, folder):
    from transformers import AutoTokenizer

    shutil.copytree(run.results / "models" / f"{task}_generator", folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = TEMPLATES[task]
    tokenizer.save_pretrained(folder)
    return folder


def test_chat_models_as_generators_through_the_dag(tiny_run_copy, tmp_path):
    run, results = tiny_run_copy, tiny_run_copy.results
    generators = {
        task: {
            "source": "pretrained",
            "model": str(chat_model(run, task, tmp_path / f"{task}-chat")),
            "prompt": "chat",
            "system_prompt": None,
            "step_format": STEP_FORMATS[task],
        }
        for task in ("gsm8k", "math")
    }
    # Test-time search reads the generator folder as sampling does (tests/test_workflow_search.py runs it): off here,
    # to keep the suite's time.
    overrides = {**{task: {"generator": g} for task, g in generators.items()}, "search": {"tasks": []}}
    config = write_config(run.workdir, deep_update(run.config, overrides))
    planned = planned_jobs(run.workdir)
    assert planned["pretrained_generator"] == 2
    assert not {"sft_generator", "sft_data"} & set(planned)  # no SFT of either generator
    assert planned["sample_shard"] == 4 and planned["shepherd_train_prm"] == 2 and planned["prm800k_train_prm"] == 1
    snakemake(run.workdir, "--cores", "2", timeout=1800)

    for task, step_format in STEP_FORMATS.items():
        folder = results / "models" / f"{task}_generator"
        assert (folder / "config.json").is_symlink() and (folder / PROMPTING_FILE).is_file()
        prompting = read_prompting(folder)
        assert (prompting.style, prompting.step_format, prompting.free_form_answers) == ("chat", step_format, True)
        samples = read_jsonl(results / task / "samples" / "test.jsonl")
        # Answers read from the text the free-form way: the model still writes its task's answer line.
        assert (
            sum(s["correct"] for s in samples) > 0 and sum(s["answer"] is not None for s in samples) > len(samples) / 2
        )
        # The PRMs' step scores follow the generator's step format.
        for scorer in ("prm800k_prm", "shepherd_prm") if task == "math" else ("shepherd_prm",):
            scored = read_jsonl(results / task / "step_scores" / "test" / f"{scorer}.jsonl")
            assert [len(r[scorer]) for r in scored] == [
                len(split_steps(s["text"], step_format) or [""]) for s in samples
            ]
        table = pd.read_csv(results / task / "accuracy.csv")
        assert {"greedy", "majority", get_task(task).outcome_verifier, "shepherd_prm_min"} <= set(table["method"])
        shepherd = json.loads((results / "shepherd" / task / "stats.json").read_text())
        assert shepherd  # labels were made by the pretrained generator's completions
    # ...which differ from the lines the task's own format would split them into.
    texts = [s["text"] for s in read_jsonl(results / "math/samples/test.jsonl")]
    assert any(split_steps(text, "paragraphs") != split_steps(text, "prm800k") for text in texts)
    assert set(pd.read_csv(results / "combined_accuracy.csv")["task"]) == {"gsm8k", "math"}
    assert config["gsm8k"]["generator"]["source"] == "pretrained"


def test_the_chat_prompt_is_the_templates_rendering(tiny_run, tmp_path):
    from transformers import AutoTokenizer

    folder = chat_model(tiny_run, "gsm8k", tmp_path / "chat")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    task = get_task("gsm8k")
    plain = render_prompt(Prompting(style="chat"), task, "What is 2 + 3?", tokenizer)
    assert plain == task.prompt("What is 2 + 3?")  # this template lays the turn out as the task does
    system = render_prompt(Prompting(style="chat", system_prompt="Think."), task, "What is 2 + 3?", tokenizer)
    assert system == "Think.\n" + plain
    fewshot = Prompting(style="fewshot", exemplars=(("Question: 1+1?\nAnswer:\n", "1+1=2\n#### 2"),))
    assert render_prompt(fewshot, task, "What is 2 + 3?") == "Question: 1+1?\nAnswer:\n1+1=2\n#### 2\n\n" + plain
