"""Test-time search (stepwise.search): the algorithms on a toy tree with a known best path, step-wise
generation on both backends (vLLM for real, in a subprocess), the guides, the records and the script."""

from __future__ import annotations

import json
import os
import random
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from stepwise.answers.extract import extract_hash_answer
from stepwise.answers.numbers import gsm8k_equal
from stepwise.config.registry import get_task
from stepwise.demo.gsm8k import generate_gsm8k
from stepwise.formats.prompts import gsm8k_prompt
from stepwise.io import DataError
from stepwise.models.collate import encode_solution
from stepwise.models.prm import single_token_id
from stepwise.models.prm_inputs import encode_steps
from stepwise.sampling import Generation, SamplingParams
from stepwise.sampling.hf_backend import HFSampler
from stepwise.scoring.prm import score_steps
from stepwise.scoring.verifier import score_solutions, token_scores
from stepwise.search.best_of_n import best_of_n_records
from stepwise.search.candidates import Candidate
from stepwise.search.guides import PRMGuide, VerifierGuide, sibling_groups
from stepwise.search.records import read_search_records, write_search_records
from stepwise.search.runner import SearchProblem, SearchSettings, run_search, search_record
from stepwise.search.step_generator import Step, StepGenerator
from stepwise.selection.aggregate import aggregate_steps
from tests.toy_model import REFUSED_PROBE, WRONG_RESULT_PROBE

REPO_ROOT = Path(__file__).resolve().parents[1]
GSM8K = get_task("gsm8k")


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """As in tests/test_sampling.py: one torch thread for the toy models (tests/conftest.py)."""


def settings(**changes) -> SearchSettings:
    values = dict(
        budgets=(8,),
        beam_width=4,
        max_steps=8,
        step_max_tokens=48,
        temperature=0.8,
        top_p=1.0,
        aggregation="last",
        problems=None,
        seed=4,
        lookahead=0,
    )
    return SearchSettings(**{**values, **changes})


# ---------------------------------------------------------------- a toy tree with a known best path

PROBLEM = SearchProblem("p0", "Question: the secret?\nAnswer:\n", "the secret?", "42")
SECRET = ["s1", "s2", "s3", "#### 42"]  # the one right path; every other step is wrong


class TreeSampler:
    """Continuations of a prefix: on the secret path one of them (at a seeded index) is its next secret step,
    the others wrong steps, a quarter of them finishing with a wrong answer and some cut at max tokens."""

    backend = "toy"

    def __init__(self):
        self.calls: list[tuple[list[str], int]] = []

    def generate(self, prompts, params):
        assert params.stop[0] == "\n"
        self.calls.append((list(prompts), params.n))
        out = []
        for prompt in prompts:
            done = prompt[len(PROBLEM.prompt) :].split("\n")[:-1]
            rng = random.Random(f"{params.seed}|{prompt}")
            secret = rng.randrange(params.n) if done == SECRET[: len(done)] else None
            generations = []
            for i in range(params.n):
                roll = rng.random()
                if i == secret:
                    text = SECRET[len(done)]
                elif roll < 0.1:
                    generations.append(Generation("w cut", params.max_tokens, "length"))
                    continue
                else:
                    text = "#### 7" if roll < 0.35 else f"w{rng.randrange(10**6)}"
                eos = text.startswith("####")
                generations.append(Generation(text, 3, "stop", None if eos else "\n"))
            out.append(generations)
        return out


class SecretGuide:
    """Scores a partial solution by how far it follows the secret path (a tenth for each wrong step's company)."""

    def __init__(self):
        self.forwarded_tokens = 0

    def evaluate(self, problems, solutions, finished):
        scores = []
        for text in solutions:
            steps = text.split("\n")
            on_path = steps == SECRET[: len(steps)]
            scores.append(0.5 + 0.1 * len(steps) if on_path else 0.1 / len(steps))
        tokens = [len(text) for text in solutions]
        self.forwarded_tokens += sum(tokens)
        return scores, tokens


