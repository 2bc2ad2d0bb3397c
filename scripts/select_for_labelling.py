"""Choose the next batch of solutions to label (convincing wrong answers) and write it as PRM800K records.

See stepwise.selection.active_learning. The records are read back by
stepwise.data.prm800k.load_prm800k; their ratings are null until labelled.

Settings: the ``score`` column to rank by (e.g. a PRM's solution score), the
``batch_size``, the ``wrong_share`` of convincing wrong-answer solutions, at most
``max_per_problem`` solutions of one problem (null: no cap) and the selection
round ``generation`` written into the records (null: none).
"""

import logging
from collections import Counter

from stepwise.cli import job_parser, parse_job, required
from stepwise.data.math import load_math
from stepwise.io import write_jsonl
from stepwise.selection.active_learning import labelling_records, read_scored_samples, select_for_labelling

log = logging.getLogger("select_for_labelling")


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--samples", required=True, help="scored samples of training problems (JSONL)")
    parser.add_argument("--dataset", required=True, help="the MATH-format problems they solve (JSONL)")
    parser.add_argument("--scores", nargs="*", required=True, help="score files of the samples (JSONL), if not in them")
    parser.add_argument("--out", required=True, help="PRM800K-format records to label (JSONL)")
    args = parse_job(parser)
    score, batch_size, wrong_share, max_per_problem, generation = required(
        args.settings, "score", "batch_size", "wrong_share", "max_per_problem", "generation"
    )

    samples = read_scored_samples(args.samples, score, args.scores)
    batch = select_for_labelling(samples, batch_size, wrong_share, max_per_problem)
    records = labelling_records(batch, load_math(args.dataset), score, generation, args.samples)
    write_jsonl(args.out, records)
    reasons = Counter(reason for _, reason in batch)
    log.info("chose %d of %d samples to label: %s", len(batch), len(samples), dict(reasons))
    if len(batch) < batch_size:
        log.warning("only %d samples could be chosen for a batch of %d", len(batch), batch_size)


if __name__ == "__main__":
    main()
