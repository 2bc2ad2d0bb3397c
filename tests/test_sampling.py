"""Sampling: the transformers backend, the calculator and the answer end inside sampling, records and shards.

The model is the toy generator of :mod:`tests.toy_model` (the tiny
Llama trained for a few hundred steps; trained once per session).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
import torch

from stepwise.answers.extract import extract_hash_answer
from stepwise.answers.numbers import gsm8k_equal
from stepwise.calculator import CalculatorError, annotation_is_correct, evaluate, find_annotations
from stepwise.demo.gsm8k import generate_gsm8k
from stepwise.formats.prompts import gsm8k_prompt
from stepwise.formats.steps import answer_line_end
from stepwise.io import DataError, read_jsonl
from stepwise.sampling import (
    Generation,
    Problem,
    SamplingParams,
    factory,
    make_sampler,
    merge_shards,
    sample_records,
    sample_shard,
    shard_slice,
)
from stepwise.sampling.forcing import ForcedTokens, SequenceForcing
from stepwise.sampling.hf_backend import ForcingLogitsProcessor, HFSampler
from stepwise.sampling.shards import RECORD_KEYS
from tests.toy_model import REFUSED_PROBE, WRONG_RESULT_PROBE

GREEDY = SamplingParams(n=1, temperature=0.0, max_tokens=160)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """The toy model's 64-wide matrices gain nothing from a second thread (tests/conftest.py)."""


@pytest.fixture(scope="module")
def hf(toy_model_dir):
    return HFSampler(toy_model_dir, dtype="float32")


def demo_prompts(n: int) -> list[str]:
    return [gsm8k_prompt(p["question"]) for p in generate_gsm8k(n, 0, "test", max_steps=3, max_number=12)]


def checkable_annotations(texts: list[str]) -> list[tuple[str, str]]:
    """(expression, stated result) of every annotation whose expression the calculator accepts."""
    pairs = []
    for text in texts:
        for annotation in find_annotations(text):
            try:
                evaluate(annotation.expr)
            except CalculatorError:
                continue
            pairs.append((annotation.expr, annotation.stated_result))
    return pairs


# ---------------------------------------------------------------- interface


def test_sampling_params_reject_bad_values():
    for bad in ({"n": 0}, {"temperature": -0.1}, {"top_p": 0.0}, {"top_p": 1.5}, {"max_tokens": 0}):
        with pytest.raises(ValueError):
            SamplingParams(**bad)
    assert SamplingParams(temperature=0).greedy and not SamplingParams(temperature=0.7).greedy


def test_make_sampler_rejects_unknown_backend(toy_model_dir):
    with pytest.raises(ValueError, match="unknown sampling backend"):
        make_sampler("tgi", toy_model_dir)


def test_auto_falls_back_to_hf_and_says_why(toy_model_dir, monkeypatch, caplog):
    def broken_vllm(*args, **kwargs):
        raise RuntimeError("no accelerator found")

    monkeypatch.setattr(factory, "_start_vllm", broken_vllm)
    with caplog.at_level(logging.INFO, logger="stepwise.sampling.factory"):
        sampler = make_sampler("auto", toy_model_dir, batch_size=8)
    assert sampler.backend == "hf" and sampler.batch_size == 8
    assert "vLLM not used (RuntimeError: no accelerator found)" in caplog.text
    with pytest.raises(RuntimeError, match="no accelerator"):
        make_sampler("vllm", toy_model_dir)


# ---------------------------------------------------------------- hf backend


def test_hf_greedy_generations_are_well_formed(hf):
    prompts = demo_prompts(6)
    out = hf.generate(prompts, GREEDY)
    assert len(out) == len(prompts) and all(len(gens) == 1 for gens in out)
    stopped = [g for (g,) in out if g.finish_reason == "stop"]
    assert len(stopped) >= 5
    for generation in stopped:
        # The generated ids are the text's tokens plus the eos token.
        assert generation.num_tokens == len(hf.tokenizer(generation.text)["input_ids"]) + 1
        assert "####" in generation.text and "<|endoftext|>" not in generation.text
    assert all(g.num_tokens == GREEDY.max_tokens for (g,) in out if g.finish_reason == "length")


