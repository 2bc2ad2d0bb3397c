"""Sample solutions for one shard of a task's problems and grade their answers."""

import argparse
import json
import logging

from stepwise.sampling import SamplingParams, sampler_from_config
from stepwise.sampling.shards import sample_shard
from stepwise.tasks import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--dataset", required=True, help="raw problems (JSONL)")
    parser.add_argument("--model", required=True, help="generator model folder")
    parser.add_argument("--run", required=True, help="this sample set's config (n, temperature, ...) as JSON")
    parser.add_argument("--sampling", required=True, help="the config's `sampling` section as JSON")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--shard", type=int, required=True)
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("--out", required=True, help="shard output (JSONL)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    run, sampling = json.loads(args.run), json.loads(args.sampling)
    task = get_task(args.task)
    problems = task.load(args.dataset)
    if run.get("problems"):
        problems = problems[: run["problems"]]
    params = SamplingParams.from_config(run, calculator_notation=task.step_format)
    sampler = sampler_from_config(sampling, args.model, args.gpus)
    with task.checker() as checker:
        sample_shard(
            sampler,
            problems,
            params,
            args.out,
            n_shards=args.shards,
            index=args.shard,
            extract=task.extract,
            grade=checker.equal,
            greedy=run["greedy"],
        )


if __name__ == "__main__":
    main()
