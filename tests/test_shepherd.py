"""Math-Shepherd labelling: linear and binary strategies, records, formats and label quality.

Most tests use a fake sampler whose continuations are decided by the prefix:
a prefix holding a step with "bad" in it never reaches the answer, any other
prefix reaches it with the fraction ``reach`` of its continuations. One test
runs both strategies end to end with the real toy generator.
"""

from __future__ import annotations

import json

import datasets
import pytest
import torch

from stepwise.config.registry import get_task
from stepwise.data.stepwise_formats import read_math_shepherd, read_trl, write_math_shepherd, write_trl
from stepwise.demo.gsm8k import generate_gsm8k
from stepwise.formats.prompts import gsm8k_prompt
from stepwise.io import DataError, write_jsonl
from stepwise.sampling import Generation, SamplingParams
from stepwise.sampling.hf_backend import HFSampler
from stepwise.sampling.shards import Problem, sample_records
from stepwise.shepherd import Candidate, Completer, candidates_from_samples, label_binary, label_linear
from stepwise.shepherd.compare import compare_strategies, comparison_markdown
from stepwise.shepherd.records import labelled_record, read_labelled, to_example
from stepwise.shepherd.stats import classification_quality, label_quality, label_stats
from tests.toy_model import ensure_toy_model
from tests.workflow import squeezed

PROMPT = gsm8k_prompt("How many?")
TOKENS_PER_CONTINUATION = 3


class FakeSampler:
    """Continuations ``"...\\n#### 42"`` (right) or ``"...\\n#### 7"`` (wrong), decided by the prefix's steps."""

    backend = "fake"

    def __init__(self, reach: float = 1.0, follow: list[str] | None = None):
        self.reach, self.follow, self.prompts = reach, follow, []

    def generate(self, prompts, params):
        self.prompts += prompts
        outputs = []
        for prompt in prompts:
            steps = prompt.removeprefix(PROMPT).splitlines()
            n_right = 0 if any("bad" in step for step in steps) else round(self.reach * params.n)
            # With ``follow``, continuations first repeat the solution's own next good steps.
            lead = "".join(f"{s}\n" for s in (self.follow or [])[len(steps) :])
            texts = [f"{lead}#### 42"] * n_right + [f"{lead}#### 7"] * (params.n - n_right)
            outputs.append([Generation(t, TOKENS_PER_CONTINUATION, "stop") for t in texts])
        return outputs


def candidate(steps: list[str], sample_id: int = 0) -> Candidate:
    correct = steps[-1] == "#### 42"
    return Candidate("p0", sample_id, PROMPT, "42", tuple(steps), correct)


def completer(sampler, n: int = 4) -> Completer:
    return Completer(sampler, SamplingParams(n=n), get_task("gsm8k").extract, lambda a, b: a == b)


def wrong_from(first_bad: int, n_steps: int) -> list[str]:
    """A solution whose step ``first_bad`` (1-based) is the first wrong one, ending in a wrong answer."""
    steps = [f"step {k} ok" if k < first_bad else f"step {k} bad" for k in range(1, n_steps)]
    return steps + ["#### 7"]


def test_binary_finds_the_first_wrong_step_with_fewer_completions():
    solution = candidate(wrong_from(3, 8))
    linear_sampler, binary_sampler = FakeSampler(), FakeSampler()
    [linear] = label_linear([solution], completer(linear_sampler, n=4))
    [binary] = label_binary([solution], completer(binary_sampler, n=4))
    expected = tuple(k < 3 for k in range(1, 9))
    assert linear.hard == binary.hard == expected
    # linear completes every prefix but the full solution, each n=4 times.
    assert len(linear_sampler.prompts) == 7
    assert linear.completions == 7 * 4 and linear.tokens == 7 * 4 * TOKENS_PER_CONTINUATION
    # binary completes each prefix it visits once, far fewer of them.
    assert len(set(binary_sampler.prompts)) == len(binary_sampler.prompts) < 7
    assert binary.completions == 4 * len(binary_sampler.prompts)
    assert binary.tokens == binary.completions * TOKENS_PER_CONTINUATION < linear.tokens
    assert sum(d > 0 for d in binary.drawn) == len(binary_sampler.prompts)


@pytest.mark.parametrize("first_bad", [1, 2, 5, 9, 12])
def test_binary_agrees_with_linear_wherever_the_first_error_is(first_bad):
    solution = candidate(wrong_from(first_bad, 12))
    [linear] = label_linear([solution], completer(FakeSampler()))
    [binary] = label_binary([solution], completer(FakeSampler()))
    assert binary.hard == linear.hard == tuple(k < first_bad for k in range(1, 13))
    assert binary.tokens < linear.tokens


