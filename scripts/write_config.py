"""Write the run's effective configuration (JSON from the rule's params) as YAML for the report."""

import argparse
import json
import logging

import yaml

from stepwise.io import atomic_output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, help="the configuration as JSON")
    parser.add_argument("--out", required=True, help="YAML file to write")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with atomic_output(args.out) as handle:
        yaml.safe_dump(json.loads(args.config), handle)
    logging.info("wrote the effective configuration to %s", args.out)


if __name__ == "__main__":
    main()
