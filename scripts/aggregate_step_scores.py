"""Add one solution score per step aggregation (prod, min, last, mean) to records with PRM step scores
(a score file written by score_steps.py, or samples). New fields are ``<column>_<aggregation>``.

Settings: the step-score ``column`` and the ``aggregations``.
"""

import logging

import pandas as pd

from stepwise.cli import job_parser, parse_job, required
from stepwise.io import DataError, read_jsonl, write_jsonl
from stepwise.selection import STEP_AGGREGATIONS, add_solution_scores


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--samples", required=True, help="records with step scores (JSONL)")
    parser.add_argument("--out", required=True, help="the records with the solution scores added (JSONL)")
    args = parse_job(parser)
    column, aggregations = required(args.settings, "column", "aggregations")
    unknown = sorted(set(aggregations) - set(STEP_AGGREGATIONS))
    if unknown:
        raise DataError(f"--settings: unknown aggregation(s) {unknown}; known: {sorted(STEP_AGGREGATIONS)}")
    samples = read_jsonl(args.samples)
    frame = pd.DataFrame.from_records(samples, columns=["problem_id", "sample_id", column])
    names = {aggregation: f"{column}_{aggregation}" for aggregation in aggregations}
    for aggregation, name in names.items():
        frame = add_solution_scores(frame, column, aggregation, name)
    scores = frame[list(names.values())].to_dict("records")
    write_jsonl(args.out, ({**sample, **score} for sample, score in zip(samples, scores, strict=True)))
    logging.info("added %s to %d samples", ", ".join(names.values()), len(samples))


if __name__ == "__main__":
    main()
