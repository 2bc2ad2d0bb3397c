"""Step-level metrics of a PRM (accuracy, AUROC, first error located) as JSON and Markdown.

Labels come from scored TRL stepwise records (``--stepwise``: their labels) or,
on the demo, from the ground truth of scored samples (``--samples`` with
``--task`` and ``--dataset``, whose records carry the ``demo`` field; the step
scores are in the samples or in ``--scores`` files joined to them).
"""

import argparse
import json
import logging

from stepwise.data.gsm8k import load_gsm8k
from stepwise.data.math import load_math
from stepwise.data.stepwise_formats import read_trl
from stepwise.io import atomic_output
from stepwise.scores import join_score_files
from stepwise.step_metrics import (
    judged_sample_steps,
    json_ready,
    labelled_example_steps,
    metrics_markdown,
    step_metrics,
)
from stepwise.tasks import get_task

LOADERS = {"gsm8k": load_gsm8k, "math": load_math}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", help="samples with step scores (JSONL); needs --task and --dataset")
    source.add_argument("--stepwise", help="TRL stepwise records with step scores (JSONL)")
    parser.add_argument("--scores", nargs="*", default=[], help="score files of the samples (JSONL)")
    parser.add_argument("--task", choices=sorted(LOADERS))
    parser.add_argument("--dataset", help="demo problems (JSONL) whose 'demo' field judges the samples' steps")
    parser.add_argument("--column", required=True, help="the step-score field")
    parser.add_argument("--threshold", type=float, default=0.5, help="a step scoring below it is flagged wrong")
    parser.add_argument("--title", default="PRM step-level metrics")
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    skipped = 0
    if args.stepwise:
        scores, labels = labelled_example_steps(read_trl(args.stepwise), args.column)
    else:
        if not (args.task and args.dataset):
            parser.error("--samples needs --task and --dataset")
        demo_info = {p.problem_id: p.extra["demo"] for p in LOADERS[args.task](args.dataset) if "demo" in p.extra}
        samples = join_score_files(args.samples, args.scores)
        scores, labels, skipped = judged_sample_steps(samples, demo_info, args.column,
                                                      get_task(args.task).step_format)
        logging.info("judged the steps of %d samples (%d without steps skipped)", len(labels), skipped)
    metrics = {**step_metrics(scores, labels, args.threshold), "n_skipped_without_steps": skipped}
    with atomic_output(args.json) as handle:
        json.dump(json_ready(metrics), handle, indent=2)
    with atomic_output(args.markdown) as handle:
        handle.write(metrics_markdown(metrics, args.title))
    logging.info("step metrics:\n%s", metrics_markdown(metrics, args.title))


if __name__ == "__main__":
    main()