class CountingSteps(StepGenerator):
    """Records the continuations asked for in every call (sampled ones; greedy rollouts apart)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[int] = []

    def generate(self, prompts, counts, seed, greedy=False):
        if not greedy:
            self.asked.append(sum(counts))
        return super().generate(prompts, counts, seed, greedy)


def toy_steps(sampler=None, **kwargs) -> CountingSteps:
    return CountingSteps(sampler or TreeSampler(), "gsm8k", temperature=0.8, top_p=1.0, max_tokens=32, **kwargs)


@pytest.mark.parametrize("method", ["beam_search", "dvts", "lookahead"])
def test_each_method_finds_the_known_best_path_within_its_budget(method):
    steps = toy_steps()
    (result,) = run_search(method, 8, [PROBLEM], steps, SecretGuide(), settings(lookahead=1))
    assert result.best.text == "\n".join(SECRET) and result.best.finished
    assert result.best.score == pytest.approx(0.5 + 0.1 * len(SECRET))
    record = search_record(result, extract_hash_answer, gsm8k_equal, PROBLEM.reference)
    assert record["answer"] == "42" and record["correct"] and record["finished"] == result.finished >= 2
    assert steps.asked[0] == 8 and all(asked <= 8 for asked in steps.asked), steps.asked
    assert record["generated_tokens"] >= 3 * sum(steps.asked) and record["scored_tokens"] > 0


def test_beam_search_keeps_n_over_m_beams_of_m_continuations():
    sampler = TreeSampler()
    run_search("beam_search", 16, [PROBLEM], toy_steps(sampler), SecretGuide(), settings())
    first, *rest = sampler.calls
    assert first == ([PROBLEM.prompt], 16)
    for prompts, n in rest:  # the 4 best distinct unfinished candidates, 4 continuations each
        assert n == 4 and len(prompts) <= 4 and len(set(prompts)) == len(prompts)


def test_dvts_returns_only_finished_candidates_and_grows_subtrees_apart():
    sampler = TreeSampler()
    steps = toy_steps(sampler)
    from stepwise.search.dvts import DVTS

    search = DVTS(16, 4)
    assert search.requests() == [(Candidate(), 4)] * 4
    (result,) = run_search("dvts", 16, [PROBLEM], steps, SecretGuide(), settings())
    # The shared root is asked once for all four subtrees' continuations, so they differ.
    assert sampler.calls[0] == ([PROBLEM.prompt], 16)
    assert all(n == 4 and len(prompts) <= 4 for prompts, n in sampler.calls[1:])
    assert result.best.finished and result.finished >= 1


def test_search_stops_at_the_step_cap_without_an_answer_from_unfinished_solutions():
    steps = toy_steps()
    (result,) = run_search("beam_search", 8, [PROBLEM], steps, SecretGuide(), settings(max_steps=2))
    assert len(steps.asked) == 2
    assert result.best is None or (result.best.finished and result.best.text.count("\n") < 2)
    assert result.best is None or result.best.text != "\n".join(SECRET)


def test_budget_must_be_a_multiple_of_the_beam_width():
    with pytest.raises(ValueError, match="multiple of the beam width"):
        run_search("beam_search", 6, [PROBLEM], toy_steps(), SecretGuide(), settings())


def test_searches_are_deterministic_and_seeded():
    def records(seed):
        results = run_search(
            "dvts", 8, [PROBLEM, PROBLEM._replace(problem_id="p1")], toy_steps(), SecretGuide(), settings(seed=seed)
        )
        return [json.dumps(search_record(r, extract_hash_answer, gsm8k_equal, "42")) for r in results]

    assert records(4) == records(4)
    assert records(4) != records(5)


def test_identical_prefixes_are_asked_once_and_get_distinct_continuations():
    sampler = TreeSampler()
    steps = toy_steps(sampler).generate(["Q\nA:\n", "Q\nA:\n", "other"], [2, 2, 2], seed=1)
    assert sampler.calls == [(["other"], 2), (["Q\nA:\n"], 4)]  # one call per distinct count
    texts = [s.text for group in steps[:2] for s in group]
    assert len(set(texts)) == len(texts)


def test_prm800k_answer_line_is_completed_to_the_solution_end():
    class AnswerSampler:
        backend = "toy"

        def __init__(self):
            self.calls = []

        def generate(self, prompts, params):
            self.calls.append((list(prompts), params.stop))
            if "\n" in params.stop:
                return [[Generation("# Answer", 2, "stop", "\n")] for _ in prompts]
            return [[Generation("\n12", 3, "stop", None)] for _ in prompts]

    sampler = AnswerSampler()
    ((step,),) = StepGenerator(sampler, "prm800k", temperature=1.0, top_p=1.0, max_tokens=16).generate(["P:"], [1], 0)
    assert step == Step("# Answer\n\n12", 5, "solution")
    assert sampler.calls[1] == (["P:# Answer\n"], ())


# ---------------------------------------------------------------- the transformers backend, for real


@pytest.fixture(scope="module")
def hf(toy_model_dir):
    return HFSampler(toy_model_dir, dtype="float32")


class RecordingSampler:
    """A sampler that records the prompts it is given."""

    def __init__(self, sampler):
        self.sampler, self.backend, self.prompts = sampler, sampler.backend, []

    def generate(self, prompts, params):
        self.prompts.append(list(prompts))
        return self.sampler.generate(prompts, params)


def demo_prompts(n: int, seed: int = 0) -> list[str]:
    return [gsm8k_prompt(p["question"]) for p in generate_gsm8k(n, seed, "test", max_steps=3, max_number=12)]


def step_until_done(steps: StepGenerator, prompts: list[str], greedy: bool, seed: int | None = None) -> list[Candidate]:
    """Each prompt's solution, one batched call per step (greedy or sampled, one continuation each)."""
    candidates = [Candidate() for _ in prompts]
    for iteration in range(12):
        live = [i for i, c in enumerate(candidates) if not c.finished]
        if not live:
            break
        generated = steps.generate(
            [candidates[i].prompt(prompts[i], "\n") for i in live],
            [1] * len(live),
            None if seed is None else seed + iteration,
            greedy=greedy,
        )
        for i, (step,) in zip(live, generated):
            assert "\n" not in step.text and step.end in ("step", "solution", "length")
            assert step.end != "step" or "####" not in step.text
            candidates[i] = candidates[i].extended(step, "\n")
            if step.end == "length":
                candidates[i] = Candidate(candidates[i].text, candidates[i].steps, True)
    return candidates