def test_hf_length_limit_and_greedy_copies(hf):
    out = hf.generate(demo_prompts(3), SamplingParams(n=2, temperature=0, max_tokens=5))
    for first, second in out:
        assert first == second
        assert first.finish_reason == "length" and first.num_tokens == 5


def test_hf_batching_and_padding_do_not_change_greedy_text(toy_model_dir, hf):
    prompts = demo_prompts(8)
    one_by_one = HFSampler(toy_model_dir, dtype="float32", batch_size=1).generate(prompts, GREEDY)
    batched = hf.generate(prompts, GREEDY)
    assert one_by_one == batched


def test_hf_seed_determinism(hf):
    prompts = demo_prompts(4)
    params = SamplingParams(n=3, temperature=1.0, max_tokens=40, seed=7)
    first, again = hf.generate(prompts, params), hf.generate(prompts, params)
    assert first == again
    other = hf.generate(prompts, SamplingParams(n=3, temperature=1.0, max_tokens=40, seed=8))
    assert other != first
    assert any(len({g.text for g in gens}) > 1 for gens in first), "the n samples of a prompt should differ"


def test_hf_samples_of_a_prompt_share_its_prefill_and_match_generates_own_copies(hf):
    # The sampler encodes each prompt once and repeats its KV cache; generate's num_return_sequences
    # encodes every copy. Prompts of unequal length (left padding), same seed: the same samples.
    prompts = sorted(demo_prompts(3), key=lambda prompt: len(hf.tokenizer(prompt)["input_ids"]))
    assert len({len(hf.tokenizer(prompt)["input_ids"]) for prompt in prompts}) > 1
    params = SamplingParams(n=4, temperature=1.0, max_tokens=30, seed=11)
    shared = [[g.text for g in gens] for gens in hf.generate(prompts, params)]
    batch = hf.tokenizer.pad({"input_ids": [hf.tokenizer(p)["input_ids"] for p in prompts]}, return_tensors="pt")
    torch.manual_seed(params.seed)
    output = hf.model.generate(
        **batch,
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        num_return_sequences=4,
        max_new_tokens=30,
        pad_token_id=hf.tokenizer.pad_token_id,
        eos_token_id=sorted(hf.eos_ids),
    )
    rows = [hf._to_generation(row).text for row in output[:, batch["input_ids"].shape[1] :].tolist()]
    assert shared == [rows[i * 4 : (i + 1) * 4] for i in range(len(prompts))]
    assert any(len(set(texts)) > 1 for texts in shared)


# ---------------------------------------------------------------- calculator


def test_calculator_tokens_find_and_encode_completions(hf):
    calc = ForcedTokens(hf.tokenizer)
    encode = hf.tokenizer.encode
    assert encode("=")[0] in calc.trigger_ids and encode("5")[0] not in calc.trigger_ids
    forced = calc.completion_ids(encode("He buys 3*5 = <<3*5="))
    assert hf.tokenizer.decode(list(forced)) == "15>>"
    assert calc.completion_ids(encode("He buys 3*5 =")) is None  # no open annotation
    assert calc.completion_ids(encode("It is x*2 = <<x*2=")) is None  # refused: not arithmetic
    assert calc.completion_ids(encode("<<__import__('os')=")) is None


def test_calculator_tokens_complete_inline_math_in_the_latex_notation(hf):
    calc = ForcedTokens(hf.tokenizer)
    encode, decode = hf.tokenizer.encode, hf.tokenizer.decode
    check = encode("The red $10$ and green $12$ socks leave $22 - 10 - 12 =")
    assert decode(list(calc.completion_ids(check, "latex"))) == " 0"
    assert calc.completion_ids(check, "gsm8k") is None
    assert calc.completion_ids(encode("He buys 3*5 = <<3*5="), "latex") is None
    # The "$" opening the math lies more than the short tail back: the hook reads further.
    long_sum = "We add them all: $" + " + ".join(["1"] * 20) + " ="
    assert len(encode(long_sum)) > 16
    assert decode(list(calc.completion_ids(encode(long_sum), "latex"))) == " 20"
    assert calc.completion_ids(encode("Closed $3$ so far, and " + " + ".join(["1"] * 20) + " ="), "latex") is None


