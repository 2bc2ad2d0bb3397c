"""Pretrain the demo's tiny model as a language model on both tasks' training problems and solutions
(the base every generator is fine-tuned from)."""

from stepwise.cli import job_parser, parse_job
from stepwise.config.decoding import settings_from_config
from stepwise.models.tiny import demo_corpus
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.sft import SFTSettings, train_sft


def main() -> None:
    parser = job_parser(__doc__)  # settings: the config's model.pretrain
    parser.add_argument("--model", required=True, help="the tiny model's folder (rule tiny_model)")
    parser.add_argument("--gsm8k", required=True, help="GSM8K-format training problems (JSONL)")
    parser.add_argument("--math", required=True, help="MATH-format training problems (JSONL)")
    parser.add_argument("--out", required=True, help="output model folder")
    parser.add_argument("--checkpoints", required=True, help="checkpoint folder kept across restarts of this job")
    args = parse_job(parser)
    run = {
        "model": fingerprint(args.model),
        "gsm8k": fingerprint(args.gsm8k),
        "math": fingerprint(args.math),
        "settings": args.settings,
    }
    claim_checkpoint_dir(args.checkpoints, run)  # a restart resumes only a run on the same inputs and settings
    texts = [{"text": text} for text in demo_corpus(args.gsm8k, args.math)]
    settings = settings_from_config(SFTSettings, args.settings, "model.pretrain")
    train_sft(args.model, texts, args.out, settings, checkpoint_dir=args.checkpoints)


if __name__ == "__main__":
    main()
