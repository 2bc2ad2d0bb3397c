"""Math-Shepherd labelling cost: the ``binary`` first-error search against ``linear`` completion of every prefix.

On demo MATH-style problems (2 to 12 steps, half of them 8 or more), each
problem's reference solution and a copy with one injected wrong step
(:func:`stepwise.demo.program.candidate_changes`) are labelled by both
strategies through the same completer. The completer is *simulated* (no MATH
generator is trained here): from a prefix whose steps are all right (by
:func:`stepwise.demo.truth.judge_steps`) a continuation writes the reference's
remaining steps and reaches the answer with probability ``--p-good``; from a
prefix with a wrong step it reaches it with probability ``--p-lucky`` (a lucky
recovery). Continuations are a deterministic function of the prefix, so both
strategies see the same ones; tokens are counted as whitespace-separated words.

Reports, by solution length in steps, the tokens ``binary`` generates relative
to ``linear`` and the share of steps whose hard labels agree, and both strategies'
label quality against the ground truth. Goal: on solutions of 8+ steps binary
uses at most 40% of linear's tokens, with hard-label agreement >= 95% over all
steps; exits 1 otherwise. See bench/README.md.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stepwise.config.registry import get_task  # noqa: E402
from stepwise.demo.math import LONG_STEPS, generate_math  # noqa: E402
from stepwise.demo.program import candidate_changes, render_number, render_solution, run_program  # noqa: E402
from stepwise.demo.truth import judge_steps  # noqa: E402
from stepwise.formats.prompts import math_prompt  # noqa: E402
from stepwise.formats.steps import ANSWER_MARKER, split_steps  # noqa: E402
from stepwise.sampling import Generation, SamplingParams  # noqa: E402
from stepwise.shepherd import Candidate, Completer, label_binary, label_linear  # noqa: E402
from stepwise.shepherd.compare import compare_strategies, comparison_markdown  # noqa: E402
from stepwise.shepherd.records import labelled_record  # noqa: E402

TOKEN_GOAL, AGREEMENT_GOAL = 0.40, 0.95
log = logging.getLogger("bench_shepherd")


def solution_text(lines: list[str], answer: str) -> str:
    return "\n".join(lines) + f"\n{ANSWER_MARKER}\n\n{answer}"


def candidates_of(record: dict, problem_id: str, rng: random.Random) -> list[Candidate]:
    """The reference solution and, when a step can be made wrong, a copy with one wrong step."""
    prompt, program = math_prompt(record["problem"]), record["demo"]["program"]
    texts = [(record["solution"], True)]
    trace = run_program(program)
    changes = [c for i in range(len(program["steps"])) for c in candidate_changes(program, i, trace)]
    while changes:
        change = changes.pop(rng.randrange(len(changes)))
        try:
            lines, value = render_solution(program, "latex", change)
        except ZeroDivisionError:
            continue
        answer = render_number(value, "latex", program["number_style"])
        texts.append((solution_text(lines, answer), answer == record["answer"]))
        break
    return [
        Candidate(problem_id, i, prompt, record["answer"], tuple(split_steps(t, "prm800k")), ok)
        for i, (t, ok) in enumerate(texts)
    ]


class SimulatedCompleter:
    """A sampler continuing prefixes of demo solutions as described in the module docstring."""

    backend = "simulated"

    def __init__(self, records: dict[str, dict], p_good: float, p_lucky: float, seed: int):
        self.records, self.p_good, self.p_lucky, self.seed = records, p_good, p_lucky, seed

    def generate(self, prompts: list[str], params: SamplingParams) -> list[list[Generation]]:
        return [self._continue(prompt, params.n) for prompt in prompts]

    def _continue(self, prompt: str, n: int) -> list[Generation]:
        record = next(r for p, r in self.records.items() if prompt.startswith(p))
        prefix = split_steps(prompt.removeprefix(math_prompt(record["problem"])).removesuffix("\n"), "prm800k")
        on_track = all(judge_steps(record["demo"], prefix, "prm800k"))
        reference = split_steps(record["solution"], "prm800k")[:-1]  # without the answer step
        rest = reference[len(prefix) :]
        rng = random.Random(zlib.crc32(f"{self.seed}:{prompt}".encode()))
        generations = []
        for _ in range(n):
            reaches = rng.random() < (self.p_good if on_track else self.p_lucky)
            text = solution_text(rest, record["answer"] if reaches else f"{record['answer']} + 1")
            generations.append(Generation(text, len(text.split()), "stop"))
        return generations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--n", type=int, default=8, help="continuations per prefix (the paper's N)")
    parser.add_argument("--p-good", type=float, default=0.6)
    parser.add_argument("--p-lucky", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    demo = generate_math(args.problems, args.seed, "train", long_share=0.5)
    records = {math_prompt(r["problem"]): r for r in demo}
    rng = random.Random(args.seed)
    candidates = [c for i, r in enumerate(demo) for c in candidates_of(r, f"q{i}", rng)]
    task = get_task("math")
    sampler = SimulatedCompleter(records, args.p_good, args.p_lucky, args.seed)
    with task.checker() as checker:
        completer = Completer(sampler, SamplingParams(n=args.n), task.extract, checker.equal)
        linear, binary = label_linear(candidates, completer), label_binary(candidates, completer)

    print(
        f"{len(candidates)} solutions ({sum(not c.correct for c in candidates)} wrong) of {len(demo)} problems; "
        f"N={args.n}, p_good={args.p_good}, p_lucky={args.p_lucky}\n"
    )
    truths = [judge_steps(records[c.prompt]["demo"], c.steps, "prm800k") for c in candidates]
    comparison = compare_strategies(
        [labelled_record(x) for x in linear], [labelled_record(x) for x in binary], truths, long_steps=LONG_STEPS
    )
    print(comparison_markdown(comparison))
    long_ratio, agreement = comparison["long"]["binary_token_share"], comparison["all"]["agreement"]
    print(
        f"all solutions: binary / linear tokens {comparison['all']['binary_token_share']:.1%}; "
        f">= {LONG_STEPS} steps: {long_ratio:.1%} (goal <= {TOKEN_GOAL:.0%}); "
        f"hard-label agreement over all steps {agreement:.1%} (goal >= {AGREEMENT_GOAL:.0%})"
    )
    ok = long_ratio <= TOKEN_GOAL and agreement >= AGREEMENT_GOAL
    print("\ngoals met" if ok else "\nGOAL FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