def test_a_correct_solution_costs_binary_nothing():
    solution = candidate(["step 1 ok", "step 2 ok", "#### 42"])
    sampler = FakeSampler()
    [binary] = label_binary([solution], completer(sampler))
    assert binary.hard == (True, True, True) and binary.soft == (1.0, 1.0, 1.0)
    assert binary.tokens == binary.completions == 0 and sampler.prompts == []
    [linear] = label_linear([solution], completer(FakeSampler()))
    assert linear.hard == (True, True, True) and linear.tokens > 0


def test_soft_labels_are_fractions_in_linear_mode_and_carried_back_in_binary_mode():
    solution = candidate(wrong_from(5, 8))
    [linear] = label_linear([solution], completer(FakeSampler(reach=0.25), n=4))
    assert linear.soft == (0.25,) * 4 + (0.0,) * 4
    [binary] = label_binary([solution], completer(FakeSampler(reach=0.25), n=4))
    assert binary.hard == linear.hard
    # Steps before the first error take the fraction of the completed prefix after them; the rest 0.
    assert binary.soft == linear.soft
    assert sum(d > 0 for d in binary.drawn) < sum(d > 0 for d in linear.drawn)


def test_binary_reuses_continuations_that_repeat_the_solutions_own_steps():
    steps = wrong_from(7, 8)
    sampler = FakeSampler(follow=steps[:6])  # continuations retrace the good steps 1..6, then answer 42
    [binary] = label_binary([candidate(steps)], completer(sampler))
    [linear] = label_linear([candidate(steps)], completer(FakeSampler(follow=steps[:6])))
    assert binary.hard == linear.hard == tuple(k < 7 for k in range(1, 9))
    assert binary.reused_prefixes >= 1
    assert len(sampler.prompts) + binary.reused_prefixes == sum(d > 0 for d in binary.drawn)


def test_searches_of_many_solutions_run_in_batched_rounds():
    solutions = [candidate(wrong_from(bad, 12), sample_id=bad) for bad in range(1, 13)]
    calls = []

    class Counting(FakeSampler):
        def generate(self, prompts, params):
            calls.append(len(prompts))
            return super().generate(prompts, params)

    labelled = label_binary(solutions, completer(Counting()))
    assert [x.hard for x in labelled] == [tuple(k < bad for k in range(1, 13)) for bad in range(1, 13)]
    assert len(calls) <= 4 and max(calls) == len(solutions)  # ceil(log2 12) rounds, all searches together


def test_records_and_both_formats_round_trip_through_datasets(tmp_path):
    labelled = label_linear(
        [candidate(wrong_from(3, 5)), candidate(["a ok", "#### 42"], 1)], completer(FakeSampler(reach=0.5), n=4)
    )
    write_jsonl(tmp_path / "labels.jsonl", (labelled_record(x) for x in labelled))
    records = read_labelled(tmp_path / "labels.jsonl")
    hard = [to_example(r, "hard") for r in records]
    targets = [to_example(r, "soft_targets") for r in records]
    write_trl(tmp_path / "trl.jsonl", hard)
    write_trl(tmp_path / "soft.jsonl", targets)
    write_math_shepherd(tmp_path / "ms.jsonl", hard)
    for name, expected, soft in (("trl.jsonl", hard, False), ("soft.jsonl", targets, True)):
        rows = datasets.load_dataset("json", data_files=str(tmp_path / name), split="train")
        assert [(tuple(r["completions"]), tuple(r["labels"])) for r in rows] == [(e.steps, e.labels) for e in expected]
        assert [(e.steps, e.labels) for e in read_trl(tmp_path / name, allow_soft=soft)] == [
            (e.steps, e.labels) for e in expected
        ]
    rows = datasets.load_dataset("json", data_files=str(tmp_path / "ms.jsonl"), split="train")
    assert all("ки" in r["input"] and ("+" in r["label"] or "-" in r["label"]) for r in rows)
    back = read_math_shepherd(tmp_path / "ms.jsonl")
    assert [(e.prompt, e.steps, e.labels) for e in back] == [(e.prompt, e.steps, e.labels) for e in hard]
    assert hard[0].labels == (True, True, False, False, False)
    assert targets[0].labels == (0.5, 0.5, 0.0, 0.0, 0.0)


