"""Compare the two Math-Shepherd strategies on the samples of the first training problems.

The workflow's label shards (``--labels``) hold one strategy's labels; this
labels the samples of the first ``problems`` of those problems again with the
other strategy, through the same completion settings, and writes their cost,
agreement and (with ``demo_truth``: ``--dataset`` holds demo problems) label
quality against the true step correctness (:mod:`stepwise.shepherd.compare`) as
JSON and as Markdown.

Settings: ``problems``, ``completion`` (as for the label shards), ``sampling``,
``soft_threshold`` and ``demo_truth``.
"""

import json
import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.demo.truth import demo_programs, true_step_labels
from stepwise.generators.prompting import Generator
from stepwise.io import DataError, atomic_output, iter_jsonl
from stepwise.sampling import SamplingParams, sampler_from_config
from stepwise.shepherd import STRATEGIES, Completer, candidates_from_samples
from stepwise.shepherd.compare import STRATEGY_NAMES, compare_strategies, comparison_markdown
from stepwise.shepherd.records import labelled_record, read_labelled


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw problems with golden answers (JSONL)")
    parser.add_argument("--samples", required=True, help="the sample records the shards labelled (JSONL)")
    parser.add_argument("--labels", nargs="+", required=True, help="the workflow's labelled shard files (JSONL)")
    parser.add_argument("--model", required=True, help="completer model folder")
    parser.add_argument("--gpus", type=int, required=True, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--out-json", required=True)
    parser.add_argument("--out-md", required=True)
    args = parse_job(parser)
    n_problems, completion, sampling, soft_threshold, demo_truth = required(
        args.settings, "problems", "completion", "sampling", "soft_threshold", "demo_truth"
    )

    labelled = {}
    for path in args.labels:
        for record in read_labelled(path):
            labelled[(record["problem_id"], record["sample_id"])] = record
    strategies = {record["strategy"] for record in labelled.values()}
    if len(strategies) != 1:
        raise DataError(f"the label shards mix strategies {sorted(strategies)}; expected one")
    (done,) = strategies
    other = next(strategy for strategy in STRATEGY_NAMES if strategy != done)

    task = get_task(args.task)
    generator = Generator.from_folder(args.model, task)  # its prompts, stop strings, step format and answers
    problems = {problem.problem_id: problem for problem in generator.problems(args.dataset)}
    candidates = candidates_from_samples(iter_jsonl(args.samples), problems, generator.step_format, path=args.samples)
    first = set(list(dict.fromkeys(c.problem_id for c in candidates))[:n_problems])
    candidates = [c for c in candidates if c.problem_id in first]
    missing = [(c.problem_id, c.sample_id) for c in candidates if (c.problem_id, c.sample_id) not in labelled]
    if missing:
        raise DataError(f"{len(missing)} solutions to compare have no {done} labels in the shards, e.g. {missing[0]}")
    logging.info(
        "%s labels exist; labelling %d solutions of %d problems with %s", done, len(candidates), len(first), other
    )

    sampler = sampler_from_config(sampling, args.model, args.gpus)
    with task.checker() as checker:
        params = generator.sampling_params(
            SamplingParams.from_config(completion, calculator_notation=task.calculator_notation)
        )
        completer = Completer(sampler, params, generator.answer_reader(checker), checker.equal)
        fresh = [labelled_record(labels) for labels in STRATEGIES[other](candidates, completer)]
    existing = [labelled[(r["problem_id"], r["sample_id"])] for r in fresh]
    by_strategy = {done: existing, other: fresh}
    truths = None
    if demo_truth:
        truths = true_step_labels(by_strategy["linear"], demo_programs(args.task, args.dataset), task.step_format)
    comparison = compare_strategies(by_strategy["linear"], by_strategy["binary"], truths, soft_threshold)
    with atomic_output(args.out_json) as handle:
        json.dump({"labelled_by_workflow": done, "problems": len(first), **comparison}, handle, indent=2)
    with atomic_output(args.out_md) as handle:
        handle.write(comparison_markdown(comparison))
    overall = comparison["all"]
    logging.info(
        "%d solutions: binary / linear tokens %s, hard-label agreement %s -> %s",
        overall["solutions"],
        overall["binary_token_share"],
        overall["agreement"],
        args.out_json,
    )


if __name__ == "__main__":
    main()