def test_hf_steps_stop_at_the_separator_and_continue_prefixes_byte_for_byte(hf):
    prompts = demo_prompts(16) + [WRONG_RESULT_PROBE[0], REFUSED_PROBE[0]]
    recording = RecordingSampler(hf)
    steps = StepGenerator(recording, "gsm8k", temperature=0.8, top_p=1.0, max_tokens=64, calculator=True)
    stepped = step_until_done(steps, prompts, greedy=True)
    whole = hf.generate(prompts, SamplingParams(temperature=0, max_tokens=200, calculator=True))
    assert [c.text for c in stepped] == [g.text for (g,) in whole]
    assert len(recording.prompts) == max(c.steps for c in stepped)  # one call per step for every prompt
    for before, after in zip(recording.prompts, recording.prompts[1:]):
        for prompt in after:  # each continued prompt is an earlier one + its step + the separator
            parent = max((p for p in before if prompt.startswith(p)), key=len)
            assert prompt.endswith("\n") and "\n" not in prompt[len(parent) : -1]
    # The calculator works inside a step: the probe's wrong result is forced right, a refusal left alone.
    assert stepped[-2].text.startswith("It is 3*5 = <<3*5=15>>") and stepped[-1].text == REFUSED_PROBE[1]


def test_hf_sampled_steps_and_a_whole_search_are_deterministic(hf, toy_guides):
    steps = StepGenerator(hf, "gsm8k", temperature=0.8, top_p=1.0, max_tokens=48, calculator=True)
    prompts = demo_prompts(6, seed=2)
    assert [c.text for c in step_until_done(steps, prompts, False, 3)] == [
        c.text for c in step_until_done(steps, prompts, False, 3)
    ]
    problems = [SearchProblem(f"q{i}", prompt, prompt, "0") for i, prompt in enumerate(prompts[:3])]
    guide = VerifierGuide(toy_guides["verifier"], GSM8K, batch_size=16)
    runs = [run_search("beam_search", 4, problems, steps, guide, settings(max_steps=4)) for _ in range(2)]
    assert runs[0] == runs[1]
    assert all(r.generated_tokens > 0 and r.scored_tokens > 0 for r in runs[0])
    assert guide.forwarded_tokens == 2 * sum(r.scored_tokens for r in runs[0])


# ---------------------------------------------------------------- guides


