"""Score every sample with a seeded random number (stepwise.evaluation.score_tables.random_score): the scorer whose
best-of-N is a random pick, i.e. the chance baseline of every other scorer.

Settings: the score ``column`` and the ``seed``.
"""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.evaluation.score_tables import random_score, sample_key, score_record
from stepwise.io import read_jsonl, write_jsonl


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--samples", required=True, help="samples (JSONL)")
    parser.add_argument("--out", required=True, help="score file (JSONL)")
    args = parse_job(parser)
    column, seed = required(args.settings, "column", "seed")
    samples = read_jsonl(args.samples)
    records = (score_record(s, **{column: random_score(seed, *sample_key(s))}) for s in samples)
    logging.info("wrote %d random %r scores to %s", write_jsonl(args.out, records), column, args.out)


if __name__ == "__main__":
    main()
