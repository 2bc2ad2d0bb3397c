"""Train the process reward model on step-labelled solutions (TRL stepwise-supervision JSONL)."""

from stepwise.cli import job_parser, parse_job
from stepwise.config.decoding import settings_from_config
from stepwise.data.stepwise_formats import read_trl
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.prm_config import PRMSettings
from stepwise.training.prm_trainer import train_prm


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument(
        "--data",
        nargs="+",
        required=True,
        help="TRL stepwise records (JSONL files, trained on together), optionally with per-step 'ratings'",
    )
    parser.add_argument("--model", required=True, help="model folder to start from (the generator)")
    parser.add_argument("--out", required=True, help="output PRM folder")
    parser.add_argument("--checkpoints", help="checkpoint folder kept across restarts of this job (default: --out)")
    args = parse_job(parser)
    if args.checkpoints:  # a restart resumes only a run on the same inputs with the same settings
        run = {
            "model": fingerprint(args.model),
            "data": [fingerprint(path) for path in args.data],
            "settings": args.settings,
        }
        claim_checkpoint_dir(args.checkpoints, run)
    train_prm(
        args.model,
        [example for path in args.data for example in read_trl(path)],
        args.out,
        settings_from_config(PRMSettings, args.settings, "PRM"),
        checkpoint_dir=args.checkpoints,
    )


if __name__ == "__main__":
    main()