def test_sequence_forcing_follows_the_plan_and_is_idempotent(hf):
    calc = ForcedTokens(hf.tokenizer)
    generated = hf.tokenizer.encode("So 7*6 = <<7*6=")
    forcing = SequenceForcing(calc, generated)
    plan = []
    while (token := forcing.next_forced()) is not None:
        assert forcing.next_forced() == token  # asking twice at one step changes nothing
        plan.append(token)
        generated.append(token)
    assert hf.tokenizer.decode(plan) == "42>>"


def test_logits_processor_forces_only_rows_with_an_open_annotation(hf):
    encode = hf.tokenizer.encode
    opened = encode("It is 3*5 = <<3*5=")
    not_opened = opened[:-1] + encode("5")  # "... <<3*55": same length, no open annotation
    prompt = torch.tensor([encode("Answer:\n")] * 2)
    generated = torch.tensor([opened, not_opened])
    processor = ForcingLogitsProcessor(ForcedTokens(hf.tokenizer), prompt_length=prompt.shape[1])
    for step in range(generated.shape[1] + 1):
        scores = torch.randn(2, len(hf.tokenizer))
        before = scores.clone()
        processor(torch.cat([prompt, generated[:, :step]], dim=1), scores)
        if step < generated.shape[1]:
            assert torch.equal(scores, before)
    assert scores[0].argmax().item() == encode("1")[0]
    assert torch.isinf(scores[0]).sum().item() == len(hf.tokenizer) - 1
    assert torch.equal(scores[1], before[1])


def test_calculator_overrides_a_wrong_result(hf):
    prompt, memorized = WRONG_RESULT_PROBE
    (off,) = hf.generate([prompt], GREEDY)[0]
    (on,) = hf.generate([prompt], replace(GREEDY, calculator=True))[0]
    assert "<<3*5=16>>" in off.text and off.text == memorized  # the model's own, wrong, result
    assert "<<3*5=15>>" in on.text and "<<3*5=16>>" not in on.text
    assert on.num_tokens == off.num_tokens  # the forced "15>>" replaced "16>>" token for token and is counted


def test_calculator_refusal_leaves_the_models_tokens(hf):
    prompt, memorized = REFUSED_PROBE
    (on,) = hf.generate([prompt], SamplingParams(n=1, temperature=0, max_tokens=60, calculator=True))[0]
    assert on.text == memorized and "<<x*2=8>>" in on.text


def test_calculator_makes_sampled_annotations_correct(hf):
    prompts = demo_prompts(12)
    params = SamplingParams(n=2, temperature=0.8, max_tokens=120, seed=3)
    without = [g.text for gens in hf.generate(prompts, params) for g in gens]
    with_calc = [g.text for gens in hf.generate(prompts, replace(params, calculator=True)) for g in gens]
    wrong_without = [pair for pair in checkable_annotations(without) if not annotation_is_correct(*pair)]
    checked = checkable_annotations(with_calc)
    assert len(wrong_without) >= 10, "the toy model should get most results wrong by itself"
    assert len(checked) >= 20
    assert all(annotation_is_correct(expr, stated) for expr, stated in checked)


# ---------------------------------------------------------------- the end after the answer line


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("gsm8k", "So 2+3 = <<2+3=5>>5.\n#### 5\nSo more.\n#### 6"),
        ("prm800k", "So $2+3 = 5$.\n# Answer\n\n5\nSo more.\n# Answer\n\n6"),
    ],
)
def test_sequence_forcing_ends_a_sequence_once_its_answer_line_is_closed(hf, fmt, text):
    calc = ForcedTokens(hf.tokenizer)
    ids = hf.tokenizer.encode(text)
    generated: list[int] = []
    forcing = SequenceForcing(calc, generated, notation=None, answer_format=fmt)
    forced_at = None
    for token in ids:
        generated.append(token)
        if forcing.next_forced() is not None:
            forced_at = len(generated)
            break
    assert forcing.next_forced() == hf.tokenizer.eos_token_id
    answer = "#### 5\n" if fmt == "gsm8k" else "\n5\n"
    assert hf.tokenizer.decode(generated).endswith(answer) and forced_at < len(ids)
    # Without the answer end, nothing is forced anywhere in the text.
    plain = SequenceForcing(calc, [], notation=None)
    for token in ids:
        plain.generated.append(token)
        assert plain.next_forced() is None


