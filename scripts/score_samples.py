"""Score every sample with a verifier; write a score file (problem_id, sample_id, the score column).

Settings: the score ``column``, the ``reduction`` of token values to a solution score (last, mean)
and the scoring ``batch_size``.
"""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.evaluation.score_tables import score_record
from stepwise.io import read_jsonl, write_jsonl
from stepwise.scoring.verifier import score_solutions


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw problems (JSONL), for the prompts")
    parser.add_argument("--samples", required=True, help="graded samples (JSONL)")
    parser.add_argument("--verifier", required=True, help="verifier folder")
    parser.add_argument("--out", required=True, help="score file (JSONL)")
    args = parse_job(parser)
    column, reduction, batch_size = required(args.settings, "column", "reduction", "batch_size")
    prompts = {problem.problem_id: problem.prompt for problem in get_task(args.task).load(args.dataset)}
    samples = read_jsonl(args.samples)
    scores = score_solutions(
        args.verifier,
        [prompts[s["problem_id"]] for s in samples],
        [s["text"] for s in samples],
        batch_size=batch_size,
        reduction=reduction,
    )
    records = (score_record(s, **{column: score}) for s, score in zip(samples, scores, strict=True))
    count = write_jsonl(args.out, records)
    logging.info("wrote %d %r scores to %s", count, column, args.out)


if __name__ == "__main__":
    main()
