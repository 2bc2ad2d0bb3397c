"""Step scores of a ProcessBench set's records by one trained PRM (JSONL: ``id``, ``label``,
``step_scores``), each problem prompted as the PRM's task prompts it.
Settings: ``batch_size`` (solutions per forward pass)."""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.data.processbench import read_processbench
from stepwise.io import write_jsonl
from stepwise.registry import TASK_NAMES, get_task
from stepwise.scoring.prm import score_steps


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--set", required=True, help="a ProcessBench subset file (JSON list)")
    parser.add_argument("--prm", required=True, help="the PRM's model folder")
    parser.add_argument("--task", required=True, choices=TASK_NAMES, help="the task whose prompts the PRM reads")
    parser.add_argument("--out", required=True)
    args = parse_job(parser)

    (batch_size,) = required(args.settings, "batch_size")
    records = read_processbench(args.set)
    prompts = [get_task(args.task).prompt(record.problem) for record in records]
    scores = score_steps(args.prm, prompts, [list(record.steps) for record in records], batch_size)
    write_jsonl(args.out, ({"id": r.id, "label": r.label, "step_scores": s} for r, s in zip(records, scores, strict=True)))
    logging.info("scored the %d steps of %d records -> %s", sum(map(len, scores)), len(records), args.out)


if __name__ == "__main__":
    main()
