"""ProcessBench F1 of every PRM on every subset (stepwise.evaluation.processbench_f1.results_table) as CSV,
Markdown and a bar plot. --scores: the PRMs' scored subsets (processbench_score.py),
in the order of the settings' ``entries`` (``{"prm", "subset"}`` each).
Settings: ``entries``, the fixed ``threshold`` and the ``title``."""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation.processbench_f1 import plot_results, results_markdown, results_table
from stepwise.io import DataError, atomic_output, read_jsonl


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--scores", nargs="+", required=True, help="scored subsets (JSONL: id, label, step_scores)")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--plot", required=True)
    args = parse_job(parser)

    entries, threshold, title = required(args.settings, "entries", "threshold", "title")
    if len(entries) != len(args.scores):
        parser.error(f"{len(args.scores)} score files for {len(entries)} entries")
    scored = {}
    for entry, path in zip(entries, args.scores, strict=True):
        records = read_jsonl(path)
        for number, record in enumerate(records, start=1):
            if not isinstance(record.get("step_scores"), list) or not isinstance(record.get("label"), int):
                raise DataError("each line needs 'label' (an integer) and 'step_scores' (a list)", path, number)
        scored[(entry["prm"], entry["subset"])] = ([r["label"] for r in records], [r["step_scores"] for r in records])
    table = results_table(scored, threshold)
    with atomic_output(args.csv) as handle:
        table.to_csv(handle, index=False)
    with atomic_output(args.markdown) as handle:
        handle.write(results_markdown(table, title))
    with atomic_output(args.plot, mode="wb") as handle:
        plot_results(table, handle, title)
    logging.info("ProcessBench:\n%s", results_markdown(table, title))


if __name__ == "__main__":
    main()
