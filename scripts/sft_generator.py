"""Fine-tune the base model into a generator on a task's gold training solutions."""

import argparse
import json
import logging

from stepwise.models.resolve import read_model_pointer
from stepwise.tasks import get_task
from stepwise.training.sft import SFTSettings, train_sft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, choices=["gsm8k", "math"])
    parser.add_argument("--dataset", required=True, help="raw training problems (JSONL)")
    parser.add_argument("--base", required=True, help="base-model pointer written by rule base_model")
    parser.add_argument("--settings", required=True, help="SFT settings as JSON")
    parser.add_argument("--out", required=True, help="output model folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    examples = get_task(args.task).load_gold(args.dataset)
    train_sft(read_model_pointer(args.base), examples, args.out, SFTSettings(**json.loads(args.settings)))


if __name__ == "__main__":
    main()
