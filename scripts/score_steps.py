"""Score every step of every solution with a process reward model: one the workflow trained (``--prm``)
or a public one (the settings' ``public_prm``, a ``scorers:`` entry; stepwise.scoring.public_prm).

Either sample records (``--samples`` with ``--task`` and ``--dataset``: each
text is split into steps in the task's step format), written as a score file
(``problem_id``, ``sample_id`` and the step scores; see stepwise.evaluation.score_tables), or
step-labelled TRL records (``--stepwise``: their ``completions`` are the
steps), written back with the step scores added. The column holds one
P(step correct) per step; solution scores per aggregation come from
scripts/aggregate_step_scores.py.

Settings: the step-score ``column``, the samples' ``step_format`` (with
``--samples``); for a trained PRM the scoring
``batch_size`` and, for a 3-class PRM, whether P(neutral) counts towards
P(step correct) (``neutral_is_correct``); for a public PRM its ``public_prm``
entry (its own batch size and settings).
"""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.data.stepwise_formats import read_trl, to_trl
from stepwise.evaluation.score_tables import score_record
from stepwise.io import read_jsonl, write_jsonl
from stepwise.scoring.prm import score_steps
from stepwise.scoring.step_scorers import job_step_scorer


def main() -> None:
    parser = job_parser(__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", help="graded samples (JSONL); needs --task and --dataset")
    source.add_argument("--stepwise", help="TRL stepwise-supervision records (JSONL)")
    parser.add_argument("--task", choices=TASK_NAMES)
    parser.add_argument("--dataset", help="raw problems (JSONL), for the samples' prompts")
    parser.add_argument("--prm", help="a trained PRM's folder (without it: the settings' public_prm)")
    parser.add_argument(
        "--out", required=True, help="score file (--samples) or TRL records with the step scores (--stepwise), JSONL"
    )
    args = parse_job(parser)
    (column,) = required(args.settings, "column")

    if args.stepwise:  # TRL records carry their prompts: a trained PRM's
        if not args.prm:
            parser.error("--stepwise needs --prm")
        batch_size, neutral_is_correct = required(args.settings, "batch_size", "neutral_is_correct")
        examples = read_trl(args.stepwise)
        scores = score_steps(
            args.prm,
            [e.prompt for e in examples],
            [e.steps for e in examples],
            batch_size,
            neutral_is_correct=neutral_is_correct,
        )
        records = ({**to_trl(e), column: s} for e, s in zip(examples, scores, strict=True))
    else:
        if not (args.task and args.dataset):
            parser.error("--samples needs --task and --dataset")
        task = get_task(args.task)
        (step_format,) = required(
            args.settings, "step_format"
        )  # the samples' (stepwise.config.registry.sample_step_format)
        score = job_step_scorer(args.settings, args.prm, task)
        problems = task.problem_texts(args.dataset)
        samples = read_jsonl(args.samples)
        scores = score([problems[s["problem_id"]] for s in samples], [s["text"] for s in samples], step_format)
        records = (score_record(s, **{column: score}) for s, score in zip(samples, scores, strict=True))
    logging.info("wrote %d records with step scores %r to %s", write_jsonl(args.out, records), column, args.out)


if __name__ == "__main__":
    main()
