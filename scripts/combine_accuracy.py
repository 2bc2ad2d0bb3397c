"""One accuracy table across experiments: each task's table (``method,n,accuracy,std``)
with a ``task`` column in front, as CSV, and a plot with one panel per task.
Settings: ``tasks`` (the task of each of --tables, in order) and the plot's ``title``."""

import logging

import pandas as pd

from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation import plot_panels
from stepwise.io import DataError, atomic_output

COLUMNS = ["method", "n", "accuracy", "std"]


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
        table = pd.read_csv(path)
        if list(table.columns) != COLUMNS:
            raise DataError(f"expected the columns {COLUMNS}, got {list(table.columns)}", path)
        tables[task] = table
    combined = pd.concat([table.assign(task=task)[["task", *COLUMNS]] for task, table in tables.items()])
    with atomic_output(args.csv) as handle:
        combined.to_csv(handle, index=False)
    with atomic_output(args.plot, mode="wb") as handle:
        plot_panels(tables, handle, title)
    logging.info("%d rows of %d tasks -> %s, %s", len(combined), len(tables), args.csv, args.plot)


if __name__ == "__main__":
    main()
