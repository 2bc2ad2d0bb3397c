"""Score every sample with a verifier; write a score file (problem_id, sample_id, the score column)."""

import argparse
import logging

from stepwise.io import read_jsonl, write_jsonl
from stepwise.scores import score_record
from stepwise.tasks import get_task
from stepwise.training.verifier import score_solutions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--dataset", required=True, help="raw problems (JSONL), for the prompts")
    parser.add_argument("--samples", required=True, help="graded samples (JSONL)")
    parser.add_argument("--verifier", required=True, help="verifier folder")
    parser.add_argument("--column", required=True, help="name of the score column")
    parser.add_argument("--reduction", choices=["last", "mean"], default="last")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", required=True, help="score file (JSONL)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    prompts = {problem.problem_id: problem.prompt for problem in get_task(args.task).load(args.dataset)}
    samples = read_jsonl(args.samples)
    scores = score_solutions(
        args.verifier,
        [prompts[s["problem_id"]] for s in samples],
        [s["text"] for s in samples],
        batch_size=args.batch_size,
        reduction=args.reduction,
    )
    records = (score_record(s, **{args.column: score}) for s, score in zip(samples, scores, strict=True))
    count = write_jsonl(args.out, records)
    logging.info("wrote %d %r scores to %s", count, args.column, args.out)


if __name__ == "__main__":
    main()
