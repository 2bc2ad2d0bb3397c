"""Accuracy against N for every selection method, as CSV and Markdown, plus the
selections at the largest N and a plot.
Settings: ``methods`` (a list of {method, score, k, label}), ``trials`` (Monte
Carlo subsets per N of the voting methods), ``seed`` and the plot's ``title``. Scores come from score files joined to
the samples on (problem_id, sample_id) (stepwise.evaluation.score_tables)."""

import csv
import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.evaluation.accuracy import accuracy_markdown, evaluate_selection, plot_curves, samples_frame
from stepwise.evaluation.score_tables import join_score_files
from stepwise.io import DataError, atomic_output
from stepwise.selection import MethodSpec, fill_answer_groups


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--samples", required=True, help="graded samples (JSONL)")
    parser.add_argument("--scores", nargs="*", required=True, help="score files of those samples (JSONL)")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--selections", required=True, help="per-problem selections at the largest N (CSV)")
    parser.add_argument("--plot", required=True)
    args = parse_job(parser)

    methods, trials, seed, title = required(args.settings, "methods", "trials", "seed", "title")
    methods = [MethodSpec.from_config(entry) for entry in methods]
    scores = sorted({m.score for m in methods if m.score})
    records = join_score_files(args.samples, args.scores)
    missing = sorted({column for column in scores for record in records if column not in record})
    if missing:
        raise DataError(f"score column(s) {missing} of the methods are missing from the score files {args.scores}")
    frame = samples_frame(records, scores)
    with get_task(args.task).checker() as checker:
        frame = fill_answer_groups(frame, checker.group_many)
    curves, selections = evaluate_selection(frame, methods, trials=trials, seed=seed)
    with atomic_output(args.csv) as handle:
        curves.to_csv(handle, index=False, columns=["method", "n", "accuracy", "std"])
    with atomic_output(args.markdown) as handle:
        handle.write(accuracy_markdown(curves))
    with atomic_output(args.selections) as handle:  # answers are model text: quote them (a lone \r breaks rows)
        selections.to_csv(handle, index=False, quoting=csv.QUOTE_NONNUMERIC)
    plot_curves(curves, args.plot, title)
    logging.info("accuracy table:\n%s", accuracy_markdown(curves))


if __name__ == "__main__":
    main()
