"""Step-wise search throughput: beam search's generated tokens per second as a share of plain sampling's.

On the same toy model, problems and backend, measures generated tokens per
second of

- plain sampling: ``n`` whole solutions per problem in one call, calculator on;
- beam search at budget ``n`` (stepwise.search: one batched call per step for
  every problem, stop at the step separator and resubmit, calculator on), timed
  over its generation calls alone (the guide is a free hash of the text, so
  that the share measures what stopping and resubmitting costs; a real guide's
  forward passes come on top and are counted as scored tokens).

Plain and beam search run alternately for ``--rounds`` rounds after a warm-up;
the share is the median over rounds of beam search's tokens/s over plain
sampling's in the same round. Goal: at least 0.5 on each backend; the script
exits 1 otherwise. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stepwise.demo.gsm8k import generate_gsm8k  # noqa: E402
from stepwise.formats.prompts import gsm8k_prompt  # noqa: E402
from stepwise.sampling import SamplingParams, make_sampler  # noqa: E402
from stepwise.search.runner import SearchProblem, SearchSettings, run_search  # noqa: E402
from stepwise.search.step_generator import StepGenerator  # noqa: E402
from tests.toy_model import ensure_toy_model  # noqa: E402

GOAL = 0.5
log = logging.getLogger("bench_search")


class HashGuide:
    """A guide that costs nothing: a deterministic pseudo-random score per text."""

    forwarded_tokens = 0

    def evaluate(self, problems, solutions, finished=None):
        scores = [int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") / 2**32 for text in solutions]
        return scores, [0] * len(solutions)


class TimedSteps(StepGenerator):
    """A step generator that adds up the seconds spent in its generation calls."""

    seconds = 0.0

    def generate(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return super().generate(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def plain_rate(sampler, prompts: list[str], params: SamplingParams) -> tuple[int, float]:
    start = time.perf_counter()
    tokens = sum(g.num_tokens for generations in sampler.generate(prompts, params) for g in generations)
    return tokens, tokens / (time.perf_counter() - start)


def search_rate(sampler, problems: list[SearchProblem], settings: SearchSettings, n: int) -> tuple[int, float, int]:
    steps = TimedSteps(
        sampler,
        "gsm8k",
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_tokens=settings.step_max_tokens,
        calculator=True,
    )
    results = run_search("beam_search", n, problems, steps, HashGuide(), settings)
    tokens = sum(result.generated_tokens for result in results)
    return tokens, tokens / steps.seconds, steps.calls


def bench(sampler, prompts: list[str], args) -> dict[str, list[float]]:
    params = SamplingParams(
        n=args.n, temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=0, calculator=True
    )
    settings = SearchSettings(
        budgets=(args.n,),
        beam_width=args.beam_width,
        max_steps=args.max_steps,
        step_max_tokens=args.step_max_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        aggregation="last",
        problems=None,
        seed=0,
        lookahead=0,
    )
    problems = [SearchProblem(f"q{i}", prompt, prompt, "") for i, prompt in enumerate(prompts)]
    plain_rate(sampler, prompts, params), search_rate(sampler, problems, settings, args.n)  # warm-up
    rows: dict[str, list[float]] = {
        "plain tokens": [],
        "plain tok/s": [],
        "search tokens": [],
        "search tok/s": [],
        "search calls": [],
        "share": [],
    }
    for round_index in range(args.rounds):
        tokens, rate = plain_rate(sampler, prompts, params)
        search_tokens, search_tps, calls = search_rate(sampler, problems, settings, args.n)
        for key, value in zip(rows, (tokens, rate, search_tokens, search_tps, calls, search_tps / rate)):
            rows[key].append(value)
        log.info(
            "%s round %d: plain %.0f tok/s, beam search %.0f tok/s (%d calls): share %.3f",
            sampler.backend,
            round_index + 1,
            rate,
            search_tps,
            calls,
            search_tps / rate,
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        type=Path,
        default=Path(tempfile.gettempdir()) / "stepwise_bench_toy_model",
        help="model folder; the toy model is trained there first if it is missing",
    )
    parser.add_argument("--backends", default="hf,vllm", help="comma-separated: hf, vllm")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--n", type=int, default=8, help="budget: solutions of plain sampling, beam search's N")
    parser.add_argument("--beam-width", type=int, default=4)
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--step-max-tokens", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=160, help="plain sampling's max tokens per solution")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the hf backend")
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.15, help="vLLM (on a CPU: share of RAM)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("stepwise").setLevel(logging.WARNING)
    torch.set_num_threads(args.threads)

    model_dir = ensure_toy_model(args.model)
    prompts = [gsm8k_prompt(p["question"]) for p in generate_gsm8k(args.prompts, 1, "test", max_steps=3, max_number=12)]
    results = {}
    for backend in args.backends.split(","):
        engine = (
            {"gpu_memory_utilization": args.gpu_memory_utilization, "enforce_eager": True} if backend == "vllm" else {}
        )
        results[backend] = bench(make_sampler(backend, model_dir, **engine), prompts, args)

    print(f"\n{args.prompts} problems, n = {args.n}, beam width {args.beam_width}, calculator on")
    print(
        f"{'backend':8} {'plain tok/s':>12} {'search tok/s':>13} {'tokens plain/search':>20} {'calls':>6} {'share':>6}"
    )
    ok = True
    for backend, rows in results.items():
        share = statistics.median(rows["share"])
        ok &= share >= GOAL
        print(
            f"{backend:8} {statistics.median(rows['plain tok/s']):12.0f} "
            f"{statistics.median(rows['search tok/s']):13.0f} "
            f"{statistics.median(rows['plain tokens']):9.0f}/{statistics.median(rows['search tokens']):<10.0f} "
            f"{statistics.median(rows['search calls']):6.0f} {share:6.3f}"
        )
    print(
        f"\ngoal: beam search keeps >= {GOAL} of plain sampling's tokens/s on each backend: "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
