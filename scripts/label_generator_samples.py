"""Rate a task's generator samples step by step by the demo's ground truth, as PRM800K's labellers rated
their generator's (stepwise.demo.labeller): TRL stepwise JSONL, each sample labelled up to its first wrong step.

Settings: the samples' ``step_format``."""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.stepwise_formats import write_trl
from stepwise.demo.labeller import label_samples
from stepwise.demo.truth import demo_programs
from stepwise.io import read_jsonl


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--samples", required=True, help="the generator's samples (JSONL)")
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="the demo problems the samples solve (JSONL, with 'demo')")
    parser.add_argument("--out", required=True, help="step-labelled samples (TRL stepwise JSONL)")
    args = parse_job(parser)
    (step_format,) = required(args.settings, "step_format")
    task = get_task(args.task)
    texts = task.problem_texts(args.dataset)
    problems = {pid: (task.prompt(texts[pid]), truth) for pid, truth in demo_programs(args.task, args.dataset).items()}
    examples, counts = label_samples(read_jsonl(args.samples), problems, step_format)
    write_trl(args.out, examples)
    logging.info("labelled %s", ", ".join(f"{key} {value}" for key, value in counts.items()))


if __name__ == "__main__":
    main()
