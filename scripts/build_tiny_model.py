"""Build the demo's tiny model: a BPE tokenizer trained on the demo training
problems and solutions, and a randomly initialised small Llama, as an HF folder."""

from stepwise.cli import job_parser, parse_job
from stepwise.config.decoding import settings_from_config
from stepwise.models.tiny import TinyArchitecture, build_tiny_model, demo_corpus


def main() -> None:
    parser = job_parser(__doc__)  # settings: the config's model.tiny
    parser.add_argument("--gsm8k", required=True, help="GSM8K-format training problems (JSONL)")
    parser.add_argument("--math", required=True, help="MATH-format training problems (JSONL)")
    parser.add_argument("--out", required=True, help="output model folder")
    args = parse_job(parser)
    settings = dict(args.settings)
    seed = settings.pop("seed")
    texts = demo_corpus(args.gsm8k, args.math)
    build_tiny_model(texts, args.out, settings_from_config(TinyArchitecture, settings, "model.tiny"), seed=seed)


if __name__ == "__main__":
    main()