@pytest.fixture(scope="module")
def toy_guides(toy_model_dir, tmp_path_factory) -> dict[str, Path]:
    """An untrained PRM and verifier on the toy model (fixed random heads): the scores are arbitrary but exact."""
    from stepwise.models.lm import load_causal_lm
    from stepwise.models.prm import ProcessRewardModel, add_step_marker, label_token_ids, save_prm
    from stepwise.models.verifier import TokenVerifier, save_verifier
    from stepwise.training.prm_config import PRMSettings
    from stepwise.training.verifier_config import VerifierSettings

    out = tmp_path_factory.mktemp("guides")
    torch.manual_seed(0)
    lm, tokenizer = load_causal_lm(toy_model_dir)
    prm_settings = PRMSettings(max_length=256)
    add_step_marker(lm, tokenizer, prm_settings.step_marker)
    save_prm(ProcessRewardModel(lm, label_token_ids(tokenizer, prm_settings)), tokenizer, prm_settings, out / "prm")
    lm, tokenizer = load_causal_lm(toy_model_dir)
    verifier = TokenVerifier(lm)
    torch.nn.init.normal_(verifier.head.weight, std=1.0)
    save_verifier(verifier, tokenizer, VerifierSettings(max_length=256, loss="bce"), out / "verifier")
    return {"prm": out / "prm", "verifier": out / "verifier"}


PARTIAL = [
    "It is 3*5 = <<3*5=15>>15.",
    "She has 4+4 = <<4+4=8>>8.\nThen 8*2 = <<8*2=16>>16.",
    "She has 4+4 = <<4+4=8>>8.\nThen 8*2 = <<8*2=16>>16.\n#### 16",
]
QUESTIONS = ["What is three times five?", "How many?", "How many?"]


@pytest.mark.parametrize("aggregation", ["last", "min", "prod"])
def test_prm_guide_scores_partial_solutions_as_score_steps_then_aggregation(toy_guides, aggregation):
    guide = PRMGuide(toy_guides["prm"], GSM8K, batch_size=2, step_format="gsm8k", aggregation=aggregation)
    scores, tokens = guide.evaluate(QUESTIONS, PARTIAL)
    expected = score_steps(toy_guides["prm"], [gsm8k_prompt(q) for q in QUESTIONS], PARTIAL, 8, step_format="gsm8k")
    assert scores == pytest.approx([aggregate_steps(s, aggregation) for s in expected], abs=1e-6)
    marker = single_token_id(guide.tokenizer, guide.settings.step_marker)
    assert tokens == [
        len(encode_steps(guide.tokenizer, gsm8k_prompt(q), p.split("\n"), marker).input_ids)
        for q, p in zip(QUESTIONS, PARTIAL)
    ]
    assert guide.forwarded_tokens == sum(tokens) == sum(guide.token_counts(QUESTIONS, PARTIAL))


