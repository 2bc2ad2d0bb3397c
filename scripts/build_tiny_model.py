"""Build the demo's tiny model: a BPE tokenizer trained on the demo training
problems and solutions, and a randomly initialised small Llama, as an HF folder."""

from stepwise.cli import job_parser, parse_job
from stepwise.data.gsm8k import load_gsm8k
from stepwise.data.math import load_math
from stepwise.models.tiny import TinyArchitecture, build_tiny_model
from stepwise.prompts import gsm8k_prompt, math_prompt
from stepwise.settings import settings_from_config


def main() -> None:
    parser = job_parser(__doc__)  # settings: the config's model.tiny
    parser.add_argument("--gsm8k", required=True, help="GSM8K-format training problems (JSONL)")
    parser.add_argument("--math", required=True, help="MATH-format training problems (JSONL)")
    parser.add_argument("--out", required=True, help="output model folder")
    args = parse_job(parser)
    settings = dict(args.settings)
    seed = settings.pop("seed")
    # The tokenizer sees exactly the kind of text the model will read and write.
    texts = [gsm8k_prompt(p.question) + p.answer for p in load_gsm8k(args.gsm8k)]
    texts += [math_prompt(p.problem) + p.solution for p in load_math(args.math)]
    build_tiny_model(texts, args.out, settings_from_config(TinyArchitecture, settings, "model.tiny"), seed=seed)


if __name__ == "__main__":
    main()
