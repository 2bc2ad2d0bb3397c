"""Resolve ``model.base`` (a local folder or a Hugging Face id) and record its folder."""

import argparse
import logging

from stepwise.models.resolve import resolve_model, write_model_pointer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="local model folder or Hugging Face hub id")
    parser.add_argument("--revision", required=True, help="hub revision (branch, tag or commit); empty for the default")
    parser.add_argument("--out", required=True, help="JSON file recording the resolved folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    write_model_pointer(resolve_model(args.model, args.revision or None), args.out)


if __name__ == "__main__":
    main()
