"""The papers' claims this run tests (stepwise.evaluation.claims), measured in every replicate: a tidy CSV (a row
per claim and replicate, and a ``mean`` row per claim) and a Markdown table (a row per claim).

Each file list holds one file per task and replicate, task by task, replicate 1 first: --accuracy
every task's accuracy table, --search the search table of each of ``search_tasks``, --stats the
Math-Shepherd label statistics of each of ``shepherd_tasks``. Settings: stepwise.config.job_settings.claims
(``claims``, ``tasks``, ``shepherd_tasks``, ``search_tasks``, ``replicates``)."""

import json
import logging

import pandas as pd

from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation.claims import Tables, claims_markdown, configured_claims, measure, replicate_files
from stepwise.io import DataError, atomic_output

ACCURACY_COLUMNS = ["method", "n", "accuracy", "std"]
SEARCH_COLUMNS = ["method", "n", "accuracy", "std", "generated_tokens", "scored_tokens"]


def read_table(path: str, columns: list[str]) -> pd.DataFrame:
    table = pd.read_csv(path)
    if list(table.columns) != columns:
        raise DataError(f"expected the columns {columns}, got {list(table.columns)}", path)
    return table


def read_stats(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--accuracy", nargs="+", required=True, help="every task's accuracy table (CSV) per replicate")
    parser.add_argument("--search", nargs="*", default=[], help="each search task's search table (CSV) per replicate")
    parser.add_argument(
        "--stats", nargs="*", default=[], help="each Math-Shepherd task's label statistics (JSON) per replicate"
    )
    parser.add_argument("--csv", required=True)
    parser.add_argument("--markdown", required=True)
    args = parse_job(parser)

    section, tasks, shepherd_tasks, search_tasks, replicates = required(
        args.settings, "claims", "tasks", "shepherd_tasks", "search_tasks", "replicates"
    )
    accuracy = replicate_files(args.accuracy, tasks, replicates)
    search = replicate_files(args.search, search_tasks, replicates)
    stats = replicate_files(args.stats, shepherd_tasks, replicates)
    tables = [
        Tables(
            accuracy={task: read_table(path, ACCURACY_COLUMNS) for task, path in accuracy[k].items()},
            search={task: read_table(path, SEARCH_COLUMNS) for task, path in search[k].items()},
            labels={task: read_stats(path) for task, path in stats[k].items()},
        )
        for k in range(replicates)
    ]
    table = measure(configured_claims(args.settings), tables)
    markdown = claims_markdown(table, section["n"])
    with atomic_output(args.csv) as handle:
        table.to_csv(handle, index=False)
    with atomic_output(args.markdown) as handle:
        handle.write(markdown)
    logging.info("%d claims measured, replicates: %d\n%s", len(table) // (replicates + 1), replicates, markdown)


if __name__ == "__main__":
    main()
