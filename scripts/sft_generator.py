"""Fine-tune the base model into a generator on a task's SFT data (prompt/completion JSONL, rule sft_data)."""

import argparse
import json
import logging

from stepwise.data import require_field
from stepwise.io import iter_jsonl
from stepwise.models.resolve import read_model_pointer
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.sft import SFTSettings, train_sft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="SFT data: prompt/completion pairs (JSONL)")
    parser.add_argument("--base", required=True, help="base-model pointer written by rule base_model")
    parser.add_argument("--settings", required=True, help="SFT settings as JSON")
    parser.add_argument("--out", required=True, help="output model folder")
    parser.add_argument("--checkpoints", help="checkpoint folder kept across restarts of this job (default: --out)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    base = read_model_pointer(args.base)
    examples = [
        {key: require_field(record, key, str, path=args.data, line=line) for key in ("prompt", "completion")}
        for line, record in iter_jsonl(args.data)
    ]
    if args.checkpoints:  # a restart resumes only a run on the same inputs with the same settings
        run = {"base": fingerprint(base), "data": fingerprint(args.data), "settings": json.loads(args.settings)}
        claim_checkpoint_dir(args.checkpoints, run)
    train_sft(base, examples, args.out, SFTSettings(**json.loads(args.settings)), checkpoint_dir=args.checkpoints)


if __name__ == "__main__":
    main()
