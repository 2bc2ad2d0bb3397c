"""Step scores of a ProcessBench set's records (JSONL: ``id``, ``label``, ``step_scores``) by a trained
PRM (``--prm``, each problem prompted as the PRM's ``--task`` prompts it; settings: ``batch_size``) or a
public PRM (settings: ``public_prm``, its ``scorers:`` entry; the problem as it is)."""

import logging

from stepwise.cli import job_parser, parse_job
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.processbench import read_processbench
from stepwise.io import write_jsonl
from stepwise.scoring.step_scorers import job_step_scorer


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--set", required=True, help="a ProcessBench subset file (JSON list)")
    parser.add_argument("--prm", help="a trained PRM's model folder (without it: the settings' public_prm)")
    parser.add_argument("--task", choices=TASK_NAMES, help="the task whose prompts the trained PRM reads")
    parser.add_argument("--out", required=True)
    args = parse_job(parser)

    score = job_step_scorer(args.settings, args.prm, get_task(args.task) if args.task else None)
    records = read_processbench(args.set)
    scores = score([record.problem for record in records], [list(record.steps) for record in records], None)
    write_jsonl(
        args.out, ({"id": r.id, "label": r.label, "step_scores": s} for r, s in zip(records, scores, strict=True))
    )
    logging.info("scored the %d steps of %d records -> %s", sum(map(len, scores)), len(records), args.out)


if __name__ == "__main__":
    main()
