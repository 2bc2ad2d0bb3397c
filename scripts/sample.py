"""Sample solutions for one shard of a task's problems and grade their answers.

The generator folder says how it is prompted, where its solutions stop and how
their answers read (stepwise.generators.prompting: the task's own format for a fine-tuned
generator). Settings: ``sample_set`` (the task's sample-set config: n,
temperature, ...) and ``sampling`` (the config's sampling section: backend,
shards, ...).
"""

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.generators.prompting import Generator
from stepwise.sampling import SamplingParams, sampler_from_config
from stepwise.sampling.shards import sample_shard


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw problems (JSONL)")
    parser.add_argument("--model", required=True, help="generator model folder")
    parser.add_argument("--gpus", type=int, required=True, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--shard", type=int, required=True)
    parser.add_argument("--out", required=True, help="shard output (JSONL)")
    args = parse_job(parser)

    sample_set, sampling = required(args.settings, "sample_set", "sampling")
    task = get_task(args.task)
    generator = Generator.from_folder(args.model, task)
    problems = generator.problems(args.dataset)
    if sample_set.get("problems"):
        problems = problems[: sample_set["problems"]]
    params = generator.sampling_params(
        SamplingParams.from_config(sample_set, calculator_notation=task.calculator_notation)
    )
    sampler = sampler_from_config(sampling, args.model, args.gpus)
    with task.checker() as checker:
        sample_shard(
            sampler,
            problems,
            params,
            args.out,
            n_shards=sampling["shards"],
            index=args.shard,
            extract=generator.answer_reader(checker),
            grade=checker.equal,
            greedy=sample_set["greedy"],
        )


if __name__ == "__main__":
    main()
