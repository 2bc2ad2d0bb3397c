"""Train the token-level outcome verifier on graded samples of the training problems."""

from stepwise.cli import job_parser, parse_job
from stepwise.config.decoding import settings_from_config
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.io import read_jsonl
from stepwise.training.checkpoints import claim_checkpoint_dir, fingerprint
from stepwise.training.verifier import train_verifier
from stepwise.training.verifier_config import VerifierSettings


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="raw training problems (JSONL), for the prompts")
    parser.add_argument("--samples", required=True, help="graded samples of those problems (JSONL)")
    parser.add_argument("--generator", required=True, help="generator model folder to start from")
    parser.add_argument("--out", required=True, help="output verifier folder")
    parser.add_argument("--checkpoints", help="checkpoint folder kept across restarts of this job (default: --out)")
    args = parse_job(parser)
    prompts = {problem.problem_id: problem.prompt for problem in get_task(args.task).load(args.dataset)}
    examples = [
        {"prompt": prompts[s["problem_id"]], "completion": s["text"], "label": float(s["correct"])}
        for s in read_jsonl(args.samples)
    ]
    if args.checkpoints:  # a restart resumes only a run on the same inputs with the same settings
        run = {
            "task": args.task,
            "generator": fingerprint(args.generator),
            "dataset": fingerprint(args.dataset),
            "samples": fingerprint(args.samples),
            "settings": args.settings,
        }
        claim_checkpoint_dir(args.checkpoints, run)
    section = f"{args.task}.{get_task(args.task).outcome_verifier}"  # gsm8k.verifier, math.orm
    train_verifier(
        args.generator,
        examples,
        args.out,
        settings_from_config(VerifierSettings, args.settings, section),
        checkpoint_dir=args.checkpoints,
    )


if __name__ == "__main__":
    main()
