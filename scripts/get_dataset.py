"""Materialise one raw dataset (demo, url or path) as the workflow's JSONL file.

Called by rule ``raw_dataset``; the settings are the dataset's spec
(``stepwise.data.sources.dataset_spec``): exactly the config this dataset uses.
"""

from stepwise.cli import job_parser, parse_job
from stepwise.data.sources import materialize_dataset


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--out", required=True, help="output JSONL path")
    args = parse_job(parser)
    materialize_dataset(args.settings, args.out)


if __name__ == "__main__":
    main()
