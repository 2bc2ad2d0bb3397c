"""Add one solution score per step aggregation (prod, min, last, mean) to records with PRM step scores
(a score file written by score_steps.py, or samples)."""

import argparse
import logging

import pandas as pd

from stepwise.io import read_jsonl, write_jsonl
from stepwise.selection import STEP_AGGREGATIONS, add_solution_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", required=True, help="records with step scores (JSONL)")
    parser.add_argument("--column", required=True, help="the step-score field")
    parser.add_argument("--aggregations", nargs="+", required=True, choices=sorted(STEP_AGGREGATIONS))
    parser.add_argument("--prefix", help="new fields are <prefix>_<aggregation> (default: the step-score field)")
    parser.add_argument("--out", required=True, help="the records with the solution scores added (JSONL)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    samples = read_jsonl(args.samples)
    frame = pd.DataFrame.from_records(samples, columns=["problem_id", "sample_id", args.column])
    names = {aggregation: f"{args.prefix or args.column}_{aggregation}" for aggregation in args.aggregations}
    for aggregation, name in names.items():
        frame = add_solution_scores(frame, args.column, aggregation, name)
    scores = frame[list(names.values())].to_dict("records")
    write_jsonl(args.out, ({**sample, **score} for sample, score in zip(samples, scores, strict=True)))
    logging.info("added %s to %d samples", ", ".join(names.values()), len(samples))


if __name__ == "__main__":
    main()