def test_thresholded_soft_labels_and_stats():
    labelled = label_linear([candidate(wrong_from(3, 4))], completer(FakeSampler(reach=0.25), n=4))
    record = labelled_record(labelled[0])
    assert to_example(record, "soft", soft_threshold=0.2).labels == (True, True, False, False)
    assert to_example(record, "soft", soft_threshold=0.5).labels == (False,) * 4
    stats = label_stats([record])
    assert stats["n_steps"] == 4 and stats["positive_rate_by_step"] == {"1": 1.0, "2": 1.0, "3": 0.0, "4": 0.0}
    assert stats["tokens"] == labelled[0].tokens


def test_label_quality_against_truth():
    quality = classification_quality([True, True, False, False], [True, False, False, False])
    assert quality["precision_good"] == 0.5 and quality["recall_good"] == 1.0
    assert quality["precision_bad"] == 1.0 and quality["recall_bad"] == pytest.approx(2 / 3)
    assert quality["f1_bad"] == pytest.approx(0.8) and quality["accuracy"] == 0.75
    record = {"hard_labels": [True, False], "soft_labels": [0.9, 0.4]}
    both = label_quality([record], [[True, True]], soft_threshold=0.3)
    assert both["hard"]["recall_good"] == 0.5 and both["soft"]["recall_good"] == 1.0
    # A right step after a wrong one: no continuation of that prefix can reach the answer, so "bad" is
    # the right label for it (the prefix's truth), though the step alone is right.
    after_error = {"hard_labels": [False, False, True], "soft_labels": [0.0, 0.0, 1.0]}
    quality = label_quality([after_error], [[False, True, True]])
    assert quality["hard"]["accuracy"] == pytest.approx(2 / 3) and quality["hard"]["precision_good"] == 0.0
    assert quality["hard_local"]["accuracy"] == pytest.approx(2 / 3) and quality["hard_local"]["recall_good"] == 0.5
    other = label_quality([after_error], [[True, False, True]])  # true bad prefixes: steps 2 and 3; steps: 2
    assert other["hard"]["recall_bad"] == 0.5 and other["hard_local"]["recall_bad"] == 1.0


def test_comparison_counts_tokens_agreement_and_quality_by_length():
    # One 8-step solution whose labels the two strategies agree on, one 3-step solution where they differ on
    # step 2 (binary sees prefix 2 reach nothing, linear sees it reach the answer once).
    long_, short = candidate(wrong_from(3, 8), sample_id=0), candidate(wrong_from(3, 3), sample_id=1)
    linear = [labelled_record(x) for x in label_linear([long_, short], completer(FakeSampler()))]
    binary = [labelled_record(x) for x in label_binary([long_, short], completer(FakeSampler()))]
    binary[1]["hard_labels"] = [True, False, False]
    linear[1]["hard_labels"] = [True, True, False]
    truths = [[k < 3 for k in range(1, 9)], [True, True, False]]
    comparison = compare_strategies(linear, binary[::-1], truths, long_steps=8)  # matched by id, not order

    eight, three = comparison["by_steps"]["8"], comparison["by_steps"]["3"]
    assert eight["agreement"] == 1.0 and three["agreement"] == pytest.approx(2 / 3)
    assert eight["linear_tokens"] == linear[0]["tokens"] and eight["binary_tokens"] == binary[0]["tokens"]
    assert eight["binary_token_share"] == pytest.approx(binary[0]["tokens"] / linear[0]["tokens"])
    assert eight["binary_token_share"] < 0.5
    assert comparison["long"] == eight
    assert comparison["all"]["steps"] == 11 and comparison["all"]["agreeing_steps"] == 10
    assert comparison["all"]["linear_completions"] == linear[0]["completions"] + linear[1]["completions"]
    assert comparison["quality"]["linear"]["hard"]["accuracy"] == 1.0
    assert comparison["quality"]["binary"]["hard"]["accuracy"] == pytest.approx(10 / 11)
    table = squeezed(comparison_markdown(comparison))
    assert "| >= 8 | 1 |" in table and "| binary | hard |" in table and "| all | 2 |" in table


def test_comparison_needs_the_same_solutions_and_steps_in_each_mode():
    solutions = [candidate(wrong_from(2, 4), sample_id=i) for i in range(2)]
    linear = [labelled_record(x) for x in label_linear(solutions, completer(FakeSampler()))]
    binary = [labelled_record(x) for x in label_binary(solutions, completer(FakeSampler()))]
    with pytest.raises(DataError, match="different solutions"):
        compare_strategies(linear, binary[:1])
    with pytest.raises(DataError, match="expected linear labels"):
        compare_strategies(binary, binary)
    with pytest.raises(DataError, match="different steps"):
        compare_strategies(linear, [{**binary[0], "steps": ["x"] * 4}, binary[1]])
    assert "quality" not in compare_strategies(linear, binary)


