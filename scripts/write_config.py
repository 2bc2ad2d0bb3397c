"""Write the run's effective configuration (the rule's settings: the whole config) as YAML for the report."""

import logging

import yaml

from stepwise.cli import job_parser, parse_job
from stepwise.io import atomic_output


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--out", required=True, help="YAML file to write")
    args = parse_job(parser)
    with atomic_output(args.out) as handle:
        yaml.safe_dump(args.settings, handle)
    logging.info("wrote the effective configuration to %s", args.out)


if __name__ == "__main__":
    main()