def test_verifier_guide_reads_the_last_token_of_a_prefix_and_a_finished_solution_at_its_eos(toy_guides):
    from stepwise.models.verifier import load_verifier

    guide = VerifierGuide(toy_guides["verifier"], GSM8K, batch_size=2)
    finished = [False, False, True]
    scores, tokens = guide.evaluate(QUESTIONS, PARTIAL, finished)
    prompts = [gsm8k_prompt(q) for q in QUESTIONS]
    assert scores[2] == pytest.approx(score_solutions(toy_guides["verifier"], prompts[2:], PARTIAL[2:])[0], abs=1e-6)
    model, tokenizer, verifier_settings = load_verifier(toy_guides["verifier"])
    for prompt, text, score, count in zip(prompts[:2], PARTIAL[:2], scores, tokens):
        ids = tokenizer(prompt)["input_ids"] + tokenizer(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            values, _ = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
        assert score == pytest.approx(token_scores(values[0, -1], verifier_settings.loss).item(), abs=1e-6)
        assert count == len(ids)
    assert tokens[2] == len(encode_solution(tokenizer, prompts[2], PARTIAL[2]).input_ids)


SIBLINGS = [  # children of one parent (a shared prefix), a lone first step, and another problem's children
    "She has 4+4 = <<4+4=8>>8.\nThen 8*2 = <<8*2=16>>16.",
    "She has 4+4 = <<4+4=8>>8.\nThen 8*3 = <<8*3=24>>24.",
    "She has 4+4 = <<4+4=8>>8.\n#### 8",
    "It is 3*5 = <<3*5=15>>15.",
    "It is 3*5 = <<3*5=15>>15.\n#### 15",
    "It is 3*5 = <<3*5=15>>15.\nSo it is 15.",
]
SIBLING_QUESTIONS = ["How many?"] * 3 + ["What is three times five?"] * 3


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_guides_read_siblings_through_their_shared_prefix_as_whole_forwards_do(toy_guides, batch_size):
    prompts = [gsm8k_prompt(q) for q in SIBLING_QUESTIONS]
    prm = PRMGuide(toy_guides["prm"], GSM8K, batch_size=batch_size, step_format="gsm8k", aggregation="min")
    expected = score_steps(toy_guides["prm"], prompts, SIBLINGS, 8, step_format="gsm8k")
    assert prm.score(SIBLING_QUESTIONS, SIBLINGS) == pytest.approx([min(s) for s in expected], abs=1e-5)
    finished = [text.count("####") == 1 for text in SIBLINGS]
    verifier = VerifierGuide(toy_guides["verifier"], GSM8K, batch_size=batch_size)
    reference = []
    with torch.no_grad():  # each input forwarded whole, read at its last token
        for feature in verifier._encode(SIBLING_QUESTIONS, SIBLINGS, finished)[0]:
            ids = torch.tensor([feature["input_ids"]])
            values, _ = verifier.model(ids, torch.ones_like(ids))
            reference.append(token_scores(values[0, -1], verifier.settings.loss).item())
    assert verifier.score(SIBLING_QUESTIONS, SIBLINGS, finished) == pytest.approx(reference, abs=1e-5)
    assert sibling_groups(SIBLING_QUESTIONS, SIBLINGS) == [[0, 1, 2], [3], [4, 5]]


def test_hidden_states_through_shared_prefixes_equal_a_whole_forward(toy_guides):
    from stepwise.models.verifier import load_verifier
    from stepwise.scoring.shared_prefix import common_prefix_length, hidden_states_at

    model, _, _ = load_verifier(toy_guides["verifier"])
    sequences = [[5, 6, 7, 8, 9], [5, 6, 7, 10], [5, 6, 11, 12, 13, 14], [20, 21], [22, 23, 24]]
    positions = [[0, 2, 4], [3], [1, 5], [1], [0, 2]]
    assert common_prefix_length(sequences[:3]) == 2 and common_prefix_length([[1, 2], [1, 2]]) == 1
    # a group that shares nothing (3 and 4 differ at their first token) is read member by member
    hidden = hidden_states_at(model, sequences, [[0, 1, 2], [3, 4]], positions, pad_token_id=0, batch_size=2)
    with torch.no_grad():
        for sequence, wanted, states in zip(sequences, positions, hidden, strict=True):
            ids = torch.tensor([sequence])
            whole = model.hidden_states(ids, torch.ones_like(ids))[0, wanted]
            assert torch.allclose(states, whole, atol=1e-5)
    with pytest.raises(ValueError, match="exactly once"):
        hidden_states_at(model, sequences, [[0, 1]], positions, pad_token_id=0, batch_size=2)


# ---------------------------------------------------------------- best-of-N, records, the script


def test_best_of_n_picks_the_best_scored_of_the_first_n_sampled_solutions(toy_guides, tmp_path):
    samples, scores = tmp_path / "samples.jsonl", tmp_path / "scores.jsonl"
    texts = ["It is 2.\n#### 2", "It is 3.\n#### 3", "It is 4.\n#### 4", "It is 5.\n#### 5"]
    sample_records = [
        {
            "problem_id": "q",
            "sample_id": 0,
            "greedy": True,
            "text": texts[3],
            "answer": "5",
            "correct": True,
            "num_tokens": 9,
            "finish_reason": "stop",
        }
    ]
    sample_records += [
        {
            "problem_id": "q",
            "sample_id": i + 1,
            "greedy": False,
            "text": t,
            "answer": t[-1],
            "correct": t.endswith("3"),
            "num_tokens": 10 + i,
            "finish_reason": "stop",
        }
        for i, t in enumerate(texts)
    ]
    samples.write_text("".join(json.dumps(r) + "\n" for r in sample_records))
    step_scores = {0: [0.9], 1: [0.1, 0.2], 2: [0.7, 0.8], 3: [0.3, 0.8], 4: [0.9, 0.1]}
    scores.write_text(
        "".join(json.dumps({"problem_id": "q", "sample_id": i, "toy_prm": s}) + "\n" for i, s in step_scores.items())
    )
    guide = VerifierGuide(toy_guides["verifier"], GSM8K, batch_size=4)
    problem = SearchProblem("q", "", "How many?", "3")
    records = best_of_n_records([problem], samples, scores, [1, 2, 4], guide, "toy_prm", "last")
    assert [(r["n"], r["text"], r["score"], r["correct"]) for r in records] == [
        (1, texts[0], 0.2, False),
        (2, texts[1], 0.8, True),
        (4, texts[1], 0.8, True),
    ]  # 0.8 ties: the first
    counts = guide.token_counts(["How many?"] * 4, texts, [True] * 4)
    assert [r["generated_tokens"] for r in records] == [10, 21, 46]
    assert [r["scored_tokens"] for r in records] == [counts[0], sum(counts[:2]), sum(counts)]
    with pytest.raises(DataError, match="needs that many"):
        best_of_n_records([problem], samples, scores, [8], guide, "toy_prm", "last")


GOOD_RECORD = {
    "problem_id": "q",
    "method": "dvts",
    "n": 4,
    "answer": "3",
    "correct": True,
    "score": 0.5,
    "text": "#### 3",
    "finished": 2,
    "generated_tokens": 10,
    "scored_tokens": 20,
}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "malformed JSON"),
        (json.dumps({k: v for k, v in GOOD_RECORD.items() if k != "score"}), "lacks \\['score'\\]"),
        (json.dumps({**GOOD_RECORD, "method": "greedy"}), "method='greedy'"),
        (json.dumps({**GOOD_RECORD, "n": True}), "n=True"),
        (json.dumps({**GOOD_RECORD, "answer": None}), "correct=True"),
        (json.dumps(GOOD_RECORD), "a second record"),
    ],
)
def test_search_record_reader_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(GOOD_RECORD) + "\n" + line + "\n")
    with pytest.raises(DataError, match=f"{path}:2: .*{message}"):
        read_search_records(path)


