"""Step-level metrics of a PRM (accuracy, AUROC, first error located) as JSON and Markdown.

Labels come from scored TRL stepwise records (``--stepwise``: their labels) or,
on the demo, true labels of scored samples' steps from the demo's ground truth
(``--samples`` with ``--task`` and ``--dataset``, whose records carry the
``demo`` field: :func:`stepwise.demo.truth.true_step_labels`; the step scores
are in the samples or in ``--scores`` files joined to them).

Settings: the step-score ``column``, the ``threshold`` below which a step counts
as flagged wrong, and the Markdown ``title``.
"""

import json
import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.stepwise_formats import read_trl
from stepwise.demo.truth import demo_programs, true_step_labels
from stepwise.evaluation.score_tables import join_score_files
from stepwise.evaluation.step_metrics import (
    json_ready,
    labelled_example_steps,
    metrics_markdown,
    sample_steps,
    step_metrics,
)
from stepwise.io import atomic_output


def main() -> None:
    parser = job_parser(__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", help="samples with step scores (JSONL); needs --task and --dataset")
    source.add_argument("--stepwise", help="TRL stepwise records with step scores (JSONL)")
    parser.add_argument("--scores", nargs="*", default=[], help="score files of the samples (JSONL)")
    parser.add_argument("--task", choices=TASK_NAMES)
    parser.add_argument("--dataset", help="demo problems (JSONL) whose 'demo' field judges the samples' steps")
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    args = parse_job(parser)
    column, threshold, title = required(args.settings, "column", "threshold", "title")

    skipped = 0
    if args.stepwise:
        scores, labels = labelled_example_steps(read_trl(args.stepwise), column)
    else:
        if not (args.task and args.dataset):
            parser.error("--samples needs --task and --dataset")
        (step_format,) = required(
            args.settings, "step_format"
        )  # the samples' (stepwise.config.registry.sample_step_format)
        solutions, scores, skipped = sample_steps(join_score_files(args.samples, args.scores), column, step_format)
        labels = true_step_labels(solutions, demo_programs(args.task, args.dataset), get_task(args.task).step_format)
        logging.info("judged the steps of %d samples (%d without steps skipped)", len(labels), skipped)
    metrics = {**step_metrics(scores, labels, threshold), "n_skipped_without_steps": skipped}
    with atomic_output(args.json) as handle:
        json.dump(json_ready(metrics), handle, indent=2)
    with atomic_output(args.markdown) as handle:
        handle.write(metrics_markdown(metrics, title))
    logging.info("step metrics:\n%s", metrics_markdown(metrics, title))


if __name__ == "__main__":
    main()
