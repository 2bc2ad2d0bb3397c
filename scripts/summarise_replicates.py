"""A task's accuracy tables over replicates: per-replicate rows and the mean and standard
deviation over replicates per method and N (stepwise.evaluation.replicate_summary.summarise), as CSV
(``method,n,replicate,accuracy,std``), Markdown (with each method's gap to each
baseline at the largest N) and a plot of the means with ± one sd shaded.
Settings: ``baselines`` (methods to compare every other with, e.g. greedy, majority and
the outcome verifier) and the plot's ``title``. --tables: the replicates' tables, replicate 1 first."""

import logging

import pandas as pd

from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation.accuracy import plot_curves
from stepwise.evaluation.replicate_summary import mean_rows, summarise, summary_markdown
from stepwise.io import DataError, atomic_output

COLUMNS = ["method", "n", "accuracy", "std"]


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--tables", nargs="+", required=True, help="each replicate's accuracy table (CSV)")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--plot", required=True)
    args = parse_job(parser)

    baselines, title = required(args.settings, "baselines", "title")
    tables = []
    for path in args.tables:
        table = pd.read_csv(path)
        if list(table.columns) != COLUMNS:
            raise DataError(f"expected the columns {COLUMNS}, got {list(table.columns)}", path)
        tables.append(table)
    summary = summarise(tables)
    with atomic_output(args.csv) as handle:
        summary.to_csv(handle, index=False)
    with atomic_output(args.markdown) as handle:
        handle.write(summary_markdown(summary, baselines))
    with atomic_output(args.plot, mode="wb") as handle:
        plot_curves(mean_rows(summary), handle, title)
    logging.info("%d replicates:\n%s", len(tables), summary_markdown(summary, baselines))


if __name__ == "__main__":
    main()
