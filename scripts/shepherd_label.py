"""Math-Shepherd labels for one shard of the problems: complete the step prefixes of their samples.

The shard's problems are a contiguous slice (:func:`stepwise.sampling.shards.shard_slice`)
of the dataset's problems that have samples (the first ``problems`` of them);
every sample of them is split into steps and labelled with the chosen strategy
(``linear`` or ``binary``, see :mod:`stepwise.shepherd.strategies`). The shard
file is written atomically, so a rerun redoes only missing shards.

Settings: the labelling ``strategy``, ``problems`` (null: all), ``completion``
(n, temperature, top_p, max_tokens, seed, calculator) and ``sampling`` (the
config's section; its ``shards`` is the shard count).
"""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.generators.prompting import Generator
from stepwise.io import DataError, iter_jsonl, write_jsonl
from stepwise.sampling import SamplingParams, sampler_from_config
from stepwise.sampling.shards import shard_slice
from stepwise.shepherd import STRATEGIES, Completer, candidates_from_samples
from stepwise.shepherd.records import labelled_record


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw problems with golden answers (JSONL)")
    parser.add_argument("--samples", required=True, help="sample records to label (JSONL)")
    parser.add_argument("--model", required=True, help="completer model folder")
    parser.add_argument("--gpus", type=int, required=True, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--shard", type=int, required=True)
    parser.add_argument("--out", required=True, help="labelled records of the shard (JSONL)")
    args = parse_job(parser)

    strategy, n_problems, completion, sampling = required(
        args.settings, "strategy", "problems", "completion", "sampling"
    )
    if strategy not in STRATEGIES:
        raise DataError(f"--settings: unknown strategy {strategy!r}; known: {sorted(STRATEGIES)}")
    shards = sampling["shards"]
    task = get_task(args.task)
    generator = Generator.from_folder(args.model, task)  # its prompts, stop strings, step format and answers
    problems = {problem.problem_id: problem for problem in generator.problems(args.dataset)}
    candidates = candidates_from_samples(iter_jsonl(args.samples), problems, generator.step_format, path=args.samples)
    sampled = list(dict.fromkeys(c.problem_id for c in candidates))[:n_problems]
    mine = {sampled[i] for i in shard_slice(len(sampled), shards, args.shard)}
    candidates = [c for c in candidates if c.problem_id in mine]
    logging.info(
        "shard %d/%d: %d problems, %d solutions, %d steps; strategy %s",
        args.shard,
        shards,
        len(mine),
        len(candidates),
        sum(len(c.steps) for c in candidates),
        strategy,
    )
    params = generator.sampling_params(
        SamplingParams.from_config(completion, calculator_notation=task.calculator_notation)
    )
    sampler = sampler_from_config(sampling, args.model, args.gpus)
    with task.checker() as checker:
        completer = Completer(sampler, params, generator.answer_reader(checker), checker.equal)
        labelled = STRATEGIES[strategy](candidates, completer)
    count = write_jsonl(args.out, (labelled_record(labels) for labels in labelled))
    logging.info(
        "labelled %d solutions with %d completions (%d tokens) -> %s",
        count,
        sum(x.completions for x in labelled),
        sum(x.tokens for x in labelled),
        args.out,
    )


if __name__ == "__main__":
    main()
