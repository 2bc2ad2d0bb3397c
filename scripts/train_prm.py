"""Train the process reward model on step-labelled solutions (TRL stepwise-supervision JSONL)."""

import argparse
import json
import logging

from stepwise.data.stepwise_formats import read_trl
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.prm import PRMSettings, train_prm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="TRL stepwise records (JSONL), optionally with per-step 'ratings'")
    parser.add_argument("--model", required=True, help="model folder to start from (the generator)")
    parser.add_argument("--settings", required=True, help="PRM settings as JSON")
    parser.add_argument("--out", required=True, help="output PRM folder")
    parser.add_argument("--checkpoints", help="checkpoint folder kept across restarts of this job (default: --out)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.checkpoints:  # a restart resumes only a run on the same inputs with the same settings
        run = {"model": fingerprint(args.model), "data": fingerprint(args.data), "settings": json.loads(args.settings)}
        claim_checkpoint_dir(args.checkpoints, run)
    train_prm(args.model, read_trl(args.data), args.out, PRMSettings(**json.loads(args.settings)),
              checkpoint_dir=args.checkpoints)


if __name__ == "__main__":
    main()
