"""Math-Shepherd labels for one shard of the problems: complete the step prefixes of their samples.

The shard's problems are a contiguous slice (:func:`stepwise.sampling.shards.shard_slice`)
of the dataset's problems that have samples (the first ``--problems`` of them);
every sample of them is split into steps and labelled with the chosen labeller
(``linear`` or ``binary``, see :mod:`stepwise.shepherd.labeller`). The shard
file is written atomically, so a rerun redoes only missing shards.
"""

import argparse
import json
import logging

from stepwise.io import iter_jsonl, write_jsonl
from stepwise.sampling import SamplingParams, sampler_from_config
from stepwise.sampling.shards import shard_slice
from stepwise.shepherd import LABELLERS, Completer, candidates_from_samples
from stepwise.shepherd.records import labelled_record
from stepwise.tasks import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--dataset", required=True, help="raw problems with golden answers (JSONL)")
    parser.add_argument("--samples", required=True, help="sample records to label (JSONL)")
    parser.add_argument("--model", required=True, help="completer model folder")
    parser.add_argument("--labeler", required=True, choices=sorted(LABELLERS))
    parser.add_argument("--completer", required=True, help="completion settings as JSON: n, temperature, top_p, "
                        "max_tokens, seed, calculator")
    parser.add_argument("--sampling", required=True, help="the config's `sampling` section as JSON")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--problems", type=int, help="label only the first this-many problems that have samples")
    parser.add_argument("--shard", type=int, required=True)
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("--out", required=True, help="labelled records of the shard (JSONL)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    settings, sampling = json.loads(args.completer), json.loads(args.sampling)
    task = get_task(args.task)
    problems = {problem.problem_id: problem for problem in task.load(args.dataset)}
    candidates = candidates_from_samples(iter_jsonl(args.samples), problems, task.step_format, path=args.samples)
    sampled = list(dict.fromkeys(c.problem_id for c in candidates))[: args.problems]
    mine = {sampled[i] for i in shard_slice(len(sampled), args.shards, args.shard)}
    candidates = [c for c in candidates if c.problem_id in mine]
    logging.info("shard %d/%d: %d problems, %d solutions, %d steps; labeller %s", args.shard, args.shards,
                 len(mine), len(candidates), sum(len(c.steps) for c in candidates), args.labeler)
    params = SamplingParams.from_config(settings, calculator_notation=task.step_format)
    sampler = sampler_from_config(sampling, args.model, args.gpus)
    with task.checker() as checker:
        completer = Completer(sampler, params, task.extract, checker.equal)
        labelled = LABELLERS[args.labeler](candidates, completer)
    count = write_jsonl(args.out, (labelled_record(labels) for labels in labelled))
    logging.info("labelled %d solutions with %d completions (%d tokens) -> %s", count,
                 sum(x.completions for x in labelled), sum(x.tokens for x in labelled), args.out)


if __name__ == "__main__":
    main()