def test_search_records_are_written_atomically(tmp_path):
    path = tmp_path / "out.jsonl"
    assert write_search_records(path, [GOOD_RECORD]) == 1 and read_search_records(path) == [GOOD_RECORD]
    with pytest.raises(DataError, match="search record 2"):
        write_search_records(tmp_path / "bad.jsonl", [GOOD_RECORD, {**GOOD_RECORD, "finished": -1}])
    assert not (tmp_path / "bad.jsonl").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_the_script_searches_a_shard_and_computes_the_baseline(toy_model_dir, toy_guides, tmp_path, monkeypatch):
    dataset = tmp_path / "test.jsonl"
    dataset.write_text("".join(json.dumps(p) + "\n" for p in generate_gsm8k(5, 7, "test", max_steps=2, max_number=9)))
    job = {
        "search": {
            "budgets": [4],
            "beam_width": 4,
            "max_steps": 4,
            "step_max_tokens": 40,
            "temperature": 0.8,
            "top_p": 1.0,
            "aggregation": "last",
            "problems": 4,
            "seed": 1,
            "lookahead": 0,
        },
        "sampling": {"backend": "hf", "shards": 2, "batch_size": 32},
        "calculator": True,
        "calculator_notation": "gsm8k",
        "step_format": "gsm8k",
        "guide": {"name": "verifier", "kind": "verifier", "batch_size": 8, "neutral_is_correct": True},
    }

    def script(*args):
        monkeypatch.setattr(
            sys,
            "argv",
            [
                "search.py",
                "--task",
                "gsm8k",
                "--guide",
                str(toy_guides["verifier"]),
                "--dataset",
                str(dataset),
                "--settings",
                json.dumps(job),
                *args,
            ],
        )
        runpy.run_path(str(REPO_ROOT / "scripts" / "search.py"), run_name="__main__")

    script(
        "--method", "beam_search", "--model", str(toy_model_dir), "--shard", "1", "--out", str(tmp_path / "s1.jsonl")
    )
    records = read_search_records(tmp_path / "s1.jsonl")
    ids = [p.problem_id for p in GSM8K.load(dataset)]
    assert [r["problem_id"] for r in records] == ids[2:4] and {r["method"] for r in records} == {"beam_search"}
    # The baseline from samples of the same problems and their verifier scores.
    samples = [
        {
            "problem_id": pid,
            "sample_id": i,
            "greedy": False,
            "text": f"It is {i}.\n#### {i}",
            "answer": str(i),
            "correct": i == 1,
            "num_tokens": 7,
            "finish_reason": "stop",
        }
        for pid in ids
        for i in range(4)
    ]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    (tmp_path / "scores.jsonl").write_text(
        "".join(
            json.dumps(
                {"problem_id": s["problem_id"], "sample_id": s["sample_id"], "verifier": 0.5 + (s["sample_id"] == 1)}
            )
            + "\n"
            for s in samples
        )
    )
    script(
        "--method",
        "best_of_n",
        "--samples",
        str(tmp_path / "samples.jsonl"),
        "--scores",
        str(tmp_path / "scores.jsonl"),
        "--out",
        str(tmp_path / "bon.jsonl"),
    )
    baseline = read_search_records(tmp_path / "bon.jsonl")
    assert [r["problem_id"] for r in baseline] == ids[:4] and all(r["correct"] and r["n"] == 4 for r in baseline)


