"""Exact best-of-N against a Monte Carlo estimate over 10,000 random subsets.

Goals, checked on a generated table (500 problems x 256 samples, coarse scores
so that ties are everywhere):
  1. at every N the closed form and the Monte Carlo estimate agree within
     0.5 percentage points;
  2. the closed form is at least 100x faster than the Monte Carlo estimate.
Prints a table and exits with status 1 if a goal fails.

Run from the repository root: ``python bench/bench_best_of_n.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from stepwise.selection import MethodSpec, accuracy_curves  # noqa: E402

MAX_DIFF_PP = 0.5
MIN_SPEEDUP = 100.0


def make_table(problems: int, samples: int, seed: int) -> pd.DataFrame:
    """Samples whose score is informative but noisy, rounded to 0.05 (21 levels: many ties)."""
    rng = np.random.default_rng(seed)
    difficulty = rng.beta(1.5, 1.5, size=problems)
    correct = rng.random((problems, samples)) < difficulty[:, None]
    logits = np.where(correct, 1.0, -1.0) + rng.normal(0.0, 1.5, size=correct.shape)
    scores = np.round(20.0 / (1.0 + np.exp(-logits))) / 20.0
    return pd.DataFrame(
        {
            "problem_id": np.repeat(np.arange(problems), samples),
            "sample_id": np.tile(np.arange(samples), problems),
            "correct": correct.ravel(),
            "score": scores.ravel(),
        }
    )


def tied_fraction(samples: pd.DataFrame) -> float:
    """Share of samples whose score equals another sample's score in the same problem."""
    return float(samples.duplicated(["problem_id", "score"], keep=False).mean())


def timed(function, repeats: int) -> tuple[pd.DataFrame, float]:
    """Result and best wall time over ``repeats`` calls."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--trials", type=int, default=10_000, help="Monte Carlo subsets per problem and N")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    samples = make_table(args.problems, args.samples, args.seed)
    spec = [MethodSpec("best_of_n", score="score")]
    print(
        f"table: {args.problems} problems x {args.samples} samples, "
        f"{samples['score'].nunique()} score levels, {100 * tied_fraction(samples):.1f}% of samples tied; "
        f"Monte Carlo: {args.trials} subsets per problem and N"
    )

    exact, exact_s = timed(lambda: accuracy_curves(samples, spec), repeats=3)
    simulated, mc_s = timed(
        lambda: accuracy_curves(samples, spec, trials=args.trials, seed=args.seed + 1, exact=False), repeats=1
    )
    diff_pp = 100 * (exact["accuracy"] - simulated["accuracy"]).abs()
    # Standard error of the Monte Carlo mean, for judging whether a difference is noise.
    stderr_pp = 100 * simulated["std"] / np.sqrt(args.trials)

    print(f"\n{'N':>5} {'exact %':>9} {'MC %':>9} {'|diff| pp':>10} {'MC s.e. pp':>11}")
    for n, e, m, d, s in zip(exact["n"], exact["accuracy"], simulated["accuracy"], diff_pp, stderr_pp):
        print(f"{n:>5} {100 * e:>9.3f} {100 * m:>9.3f} {d:>10.4f} {s:>11.4f}")
    speedup = mc_s / exact_s
    print(
        f"\nwhole curve ({len(exact)} values of N): exact {exact_s:.3f} s (best of 3), "
        f"Monte Carlo {mc_s:.1f} s, speedup {speedup:.0f}x"
    )

    failures = []
    if diff_pp.max() > MAX_DIFF_PP:
        failures.append(f"max |exact - MC| = {diff_pp.max():.3f} pp > {MAX_DIFF_PP} pp")
    if speedup < MIN_SPEEDUP:
        failures.append(f"speedup {speedup:.0f}x < {MIN_SPEEDUP:.0f}x")
    for failure in failures:
        print(f"GOAL FAILED: {failure}")
    if not failures:
        print(
            f"goals met: max |diff| {diff_pp.max():.4f} pp <= {MAX_DIFF_PP} pp, speedup {speedup:.0f}x >= "
            f"{MIN_SPEEDUP:.0f}x"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
