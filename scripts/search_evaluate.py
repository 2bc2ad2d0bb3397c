"""Evaluate a task's test-time search (stepwise.search.analysis): accuracy and compute per method and
budget, by difficulty level, the compute-optimal curve and its headline ratio.

Settings: the ``methods`` searched (best-of-N included) and the ``budgets``, the guide's ``score``
column in its score file, the difficulty ``bins``, the ``seed`` of the halves compute-optimal chooses
on, and the plot's ``title``.
"""

import json
import logging

import stepwise.search.analysis as analysis
import stepwise.search.report as report
from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation.score_tables import join_score_files
from stepwise.io import atomic_output

#: Each output file: its flag, and what it holds.
OUTPUTS = {
    "accuracy_csv": "accuracy, standard error and tokens per method and budget (CSV)",
    "accuracy_markdown": "the same in percent, with the headline ratio (Markdown)",
    "plot": "accuracy against generated tokens per problem (PNG)",
    "difficulty_csv": "accuracy per difficulty level, oracle and predicted (CSV)",
    "difficulty_markdown": "the same, a column per level (Markdown)",
    "compute_optimal_csv": "the compute-optimal curve per binning (CSV)",
    "compute_optimal_markdown": "the curve, the methods chosen per level and the headline (Markdown)",
    "levels": "each problem's pass@1, guide mean score and levels (CSV)",
    "summary": "the headline ratio (JSON)",
}


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--records", nargs="+", required=True, help="search records of every method (JSONL)")
    parser.add_argument("--samples", required=True, help="the task's graded test samples (JSONL)")
    parser.add_argument("--scores", required=True, help="the guide's score file of those samples (JSONL)")
    for name, text in OUTPUTS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, required=True, help=text)
    args = parse_job(parser)
    methods, budgets, score, bins, seed, title = required(
        args.settings, "methods", "budgets", "score", "bins", "seed", "title"
    )

    records = analysis.read_records(args.records)
    analysis.check_complete(records, methods, budgets)
    samples = analysis.samples_with_score(join_score_files(args.samples, [args.scores]), score, args.scores)
    tables = analysis.evaluate_search(records, samples, score, bins=bins, seed=seed)
    summary = tables["summary"]

    for name, frame in (
        ("accuracy_csv", "accuracy"),
        ("difficulty_csv", "difficulty"),
        ("compute_optimal_csv", "compute_optimal"),
    ):
        with atomic_output(getattr(args, name)) as handle:
            tables[frame].to_csv(handle, index=False)
    with atomic_output(args.levels) as handle:
        tables["levels"].to_csv(handle, index_label="problem_id")
    markdown = {
        "accuracy_markdown": report.accuracy_markdown(tables["accuracy"], summary),
        "difficulty_markdown": report.difficulty_markdown(tables["difficulty"]),
        "compute_optimal_markdown": report.compute_optimal_markdown(
            tables["compute_optimal"], tables["choices"], summary
        ),
    }
    for name, text in markdown.items():
        with atomic_output(getattr(args, name)) as handle:
            handle.write(text)
    with atomic_output(args.summary) as handle:
        json.dump(summary, handle, indent=2)
    report.plot_accuracy_against_tokens(tables["accuracy"], tables["compute_optimal"], args.plot, title)
    logging.info("search accuracy:\n%s", markdown["accuracy_markdown"])


if __name__ == "__main__":
    main()
