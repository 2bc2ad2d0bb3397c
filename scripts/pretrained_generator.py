"""An off-the-shelf model as a task's generator, used as it is: a folder linking to the model's files
(downloaded into the Hugging Face cache when it is a hub id) plus how it is prompted and how its
solutions read (stepwise.generators.prompting). Settings: the task's ``generator`` section."""

import logging

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.generators.prompting import link_model, pretrained_prompting, write_prompting
from stepwise.io import DataError
from stepwise.models.resolve import resolve_model


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--dataset", required=True, help="the task's training problems (few-shot exemplars)")
    parser.add_argument("--out", required=True, help="the generator folder")
    args = parse_job(parser)

    model, revision = required(args.settings, "model", "revision")
    task = get_task(args.task)
    folder = resolve_model(model, revision, key=f"{task.name}.generator.model")
    prompting = pretrained_prompting(args.settings, task, task.load_gold(args.dataset))
    if prompting.style == "chat":
        from transformers import AutoTokenizer

        if not AutoTokenizer.from_pretrained(folder).chat_template:
            raise DataError(
                f"{task.name}.generator.prompt is chat, but the tokenizer of {model!r} has no chat "
                "template; use prompt: fewshot for a base model"
            )
    link_model(folder, args.out)
    write_prompting(prompting, args.out)
    logging.info(
        "%s generator: %s (%s prompt, steps: %s, stop: %s) -> %s",
        task.name,
        folder,
        prompting.style,
        prompting.step_format,
        list(prompting.stop),
        args.out,
    )


if __name__ == "__main__":
    main()
