"""Merge Math-Shepherd label shards into the Math-Shepherd and TRL stepwise datasets, with statistics.

Writes the examples in both formats (``labels``: hard labels, soft labels
thresholded at ``soft_threshold``, or soft labels kept as targets, which only
the TRL file can hold: its Math-Shepherd twin gets them thresholded), label
statistics as JSON, and, with ``demo_truth`` (``--dataset`` holds demo problems
with their ``demo`` ground truth), the labels' precision/recall/F1 against true
step correctness (:func:`stepwise.demo.truth.true_step_labels`).

Settings: ``labels``, ``soft_threshold`` and ``demo_truth``.
"""

import json
import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.stepwise_formats import DEFAULT_STEP_TAG, harden, write_math_shepherd, write_trl
from stepwise.demo.truth import demo_programs, true_step_labels
from stepwise.io import DataError, atomic_output
from stepwise.shepherd.records import read_labelled, to_example
from stepwise.shepherd.stats import label_quality, label_stats


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--shards", nargs="+", required=True, help="labelled shard files (JSONL)")
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="the labelled problems (JSONL; demo: with ground truth)")
    parser.add_argument("--trl", required=True, help="TRL stepwise-supervision output (JSONL)")
    parser.add_argument("--math-shepherd", required=True, help="Math-Shepherd output (JSONL)")
    parser.add_argument("--stats", required=True, help="label statistics (and quality) output (JSON)")
    args = parse_job(parser)
    labels, soft_threshold, demo_truth = required(args.settings, "labels", "soft_threshold", "demo_truth")

    records, seen = [], {}
    for path in args.shards:
        for record in read_labelled(path):
            key = (record["problem_id"], record["sample_id"])
            if key in seen:
                raise DataError(f"solution {key} labelled twice (also in {seen[key]})", path)
            seen[key] = path
            records.append(record)
    examples = [to_example(record, labels, soft_threshold) for record in records]
    write_trl(args.trl, examples)
    hard = [harden(ex, soft_threshold) if ex.is_soft else ex for ex in examples]
    write_math_shepherd(args.math_shepherd, hard, DEFAULT_STEP_TAG)
    stats = {"labels": labels, "soft_threshold": soft_threshold, **label_stats(records)}
    if demo_truth:
        truths = true_step_labels(records, demo_programs(args.task, args.dataset), get_task(args.task).step_format)
        stats["quality"] = label_quality(records, truths, soft_threshold)
    with atomic_output(args.stats) as handle:
        json.dump(stats, handle, indent=2)
    logging.info(
        "%d solutions, %d steps labelled (%.1f%% positive), %d tokens -> %s, %s",
        len(records),
        stats["n_steps"],
        100 * (stats["positive_rate"] or 0.0),
        stats["tokens"],
        args.trl,
        args.math_shepherd,
    )


if __name__ == "__main__":
    main()
