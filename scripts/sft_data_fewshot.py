"""Write a task's generator SFT data as few-shot samples of a prompted model whose answers check
correct (stepwise.generators.sft_data.fewshot_examples).

Settings: ``generator_data`` (the task's generator_data section; its ``model`` is ``base``, the
workflow's base model, or a model folder / Hugging Face id) and ``sampling`` (the config's section).
"""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.math import load_math
from stepwise.generators.sft_data import GeneratorDataSettings, fewshot_examples
from stepwise.io import write_jsonl
from stepwise.models.resolve import read_model_pointer
from stepwise.sampling import sampler_from_config


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw training problems (JSONL)")
    parser.add_argument("--base", required=True, help="base-model pointer written by rule base_model")
    parser.add_argument("--gpus", type=int, required=True, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--out", required=True, help="SFT data (JSONL)")
    args = parse_job(parser)

    generator_data, sampling = required(args.settings, "generator_data", "sampling")
    settings = GeneratorDataSettings.from_config(generator_data)
    model = read_model_pointer(args.base) if settings.model == "base" else settings.model
    task = get_task(args.task)
    sampler = sampler_from_config(sampling, model, args.gpus)
    with task.checker() as checker:
        examples, _ = fewshot_examples(sampler, load_math(args.dataset), settings, task.extract, checker.equal)
    if not examples:
        raise SystemExit("fewshot: no sample had a correct answer; no SFT data (see the counts above)")
    logging.info("wrote %d SFT examples to %s", write_jsonl(args.out, examples), args.out)


if __name__ == "__main__":
    main()