def test_generations_end_after_their_answer_line(hf):
    prompts = demo_prompts(32)
    params = SamplingParams(n=4, temperature=1.0, max_tokens=160, seed=1)
    free = [g for gens in hf.generate(prompts, params) for g in gens]
    ended = [g for gens in hf.generate(prompts, replace(params, end_after_answer="gsm8k")) for g in gens]
    assert sum(g.text.count("####") > 1 for g in free) >= 3, "the toy model should write past some answers"
    for generation in ended:
        end = answer_line_end(generation.text, "gsm8k")
        if generation.finish_reason == "stop" and end is not None:
            assert generation.text[end:] in ("", "\n"), generation.text  # nothing after the answer line
    assert sum(g.text.count("####") > 1 for g in ended) == 0
    assert sum(g.num_tokens for g in ended) < sum(g.num_tokens for g in free)


def test_sampling_params_refuse_an_answer_end_without_an_answer_line():
    with pytest.raises(ValueError, match="end_after_answer must be one of"):
        SamplingParams(end_after_answer="paragraphs")


# ---------------------------------------------------------------- shards and records


def test_shard_slice_is_balanced_contiguous_and_covers_everything():
    for n_items in (0, 1, 7, 10, 101):
        for n_shards in (1, 3, 4, 12):
            slices = [shard_slice(n_items, n_shards, i) for i in range(n_shards)]
            assert [i for s in slices for i in s] == list(range(n_items))
            sizes = [len(s) for s in slices]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
            assert slices == [shard_slice(n_items, n_shards, i) for i in range(n_shards)]
    for bad in ((5, 0, 0), (5, 2, 2), (5, 2, -1), (-1, 2, 0)):
        with pytest.raises(ValueError):
            shard_slice(*bad)


class ScriptedSampler:
    """A stand-in backend: sample ``k`` of a prompt answers ``#### k`` (greedy: ``#### greedy``)."""

    backend = "scripted"

    def __init__(self, fail_after_calls: int | None = None):
        self.calls = []
        self.fail_after_calls = fail_after_calls

    def generate(self, prompts, params):
        if self.fail_after_calls is not None and len(self.calls) >= self.fail_after_calls:
            raise RuntimeError("killed")
        self.calls.append(params)
        texts = ["#### 7"] if params.greedy else [f"#### {k}" for k in range(params.n)]
        return [[Generation(text, 3, "stop") for text in texts] for _ in prompts]


PROBLEMS = [Problem(f"p{i}", f"prompt {i}", str(i)) for i in range(5)]


def test_sample_records_greedy_first_then_samples():
    sampler = ScriptedSampler()
    records = list(
        sample_records(
            sampler,
            PROBLEMS,
            SamplingParams(n=3, temperature=0.7),
            extract=extract_hash_answer,
            grade=gsm8k_equal,
            greedy=True,
            chunk_size=2,
        )
    )
    assert len(records) == 5 * 4 and all(tuple(r) == RECORD_KEYS for r in records)
    p1 = [r for r in records if r["problem_id"] == "p1"]
    assert [r["sample_id"] for r in p1] == [0, 1, 2, 3] and [r["greedy"] for r in p1] == [True, False, False, False]
    assert [r["answer"] for r in p1] == ["7", "0", "1", "2"]
    assert [r["correct"] for r in p1] == [False, False, True, False]
    assert sampler.calls[0].greedy and sampler.calls[0].n == 1 and not sampler.calls[1].greedy
    assert len(sampler.calls) == 6  # three chunks, greedy and sampled each


