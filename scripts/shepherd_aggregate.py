"""Merge Math-Shepherd label shards into the Math-Shepherd and TRL stepwise datasets, with statistics.

Writes the examples in both formats (``--labels``: hard labels, soft labels
thresholded at ``--soft-threshold``, or soft labels kept as targets, which only
the TRL file can hold: its Math-Shepherd twin gets them thresholded), label
statistics as JSON, and, given ``--truth-dataset`` (demo problems with their
``demo`` ground truth), the labels' precision/recall/F1 against true step
correctness.
"""

import argparse
import json
import logging

from stepwise.data.stepwise_formats import DEFAULT_STEP_TAG, harden, write_math_shepherd, write_trl
from stepwise.io import DataError, atomic_output
from stepwise.shepherd.records import LABEL_KINDS, read_labelled, to_example
from stepwise.shepherd.stats import demo_ground_truth, label_quality, label_stats, true_step_labels
from stepwise.tasks import get_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shards", nargs="+", required=True, help="labelled shard files (JSONL)")
    parser.add_argument("--labels", choices=LABEL_KINDS, default="hard")
    parser.add_argument("--soft-threshold", type=float, default=0.5, help="a soft label above it counts as good")
    parser.add_argument("--step-tag", default=DEFAULT_STEP_TAG)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--truth-dataset", help="demo problems (JSONL) whose 'demo' field judges the steps")
    parser.add_argument("--trl", required=True, help="TRL stepwise-supervision output (JSONL)")
    parser.add_argument("--math-shepherd", required=True, help="Math-Shepherd output (JSONL)")
    parser.add_argument("--stats", required=True, help="label statistics (and quality) output (JSON)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not 0.0 <= args.soft_threshold < 1.0:
        parser.error(f"--soft-threshold must be in [0, 1), got {args.soft_threshold}")

    records, seen = [], {}
    for path in args.shards:
        for record in read_labelled(path):
            key = (record["problem_id"], record["sample_id"])
            if key in seen:
                raise DataError(f"solution {key} labelled twice (also in {seen[key]})", path)
            seen[key] = path
            records.append(record)
    examples = [to_example(record, args.labels, args.soft_threshold) for record in records]
    write_trl(args.trl, examples)
    hard = [harden(ex, args.soft_threshold) if ex.is_soft else ex for ex in examples]
    write_math_shepherd(args.math_shepherd, hard, args.step_tag)
    stats = {"labels": args.labels, "soft_threshold": args.soft_threshold, **label_stats(records)}
    if args.truth_dataset:
        demo_info = demo_ground_truth(args.task, args.truth_dataset)
        truths = true_step_labels(records, demo_info, get_task(args.task).step_format)
        stats["quality"] = label_quality(records, truths, args.soft_threshold)
    with atomic_output(args.stats) as handle:
        json.dump(stats, handle, indent=2)
    logging.info("%d solutions, %d steps labelled (%.1f%% positive), %d tokens -> %s, %s", len(records),
                 stats["n_steps"], 100 * (stats["positive_rate"] or 0.0), stats["tokens"], args.trl, args.math_shepherd)


if __name__ == "__main__":
    main()
