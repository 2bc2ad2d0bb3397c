"""One accuracy table across experiments: each task's table (``method,n,accuracy,std``)
with a ``task`` column in front, as CSV, and a plot with one panel per task."""

import argparse
import logging

import pandas as pd

from stepwise.evaluation import plot_panels
from stepwise.io import DataError, atomic_output

COLUMNS = ["method", "n", "accuracy", "std"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", nargs="+", required=True, metavar="TASK=CSV", help="each task's accuracy table")
    parser.add_argument("--title", default="accuracy against N")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--plot", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    tables = {}
    for entry in args.tables:
        task, sep, path = entry.partition("=")
        if not sep:
            parser.error(f"--tables entries are TASK=CSV, got {entry!r}")
        table = pd.read_csv(path)
        if list(table.columns) != COLUMNS:
            raise DataError(f"expected the columns {COLUMNS}, got {list(table.columns)}", path)
        tables[task] = table
    combined = pd.concat([table.assign(task=task)[["task", *COLUMNS]] for task, table in tables.items()])
    with atomic_output(args.csv) as handle:
        combined.to_csv(handle, index=False)
    with atomic_output(args.plot, mode="wb") as handle:
        plot_panels(tables, handle, args.title)
    logging.info("%d rows of %d tasks -> %s, %s", len(combined), len(tables), args.csv, args.plot)


if __name__ == "__main__":
    main()