def test_bad_inputs_name_file_and_line(tmp_path):
    problems = {"p0": Problem("p0", PROMPT, "42")}
    with pytest.raises(DataError, match=r"samples\.jsonl:2: .*unknown problem 'p9'"):
        candidates_from_samples(
            [
                (1, {"problem_id": "p0", "sample_id": 0, "text": "a\n#### 42", "correct": True}),
                (2, {"problem_id": "p9", "sample_id": 0, "text": "a", "correct": False}),
            ],
            problems,
            "gsm8k",
            path="samples.jsonl",
        )
    with pytest.raises(DataError, match="record 1.*'correct'"):
        candidates_from_samples([(1, {"problem_id": "p0", "sample_id": 0, "text": "a"})], problems, "gsm8k")
    record = labelled_record(label_binary([candidate(wrong_from(2, 3))], completer(FakeSampler()))[0])
    (tmp_path / "bad.jsonl").write_text(json.dumps({**record, "drawn": [0]}) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: 3 steps but 1 drawn"):
        read_labelled(tmp_path / "bad.jsonl")


@pytest.fixture(scope="module")
def toy_sampler(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield HFSampler(ensure_toy_model(tmp_path_factory.getbasetemp() / "sampling_toy_model"), dtype="float32")
    torch.set_num_threads(threads)


def test_both_strategies_end_to_end_with_the_toy_generator(toy_sampler):
    task = get_task("gsm8k")
    demo = generate_gsm8k(6, 0, "train", max_steps=3, max_number=12)
    problems = [
        Problem(f"p{i}", gsm8k_prompt(r["question"]), r["answer"].rpartition("#### ")[2]) for i, r in enumerate(demo)
    ]
    params = SamplingParams(n=2, temperature=1.0, max_tokens=64, seed=0)
    with task.checker() as checker:
        samples = list(sample_records(toy_sampler, problems, params, extract=task.extract, grade=checker.equal))
        candidates = candidates_from_samples(enumerate(samples, 1), {p.problem_id: p for p in problems}, "gsm8k")
        completer_ = Completer(
            toy_sampler, SamplingParams(n=2, temperature=1.0, max_tokens=64, seed=1), task.extract, checker.equal
        )
        linear = label_linear(candidates, completer_)
        binary = label_binary(candidates, completer_)
    assert len(linear) == len(binary) == len(candidates) > 0
    assert any(not c.correct and len(c.steps) > 1 for c in candidates), "need a wrong multi-step sample"
    for lin, bin_, c in zip(linear, binary, candidates):
        assert len(lin.hard) == len(bin_.hard) == len(lin.soft) == len(bin_.soft) == len(c.steps)
        assert lin.hard[-1] == bin_.hard[-1] == c.correct
        assert lin.completions == 2 * (len(c.steps) - 1) and (lin.tokens > 0) == (len(c.steps) > 1)
        assert bin_.completions <= lin.completions
        if c.correct:
            assert all(bin_.hard) and bin_.tokens == 0
        else:  # a first-error split: positives, then negatives
            assert list(bin_.hard) == sorted(bin_.hard, reverse=True)
        for soft, hard in zip(lin.soft, lin.hard):
            assert (soft > 0) == hard
    assert sum(x.tokens for x in binary) < sum(x.tokens for x in linear)


def test_solutions_sharing_a_prefix_are_completed_once_and_labelled_alike():
    # Two samples with the same wrong first step, a third with another: the shared prefixes are
    # continued once, every solution gets its labels, and only the sampled continuations count.
    shared = [candidate(wrong_from(1, 3), sample_id=0), candidate(wrong_from(1, 3), sample_id=1)]
    other = candidate(["step 1 ok", "step 2 bad", "#### 7"], sample_id=2)
    sampler = FakeSampler()
    labelled = label_binary([*shared, other], completer(sampler, n=4))
    assert len(sampler.prompts) == len(set(sampler.prompts))
    alone = [label_binary([c], completer(FakeSampler(), n=4))[0] for c in (*shared, other)]
    expected = [(False, False, False)] * 2 + [(True, False, False)]
    assert [label.hard for label in labelled] == [label.hard for label in alone] == expected
    assert labelled[1].tokens == labelled[1].completions == 0  # the first sample's continuations served it
    assert labelled[0].tokens == alone[0].tokens > 0 and labelled[2].tokens == alone[2].tokens
    assert sum(label.completions for label in labelled) == 4 * len(sampler.prompts)
