"""Sampling throughput: our sampler with the calculator on against the raw backends.

In one run, on the same toy model and prompts, measures generated tokens per
second of

- raw transformers ``model.generate`` and our hf sampler with the calculator on;
- raw ``vllm.LLM.generate`` and our vLLM sampler with the calculator on (two
  engines side by side, the raw one without our logits processor).

Each pair runs interleaved for ``--rounds`` rounds; the ratio is the median over
rounds of ours / raw in the same round, which cancels most of the drift of a
shared machine. Goal: ours keeps at least 90% of its raw backend's tokens/s;
the script exits 1 otherwise. See bench/README.md.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from transformers import GenerationConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stepwise.demo.gsm8k import generate_gsm8k  # noqa: E402
from stepwise.formats.prompts import gsm8k_prompt  # noqa: E402
from stepwise.sampling import SamplingParams  # noqa: E402
from stepwise.sampling.hf_backend import HFSampler  # noqa: E402
from tests.toy_model import ensure_toy_model  # noqa: E402

GOAL = 0.90
log = logging.getLogger("bench_sampling")


@dataclass
class Timing:
    """Tokens and seconds of every round of one variant."""

    tokens: list[int]
    seconds: list[float]

    @property
    def rates(self) -> list[float]:
        return [t / s for t, s in zip(self.tokens, self.seconds)]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def ratio(raw: Timing, ours: Timing) -> float:
    """Median over rounds of ours' tokens/s over raw's in the same round."""
    return statistics.median(o / r for o, r in zip(ours.rates, raw.rates))


def timed(run: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    tokens = run()
    return tokens, time.perf_counter() - start


def interleave(raw: Callable[[], int], ours: Callable[[], int], rounds: int) -> tuple[Timing, Timing]:
    """Run raw and ours alternately ``rounds`` times each, after one warm-up each."""
    raw(), ours()
    timings = Timing([], []), Timing([], [])
    for round_index in range(rounds):
        for timing, run in zip(timings, (raw, ours)):
            tokens, seconds = timed(run)
            timing.tokens.append(tokens)
            timing.seconds.append(seconds)
        log.info(
            "round %d: raw %.0f tok/s, ours %.0f tok/s", round_index + 1, timings[0].rates[-1], timings[1].rates[-1]
        )
    return timings


def raw_hf_tokens(sampler: HFSampler, prompts: list[str], params: SamplingParams) -> int:
    """Plain ``model.generate`` over the batches our sampler makes of length-sorted prompts."""
    tokenizer, model = sampler.tokenizer, sampler.model
    eos = torch.tensor(sorted(sampler.eos_ids), device=sampler.device)
    per_batch = max(1, sampler.batch_size // params.n)
    config = GenerationConfig(
        max_new_tokens=params.max_tokens,
        do_sample=True,
        temperature=params.temperature,
        top_p=params.top_p,
        top_k=0,
        num_return_sequences=params.n,
        eos_token_id=eos.tolist(),
        pad_token_id=tokenizer.pad_token_id,
    )
    total = 0
    for index, start in enumerate(range(0, len(prompts), per_batch)):
        batch = tokenizer(prompts[start : start + per_batch], return_tensors="pt", padding=True).to(sampler.device)
        torch.manual_seed(params.seed + index)
        with torch.inference_mode():
            generated = model.generate(**batch, generation_config=config)[:, batch["input_ids"].shape[1] :]
        is_eos = torch.isin(generated, eos)
        ends = torch.where(is_eos.any(dim=1), is_eos.int().argmax(dim=1) + 1, generated.shape[1])
        total += int(ends.sum())
    return total


def ours_tokens(sampler, prompts: list[str], params: SamplingParams) -> int:
    return sum(g.num_tokens for generations in sampler.generate(prompts, params) for g in generations)


def bench_hf(model_dir: Path, prompts: list[str], params: SamplingParams, rounds: int) -> tuple[Timing, Timing]:
    sampler = HFSampler(model_dir)
    # Length-sorted input makes raw batches the same as the ones our sampler forms.
    prompts = sorted(prompts, key=lambda p: len(sampler.tokenizer(p)["input_ids"]))
    calculator = replace(params, calculator=True)
    return interleave(
        lambda: raw_hf_tokens(sampler, prompts, params), lambda: ours_tokens(sampler, prompts, calculator), rounds
    )


def bench_vllm(
    model_dir: Path, prompts: list[str], params: SamplingParams, rounds: int, engine: dict
) -> tuple[Timing, Timing]:
    import vllm

    from stepwise.sampling.vllm_backend import VLLMSampler, platform_engine_kwargs, vllm_params

    raw_llm = vllm.LLM(model=str(model_dir), enable_prefix_caching=True, **platform_engine_kwargs(), **engine)
    ours = VLLMSampler(model_dir, **engine)
    raw_params = [vllm_params(params, prompt) for prompt in prompts]  # the same per-prompt seeds as ours

    def raw() -> int:
        outputs = raw_llm.generate(prompts, raw_params, use_tqdm=False)
        return sum(len(c.token_ids) for output in outputs for c in output.outputs)

    return interleave(raw, lambda: ours_tokens(ours, prompts, replace(params, calculator=True)), rounds)


def report(results: dict[str, tuple[Timing, Timing]]) -> bool:
    """Print the table; True if every backend meets the goal."""
    print(f"\n{'backend':8} {'variant':22} {'tokens/round':>12} {'tok/s per round':>32} {'median':>7} {'ratio':>6}")
    ok = True
    for backend, (raw, ours) in results.items():
        kept = ratio(raw, ours)
        ok &= kept >= GOAL
        for name, timing, shown in ((f"raw {backend}", raw, ""), ("ours, calculator on", ours, f"{kept:.3f}")):
            rates = " ".join(f"{rate:.0f}" for rate in timing.rates)
            print(
                f"{backend:8} {name:22} {statistics.median(timing.tokens):12.0f} {rates:>32} "
                f"{timing.median:7.0f} {shown:>6}"
            )
    print(f"\ngoal: ours keeps >= {GOAL:.0%} of the raw backend's tokens/s: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        type=Path,
        default=Path(tempfile.gettempdir()) / "stepwise_bench_toy_model",
        help="model folder; the toy model is trained there first if it is missing",
    )
    parser.add_argument("--backends", default="hf,vllm", help="comma-separated: hf, vllm")
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the hf backend")
    parser.add_argument(
        "--gpu-memory-utilization", type=float, default=0.15, help="per vLLM engine (on a CPU: share of RAM)"
    )
    parser.add_argument(
        "--compile", action="store_true", help="let vLLM compile the model (slower start) instead of eager mode"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)

    model_dir = ensure_toy_model(args.model)
    prompts = [gsm8k_prompt(p["question"]) for p in generate_gsm8k(args.prompts, 1, "test", max_steps=3, max_number=12)]
    params = SamplingParams(
        n=args.n, temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=0
    )
    log.info("%d prompts x %d samples, max %d tokens, model %s", len(prompts), args.n, args.max_tokens, model_dir)
    results = {}
    backends = args.backends.split(",")
    if "hf" in backends:
        results["hf"] = bench_hf(model_dir, prompts, params, args.rounds)
    if "vllm" in backends:
        engine = {"gpu_memory_utilization": args.gpu_memory_utilization, "seed": 0, "enforce_eager": not args.compile}
        results["vllm"] = bench_vllm(model_dir, prompts, params, args.rounds, engine)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
