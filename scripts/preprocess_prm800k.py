"""Raw PRM800K records to step-labelled training and held-out examples (TRL stepwise JSONL) and statistics.

Called by rule ``prm800k_preprocess``; ``--settings`` is the config section
``prm800k.preprocess`` as JSON (see stepwise.data.prm800k_preprocess).
"""

import json
import logging

from stepwise.cli import job_parser, parse_job
from stepwise.data.contamination import HeldOutProblems
from stepwise.data.prm800k_preprocess import (
    PreprocessSettings,
    SplitStats,
    preprocess_files,
)
from stepwise.data.stepwise_formats import write_trl
from stepwise.io import atomic_output

log = logging.getLogger("preprocess_prm800k")


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--train", nargs="+", required=True, help="raw PRM800K training files")
    parser.add_argument("--test", nargs="+", required=True, help="raw PRM800K test files")
    parser.add_argument("--math500", required=True, help="MATH-500 (JSONL), kept out of training if exclude_math500")
    parser.add_argument("--out-train", required=True)
    parser.add_argument("--out-test", required=True)
    parser.add_argument("--stats", required=True, help="statistics (JSON)")
    args = parse_job(parser)

    settings = PreprocessSettings.from_config(args.settings)
    held_out = None
    if settings.exclude_math500:
        held_out = HeldOutProblems.from_math(args.math500)
        log.info("%d MATH-500 problems to keep out of training", len(held_out))
    train = SplitStats(settings)
    write_trl(args.out_train, preprocess_files(args.train, settings, train, held_out))
    test = SplitStats(settings.for_test_split())
    write_trl(args.out_test, preprocess_files(args.test, test.settings, test))
    for name, stats in (("train", train), ("test", test)):
        dropped = {reason: n for reason, n in stats.dropped.items() if n}
        log.info("%s: %d records kept, dropped %s; %d examples", name, stats.kept, dropped or "none", stats.examples)
    stats = {
        "math500_problems": None if held_out is None else len(held_out),
        "train": train.to_json(),
        "test": test.to_json(),
    }
    with atomic_output(args.stats) as handle:
        json.dump(stats, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
