"""One ProcessBench subset as the workflow's set file: the demo's, built from a task's test
samples with first-error labels from the demo's ground truth (--samples, --dataset, --task;
settings ``samples_per_problem``), or the benchmark's own file, downloaded or copied and
checked against its sha256 when given (settings ``source``: ``url`` or ``path``, optional ``sha256``).
Either way the file written is read back by the ProcessBench reader."""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES
from stepwise.data.fetch import copy_local, fetch_url
from stepwise.data.processbench import read_processbench, write_processbench
from stepwise.evaluation.processbench_f1 import demo_records
from stepwise.io import atomic_output, read_jsonl


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", choices=TASK_NAMES, help="demo: the task whose test samples make the subset")
    parser.add_argument("--samples", help="demo: the task's graded test samples (JSONL)")
    parser.add_argument("--dataset", help="demo: the task's test problems with their demo ground truth (JSONL)")
    parser.add_argument("--out", required=True)
    args = parse_job(parser)

    (source,) = required(args.settings, "source")
    if source == "demo":
        if not (args.task and args.samples and args.dataset):
            parser.error("a demo subset needs --task, --samples and --dataset")
        per_problem, step_format = required(args.settings, "samples_per_problem", "step_format")
        records = demo_records(args.task, read_jsonl(args.samples), args.dataset, per_problem, step_format)
        with atomic_output(args.out) as handle:
            write_processbench(records, handle)
    elif source == "url":
        (url,) = required(args.settings, "url")
        fetch_url(url, args.out, sha256=args.settings.get("sha256"))
    elif source == "path":
        (path,) = required(args.settings, "path")
        copy_local(path, args.out, sha256=args.settings.get("sha256"))
    else:
        parser.error(f"unknown ProcessBench source {source!r} (demo, url or path)")
    records = read_processbench(args.out)
    errors = sum(record.label != -1 for record in records)
    logging.info("%s: %d records, %d with an error, %d without", args.out, len(records), errors, len(records) - errors)


if __name__ == "__main__":
    main()
