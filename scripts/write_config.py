"""Write the run's effective configuration as YAML for the report, from the rule's params: one
``dotted.key=<JSON value>`` entry per config key (so a rerun reason names the keys that changed)."""

import argparse
import logging

import yaml

from stepwise.config.decoding import config_from_entries
from stepwise.io import atomic_output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", nargs="+", required=True, help="the config, one dotted.key=<JSON> per key")
    parser.add_argument("--out", required=True, help="YAML file to write")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with atomic_output(args.out) as handle:
        yaml.safe_dump(config_from_entries(args.entries), handle)
    logging.info("wrote the effective configuration (%d keys) to %s", len(args.entries), args.out)


if __name__ == "__main__":
    main()
