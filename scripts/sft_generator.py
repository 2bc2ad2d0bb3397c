"""Fine-tune the base model into a generator on a task's SFT data (prompt/completion JSONL, rule sft_data)."""

from stepwise.cli import job_parser, parse_job
from stepwise.config.decoding import settings_from_config
from stepwise.data import require_field
from stepwise.io import iter_jsonl
from stepwise.models.resolve import read_model_pointer
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.sft import SFTSettings, train_sft


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--data", required=True, help="SFT data: prompt/completion pairs (JSONL)")
    parser.add_argument("--base", required=True, help="base-model pointer written by rule base_model")
    parser.add_argument("--out", required=True, help="output model folder")
    parser.add_argument("--checkpoints", help="checkpoint folder kept across restarts of this job (default: --out)")
    args = parse_job(parser)
    base = read_model_pointer(args.base)
    examples = [
        {key: require_field(record, key, str, path=args.data, line=line) for key in ("prompt", "completion")}
        for line, record in iter_jsonl(args.data)
    ]
    if args.checkpoints:  # a restart resumes only a run on the same inputs with the same settings
        run = {"base": fingerprint(base), "data": fingerprint(args.data), "settings": args.settings}
        claim_checkpoint_dir(args.checkpoints, run)
    train_sft(
        base,
        examples,
        args.out,
        settings_from_config(SFTSettings, args.settings, "generator sft"),
        checkpoint_dir=args.checkpoints,
    )


if __name__ == "__main__":
    main()
