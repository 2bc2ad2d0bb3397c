"""Materialise one raw dataset (demo, url or path) as the workflow's JSONL file.

Called by rule ``raw_dataset``; the spec is the JSON built by
``rules/data.smk:dataset_spec`` and carries exactly the config this dataset uses.
"""

import argparse
import json
import logging

from stepwise.data.sources import materialize_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", required=True, help="dataset spec as JSON")
    parser.add_argument("--out", required=True, help="output JSONL path")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    materialize_dataset(json.loads(args.spec), args.out)


if __name__ == "__main__":
    main()
