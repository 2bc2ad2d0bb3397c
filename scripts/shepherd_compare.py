"""Compare the two Math-Shepherd labellers on the samples of the first training problems.

The workflow's label shards (``--labels``) hold one labeller's labels; this
labels the samples of the first ``--problems`` of those problems again with the
other labeller, through the same completion settings, and writes their cost,
agreement and (given ``--truth-dataset``, demo problems) label quality against
the true step correctness (:mod:`stepwise.shepherd.compare`) as JSON and as
Markdown.
"""

import argparse
import json
import logging

from stepwise.io import DataError, atomic_output, iter_jsonl
from stepwise.sampling import SamplingParams, sampler_from_config
from stepwise.shepherd import LABELLERS, Completer, candidates_from_samples
from stepwise.shepherd.compare import MODES, compare_labellers, comparison_markdown
from stepwise.shepherd.records import labelled_record, read_labelled
from stepwise.shepherd.stats import demo_ground_truth, true_step_labels
from stepwise.tasks import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--dataset", required=True, help="raw problems with golden answers (JSONL)")
    parser.add_argument("--samples", required=True, help="the sample records the shards labelled (JSONL)")
    parser.add_argument("--labels", nargs="+", required=True, help="the workflow's labelled shard files (JSONL)")
    parser.add_argument("--model", required=True, help="completer model folder")
    parser.add_argument("--completer", required=True, help="completion settings as JSON (as for the shards)")
    parser.add_argument("--sampling", required=True, help="the config's `sampling` section as JSON")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--problems", type=int, required=True, help="compare on the first this-many labelled problems")
    parser.add_argument("--truth-dataset", help="demo problems (JSONL) whose 'demo' field judges the steps")
    parser.add_argument("--soft-threshold", type=float, default=0.5, help="a soft label above it counts as good")
    parser.add_argument("--out-json", required=True)
    parser.add_argument("--out-md", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    labelled = {}
    for path in args.labels:
        for record in read_labelled(path):
            labelled[(record["problem_id"], record["sample_id"])] = record
    modes = {record["mode"] for record in labelled.values()}
    if len(modes) != 1:
        raise DataError(f"the label shards mix labellers {sorted(modes)}; expected one")
    (done,) = modes
    other = next(mode for mode in MODES if mode != done)

    task = get_task(args.task)
    problems = {problem.problem_id: problem for problem in task.load(args.dataset)}
    candidates = candidates_from_samples(iter_jsonl(args.samples), problems, task.step_format, path=args.samples)
    first = set(list(dict.fromkeys(c.problem_id for c in candidates))[: args.problems])
    candidates = [c for c in candidates if c.problem_id in first]
    missing = [(c.problem_id, c.sample_id) for c in candidates if (c.problem_id, c.sample_id) not in labelled]
    if missing:
        raise DataError(f"{len(missing)} solutions to compare have no {done} labels in the shards, e.g. {missing[0]}")
    logging.info("%s labels exist; labelling %d solutions of %d problems with %s", done, len(candidates), len(first), other)

    sampler = sampler_from_config(json.loads(args.sampling), args.model, args.gpus)
    with task.checker() as checker:
        params = SamplingParams.from_config(json.loads(args.completer), calculator_notation=task.step_format)
        completer = Completer(sampler, params, task.extract, checker.equal)
        fresh = [labelled_record(labels) for labels in LABELLERS[other](candidates, completer)]
    existing = [labelled[(r["problem_id"], r["sample_id"])] for r in fresh]
    by_mode = {done: existing, other: fresh}
    truths = None
    if args.truth_dataset:
        demo_info = demo_ground_truth(args.task, args.truth_dataset)
        truths = true_step_labels(by_mode["linear"], demo_info, task.step_format)
    comparison = compare_labellers(by_mode["linear"], by_mode["binary"], truths, args.soft_threshold)
    with atomic_output(args.out_json) as handle:
        json.dump({"labelled_by_workflow": done, "problems": len(first), **comparison}, handle, indent=2)
    with atomic_output(args.out_md) as handle:
        handle.write(comparison_markdown(comparison))
    overall = comparison["all"]
    logging.info("%d solutions: binary / linear tokens %s, hard-label agreement %s -> %s", overall["solutions"],
                 overall["binary_token_share"], overall["agreement"], args.out_json)


if __name__ == "__main__":
    main()
