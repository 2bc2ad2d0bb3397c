"""Write a task's generator SFT data (prompt/completion JSONL); see stepwise.generator_data."""

import argparse
import json
import logging

from stepwise.data.math import load_math
from stepwise.generator_data import GeneratorDataSettings, fewshot_examples, reference_examples
from stepwise.io import write_jsonl
from stepwise.models.resolve import read_model_pointer
from stepwise.sampling import sampler_from_config
from stepwise.tasks import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--dataset", required=True, help="raw training problems (JSONL)")
    parser.add_argument("--settings", default="{}", help="MATH: the config's math.generator_data as JSON")
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--base", help="fewshot: base-model pointer written by rule base_model (model: base)")
    model.add_argument("--model", help="fewshot: the prompted model's folder or Hugging Face id")
    parser.add_argument("--sampling", default="{}", help="fewshot: the config's `sampling` section as JSON")
    parser.add_argument("--gpus", type=int, default=0, help="fewshot: GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--out", required=True, help="SFT data (JSONL)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    task = get_task(args.task)
    settings = GeneratorDataSettings.from_config(json.loads(args.settings))
    if args.task == "gsm8k":
        examples = task.load_gold(args.dataset)
        logging.info("gsm8k: %d gold solutions from %s", len(examples), args.dataset)
    elif settings.source == "reference":
        examples = reference_examples(load_math(args.dataset), settings)
        logging.info("math: %d reference solutions in the step format from %s", len(examples), args.dataset)
    else:
        if not (args.base or args.model):
            parser.error("source fewshot needs --base or --model")
        sampling = json.loads(args.sampling)
        sampler = sampler_from_config(sampling, read_model_pointer(args.base) if args.base else args.model, args.gpus)
        with task.checker() as checker:
            examples, _ = fewshot_examples(sampler, load_math(args.dataset), settings, task.extract, checker.equal)
        if not examples:
            raise SystemExit("fewshot: no sample had a correct answer; no SFT data (see the counts above)")
    logging.info("wrote %d SFT examples to %s", write_jsonl(args.out, examples), args.out)


if __name__ == "__main__":
    main()