def test_record_without_answer_is_incorrect():
    def grade(answer, reference):
        raise AssertionError("grade must not see a missing answer")

    (record,) = sample_records(
        ScriptedSampler(), PROBLEMS[:1], SamplingParams(n=1), extract=lambda text: None, grade=grade
    )
    assert record["answer"] is None and record["correct"] is False


def write_shards(tmp_path, n_shards, sampler=None):
    paths = []
    for index in range(n_shards):
        path = tmp_path / f"shard{index}.jsonl"
        sample_shard(
            sampler or ScriptedSampler(),
            PROBLEMS,
            SamplingParams(n=2),
            path,
            n_shards=n_shards,
            index=index,
            extract=extract_hash_answer,
            grade=gsm8k_equal,
            greedy=True,
        )
        paths.append(path)
    return paths


def test_shards_merge_into_every_record_once(tmp_path):
    paths = write_shards(tmp_path, 3)
    assert [len(read_jsonl(p)) for p in paths] == [6, 6, 3]
    out = tmp_path / "merged.jsonl"
    assert merge_shards(paths, out, samples_per_problem=3, problem_ids=[p.problem_id for p in PROBLEMS]) == 15
    merged = read_jsonl(out)
    assert sorted((r["problem_id"], r["sample_id"]) for r in merged) == [
        (f"p{i}", k) for i in range(5) for k in range(3)
    ]


def test_merge_rejects_missing_and_duplicate_records(tmp_path):
    paths = write_shards(tmp_path, 2)
    out = tmp_path / "merged.jsonl"
    with pytest.raises(DataError, match="shard file is missing"):
        merge_shards([*paths, tmp_path / "shard9.jsonl"], out)
    with pytest.raises(DataError, match=r"shard0.jsonl:1: duplicate"):
        merge_shards([paths[0], *paths], out)
    with pytest.raises(DataError, match="problems missing: \\['p4'\\]"):
        merge_shards(paths[:1], out, problem_ids=["p0", "p1", "p4"])
    lines = paths[1].read_text().splitlines()
    paths[1].write_text("\n".join(lines[:-1]) + "\n")  # drop p4's last sample
    with pytest.raises(DataError, match="problem 'p4' has sample ids \\[0, 1\\], expected 0..2"):
        merge_shards(paths, out)
    paths[1].write_text(lines[0] + "\n" + json.dumps({"problem_id": "p9"}) + "\n")
    with pytest.raises(DataError, match="shard1.jsonl:2: sample record lacks"):
        merge_shards(paths, out)
    assert not out.exists()


def test_a_killed_shard_leaves_no_file(tmp_path):
    path = tmp_path / "shard0.jsonl"
    with pytest.raises(RuntimeError, match="killed"):
        sample_shard(
            ScriptedSampler(fail_after_calls=1),
            PROBLEMS,
            SamplingParams(n=2),
            path,
            n_shards=1,
            index=0,
            extract=extract_hash_answer,
            grade=gsm8k_equal,
            greedy=True,
        )
    assert list(tmp_path.iterdir()) == []


def test_shards_from_the_hf_backend_merge(tmp_path, hf):
    problems = [Problem(f"q{i}", prompt, "0") for i, prompt in enumerate(demo_prompts(3) + [WRONG_RESULT_PROBE[0]])]
    params = SamplingParams(n=2, temperature=0.7, max_tokens=80, seed=1, calculator=True)
    paths = []
    for index in range(2):
        paths.append(tmp_path / f"s{index}.jsonl")
        sample_shard(
            hf,
            problems,
            params,
            paths[-1],
            n_shards=2,
            index=index,
            extract=extract_hash_answer,
            grade=gsm8k_equal,
            greedy=True,
        )
    assert merge_shards(paths, tmp_path / "all.jsonl", samples_per_problem=3) == 12
    records = {(r["problem_id"], r["sample_id"]): r for r in read_jsonl(tmp_path / "all.jsonl")}
    probe = records[("q3", 0)]
    assert probe["greedy"] and "<<3*5=15>>" in probe["text"] and probe["answer"] == "16" and probe["correct"] is False
    assert all(r["finish_reason"] in ("stop", "length") and r["num_tokens"] > 0 for r in records.values())
