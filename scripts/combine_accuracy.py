"""One accuracy table across experiments: each task's table (``method,n,accuracy,std``,
or a summary over replicates with a ``replicate`` column) with a ``task`` column in
front, as CSV, and a plot with one panel per task (of a summary: the means over replicates).
Settings: ``tasks`` (the task of each of --tables, in order) and the plot's ``title``."""

import logging

import pandas as pd

from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation.accuracy import plot_panels
from stepwise.evaluation.replicate_summary import mean_rows
from stepwise.io import DataError, atomic_output

COLUMNS = ["method", "n", "accuracy", "std"]
SUMMARY_COLUMNS = ["method", "n", "replicate", "accuracy", "std"]


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--tables", nargs="+", required=True, help="each task's accuracy table (CSV)")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--plot", required=True)
    args = parse_job(parser)

    tasks, title = required(args.settings, "tasks", "title")
    if len(tasks) != len(args.tables):
        parser.error(f"{len(args.tables)} tables for the {len(tasks)} tasks {tasks}")
    tables = {}
    for task, path in zip(tasks, args.tables, strict=True):
        table = pd.read_csv(path, dtype={"replicate": str})
        if list(table.columns) not in (COLUMNS, SUMMARY_COLUMNS):
            raise DataError(f"expected the columns {COLUMNS} or {SUMMARY_COLUMNS}, got {list(table.columns)}", path)
        tables[task] = table
    kinds = {tuple(table.columns) for table in tables.values()}
    if len(kinds) > 1:
        raise DataError(f"the tables {args.tables} mix plain tables and summaries over replicates")
    combined = pd.concat([table.assign(task=task)[["task", *table.columns]] for task, table in tables.items()])
    with atomic_output(args.csv) as handle:
        combined.to_csv(handle, index=False)
    panels = {task: mean_rows(table) if "replicate" in table else table for task, table in tables.items()}
    with atomic_output(args.plot, mode="wb") as handle:
        plot_panels(panels, handle, title)
    logging.info("%d rows of %d tasks -> %s, %s", len(combined), len(tables), args.csv, args.plot)


if __name__ == "__main__":
    main()
