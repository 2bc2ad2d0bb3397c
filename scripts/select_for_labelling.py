"""Choose the next batch of solutions to label (convincing wrong answers) and write it as PRM800K records.

See stepwise.selection.active_learning. The records are read back by
stepwise.data.prm800k.load_prm800k; their ratings are null until labelled.
"""

import argparse
import logging
from collections import Counter

from stepwise.data.math import load_math
from stepwise.io import write_jsonl
from stepwise.selection.active_learning import labelling_records, read_scored_samples, select_for_labelling

log = logging.getLogger("select_for_labelling")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", required=True, help="scored samples of training problems (JSONL)")
    parser.add_argument("--dataset", required=True, help="the MATH-format problems they solve (JSONL)")
    parser.add_argument("--scores", nargs="*", default=[], help="score files of the samples (JSONL), if not in them")
    parser.add_argument("--score", required=True, help="score column to rank by, e.g. a PRM's solution score")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--wrong-share", type=float, default=0.8, help="share of convincing wrong-answer solutions")
    parser.add_argument("--max-per-problem", type=int, help="at most this many solutions of one problem")
    parser.add_argument("--generation", type=int, help="selection round, written as the records' generation")
    parser.add_argument("--out", required=True, help="PRM800K-format records to label (JSONL)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    samples = read_scored_samples(args.samples, args.score, args.scores)
    batch = select_for_labelling(samples, args.batch_size, args.wrong_share, args.max_per_problem)
    records = labelling_records(batch, load_math(args.dataset), args.score, args.generation, args.samples)
    write_jsonl(args.out, records)
    reasons = Counter(reason for _, reason in batch)
    log.info("chose %d of %d samples to label: %s", len(batch), len(samples), dict(reasons))
    if len(batch) < args.batch_size:
        log.warning("only %d samples could be chosen for a batch of %d", len(batch), args.batch_size)


if __name__ == "__main__":
    main()
