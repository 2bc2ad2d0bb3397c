"""Merge the shards of a sample set after checking that every problem is complete."""

import argparse
import logging

from stepwise.sampling.shards import merge_shards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="merged samples (JSONL)")
    parser.add_argument("shards", nargs="+", help="shard files, in order")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    merge_shards(args.shards, args.out)


if __name__ == "__main__":
    main()