# ---------------------------------------------------------------- the vLLM backend, for real

VLLM_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from dataclasses import asdict
    from stepwise.sampling import make_sampler
    from stepwise.search.guides import VerifierGuide
    from stepwise.config.registry import get_task
    from stepwise.search.runner import SearchProblem, SearchSettings, run_search
    from stepwise.search.step_generator import Step, StepGenerator
    from tests.test_search import RecordingSampler, step_until_done

    def main(model_dir, verifier_dir, job_path, out_path):
        job = json.load(open(job_path))
        sampler = RecordingSampler(make_sampler(
            "vllm", model_dir, dtype="float32", max_model_len=512, gpu_memory_utilization=0.3,
            enforce_eager=True, distributed_executor_backend="uni",
        ))
        steps = StepGenerator(sampler, "gsm8k", temperature=0.8, top_p=1.0, max_tokens=64, calculator=True)
        greedy = [c.text for c in step_until_done(steps, job["prompts"], greedy=True)]
        calls = len(sampler.prompts)
        sampled = [[c.text for c in step_until_done(steps, job["prompts"], False, 3)] for _ in range(2)]
        problems = [SearchProblem(f"q{i}", p, p, "0") for i, p in enumerate(job["prompts"][:3])]
        settings = SearchSettings(**job["settings"])
        guide = VerifierGuide(verifier_dir, get_task("gsm8k"), batch_size=16)
        searches = [[asdict(r) for r in run_search("beam_search", 4, problems, steps, guide, settings)]
                    for _ in range(2)]
        json.dump({"backend": sampler.backend, "greedy": greedy, "greedy_prompts": sampler.prompts[:calls],
                   "sampled": sampled, "searches": searches}, open(out_path, "w"))

    if __name__ == "__main__":
        main(*sys.argv[1:])
    """
)


@pytest.mark.slow
def test_vllm_steps_continue_prefixes_byte_for_byte_and_search_deterministically(
    toy_model_dir, toy_guides, hf, tmp_path
):
    pytest.importorskip("vllm")
    prompts = demo_prompts(16) + [WRONG_RESULT_PROBE[0], REFUSED_PROBE[0]]
    job = {"prompts": prompts, "settings": {**settings(max_steps=4).__dict__, "budgets": [4]}}
    (tmp_path / "run.py").write_text(VLLM_SCRIPT)
    (tmp_path / "job.json").write_text(json.dumps(job))
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "PYTHONPATH": python_path}
    done = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "run.py"),
            str(toy_model_dir),
            str(toy_guides["verifier"]),
            str(tmp_path / "job.json"),
            str(tmp_path / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, f"vLLM script failed:\n{done.stderr[-5000:]}"
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["backend"] == "vllm"
    whole = [g.text for (g,) in hf.generate(prompts, SamplingParams(temperature=0, max_tokens=200, calculator=True))]
    assert sum(v == h for v, h in zip(result["greedy"], whole)) >= len(prompts) - 1  # vLLM's float32 on a CPU
    assert result["greedy"][-2].startswith("It is 3*5 = <<3*5=15>>") and result["greedy"][-1] == REFUSED_PROBE[1]
    for before, after in zip(result["greedy_prompts"], result["greedy_prompts"][1:]):
        for prompt in after:
            parent = max((p for p in before if prompt.startswith(p)), key=len)
            assert prompt.endswith("\n") and "\n" not in prompt[len(parent) : -1]
    assert result["sampled"][0] == result["sampled"][1] and result["searches"][0] == result["searches"][1]
    assert all(
        r["generated_tokens"] > 0 and (r["best"] is None or r["best"]["finished"]) for r in result["searches"][0]
    )
