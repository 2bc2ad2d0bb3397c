"""Write a task's generator SFT data from its training problems: gold solutions (GSM8K) or MATH
reference solutions in the PRM800K step format (stepwise.generators.sft_data). Few-shot samples as SFT
data are scripts/sft_data_fewshot.py.

Settings: none for gold solutions; ``source`` and ``problems`` of math.generator_data for references.
"""

import logging

from stepwise.cli import job_parser, parse_job
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.math import load_math
from stepwise.generators.sft_data import GeneratorDataSettings, reference_examples
from stepwise.io import write_jsonl


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw training problems (JSONL)")
    parser.add_argument("--out", required=True, help="SFT data (JSONL)")
    args = parse_job(parser)

    if args.settings:
        settings = GeneratorDataSettings.from_config(args.settings)
        examples = reference_examples(load_math(args.dataset), settings)
        logging.info("%s: %d reference solutions in the step format from %s", args.task, len(examples), args.dataset)
    else:
        examples = get_task(args.task).load_gold(args.dataset)
        logging.info("%s: %d gold solutions from %s", args.task, len(examples), args.dataset)
    logging.info("wrote %d SFT examples to %s", write_jsonl(args.out, examples), args.out)


if __name__ == "__main__":
    main()
