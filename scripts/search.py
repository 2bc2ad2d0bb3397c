"""Test-time search guided by a reward model: one method over one shard of a task's test problems, every budget.

Search methods (``beam_search``, ``dvts``, ``lookahead``) generate step by
step with the generator (``--model``: its prompts, stop strings and answer
reading, stepwise.generators.prompting) on the configured sampling backend, guided by
``--guide`` (a trained PRM or the outcome verifier). ``best_of_n`` is the
baseline with the same guide, from the task's existing test samples
(``--samples``) and the guide's score file (``--scores``); it needs no shard.
Writes one record per problem and budget (stepwise.search.records), atomically.

Settings: ``search`` (the config's search section: budgets, beam_width,
max_steps, step_max_tokens, temperature, top_p, aggregation, problems, seed,
lookahead), ``guide`` (kind, name, batch_size, neutral_is_correct),
``step_format``; for a search method also ``sampling`` (backend, shards, ...),
``calculator`` and ``calculator_notation``.
"""

from stepwise.cli import job_parser, parse_job, required
from stepwise.config.registry import TASK_NAMES, get_task
from stepwise.generators.prompting import Generator
from stepwise.io import DataError
from stepwise.sampling import sampler_from_config, shard_slice
from stepwise.search.best_of_n import best_of_n_records
from stepwise.search.guides import guide_from_settings
from stepwise.search.records import write_search_records
from stepwise.search.runner import SEARCH_METHODS, SearchProblem, SearchSettings, run_search, search_record
from stepwise.search.step_generator import StepGenerator


def main() -> None:
    parser = job_parser(__doc__)
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--method", required=True, choices=(*SEARCH_METHODS, "best_of_n"))
    parser.add_argument("--guide", required=True, help="guide model folder (a trained PRM or outcome verifier)")
    parser.add_argument("--dataset", required=True, help="raw test problems (JSONL)")
    parser.add_argument("--out", required=True, help="search records (JSONL)")
    parser.add_argument("--model", help="generator model folder (search methods)")
    parser.add_argument("--shard", type=int, help="shard index (search methods)")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs of this job (vLLM tensor parallel size)")
    parser.add_argument("--samples", help="the task's test samples (JSONL; best_of_n)")
    parser.add_argument("--scores", help="the guide's score file of those samples (JSONL; best_of_n)")
    args = parse_job(parser)

    search, guide_settings, step_format = required(args.settings, "search", "guide", "step_format")
    settings = SearchSettings.from_settings(search)
    task = get_task(args.task)
    texts = task.problem_texts(args.dataset)
    guide = guide_from_settings(
        args.guide, task, guide_settings, step_format=step_format, aggregation=settings.aggregation
    )

    if args.method == "best_of_n":
        if not (args.samples and args.scores):
            parser.error("best_of_n needs --samples and --scores")
        problems = [
            SearchProblem(p.problem_id, p.prompt, texts[p.problem_id], p.reference)
            for p in task.load(args.dataset)[: settings.problems]
        ]
        (name,) = required(guide_settings, "name", where="--settings guide")
        records = best_of_n_records(
            problems, args.samples, args.scores, settings.budgets, guide, name, settings.aggregation
        )
        write_search_records(args.out, records)
        return

    if not args.model or args.shard is None:
        parser.error(f"{args.method} needs --model and --shard")
    sampling, calculator, notation = required(args.settings, "sampling", "calculator", "calculator_notation")
    generator = Generator.from_folder(args.model, task)
    if generator.step_format != step_format:
        raise DataError(
            f"--settings step_format is {step_format!r} but the generator writes {generator.step_format!r}", args.model
        )
    everything = generator.problems(args.dataset)[: settings.problems]
    problems = [
        SearchProblem(p.problem_id, p.prompt, texts[p.problem_id], p.reference)
        for p in (everything[i] for i in shard_slice(len(everything), sampling["shards"], args.shard))
    ]
    sampler = sampler_from_config(sampling, args.model, args.gpus)
    steps = StepGenerator(
        sampler,
        step_format,
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_tokens=settings.step_max_tokens,
        calculator=calculator,
        calculator_notation=notation,
        stop=generator.stop,
    )
    references = {p.problem_id: p.reference for p in problems}
    with task.checker() as checker:
        extract = generator.answer_reader(checker)
        records = [
            search_record(result, extract, checker.equal, references[result.problem_id])
            for n in settings.budgets
            for result in run_search(args.method, n, problems, steps, guide, settings)
        ]
    write_search_records(args.out, records)


if __name__ == "__main__":
    main()
