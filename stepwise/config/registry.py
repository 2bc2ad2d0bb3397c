"""The registry: what each task is and uses, and what scores its samples.

This is the one place that says, per task, which raw datasets its sample sets
come from, how its solutions are split into steps, which calculator notation
its sampler forces, how its answers are read and checked, what its outcome
verifier is called, which scorers score its samples and which selection
methods each scorer adds to the task's accuracy table. The rules, the scripts
(their ``choices``) and the evaluation read it.

Adding a task is one :class:`Task` entry in :data:`TASKS` (plus its config
section and raw datasets). Adding a scorer is one entry in
:data:`SCORER_KINDS` plus the rule that writes its score file
``results/<run>/<task>/scores/<split>/<name>.jsonl``; instances of a kind are
declared under the config's ``scorers:``. The built-in scorers (the outcome
verifier, the PRM800K PRM, the Math-Shepherd PRM) are listed by
:func:`scorers` from the config sections that switch them on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from stepwise.answers.check import AnswerChecker
from stepwise.answers.extract import extract_answer, extract_hash_answer
from stepwise.formats.prompts import gsm8k_prompt, math_prompt
from stepwise.sampling.shards import Problem

# ---------------------------------------------------------------- tasks


@dataclass(frozen=True)
class SampleSet:
    """Samples of one split of a task: the raw dataset they solve and the task's config section that sets them."""

    dataset: str
    section: str


@dataclass(frozen=True)
class Task:
    """How to prompt, extract and grade one kind of problem, and what the workflow does with it."""

    name: str
    title: str  # in table and plot titles
    report_category: str  # the report's section for the task's table
    sample_sets: Mapping[str, SampleSet]  # split ("train", "test") -> its sample set
    step_format: str  # how solutions split into steps (stepwise.formats.steps): "gsm8k" or "prm800k"
    calculator_notation: str  # what the sampler's calculator completes (stepwise.calculator): "gsm8k" or "latex"
    answer_kind: str  # "gsm8k" (numbers) or "math" (LaTeX, math-verify), for AnswerChecker
    outcome_verifier: str  # model folder models/<task>_<name>, config section <task>.<name>, score column <name>
    prompt: Callable[[str], str]  # a problem's text as the task's models read it
    load: Callable[[str | os.PathLike], list[Problem]]
    load_gold: Callable[[str | os.PathLike], list[dict[str, str]]]  # SFT examples: prompt, completion
    extract: Callable[[str], str | None]
    # The PRM trained on human step labels of the task's problems (PRM800K's, on MATH), None without one.
    human_labelled_prm: str | None = None

    def checker(self, **options) -> AnswerChecker:
        """An answer checker for this task (use it as a context manager)."""
        return AnswerChecker(kind=self.answer_kind, **options)

    def sample_set(self, split: str) -> SampleSet:
        try:
            return self.sample_sets[split]
        except KeyError:
            raise ValueError(
                f"task {self.name}: no sample set {split!r}; expected one of {sorted(self.sample_sets)}"
            ) from None

    def problem_texts(self, path: str | os.PathLike) -> dict[str, str]:
        """Each problem's text as the dataset writes it (GSM8K's question, MATH's problem), by problem id."""
        return {r.problem_id: r.question if self.answer_kind == "gsm8k" else r.problem for r in self.load_records(path)}

    def load_records(self, path: str | os.PathLike) -> list[Any]:
        """The task's raw problem records as read (GSM8K or MATH problems, with their ``extra`` fields)."""
        from stepwise.data.gsm8k import load_gsm8k
        from stepwise.data.math import load_math

        return (load_gsm8k if self.answer_kind == "gsm8k" else load_math)(path)


def load_gsm8k_problems(path: str | os.PathLike) -> list[Problem]:
    """GSM8K problems as (problem_id, prompt, final answer)."""
    from stepwise.data.gsm8k import load_gsm8k

    return [Problem(p.problem_id, gsm8k_prompt(p.question), p.final_answer) for p in load_gsm8k(path)]


def load_gsm8k_gold(path: str | os.PathLike) -> list[dict[str, str]]:
    """GSM8K gold solutions as prompt-completion pairs (trl appends the eos)."""
    from stepwise.data.gsm8k import load_gsm8k

    return [{"prompt": gsm8k_prompt(p.question), "completion": p.answer} for p in load_gsm8k(path)]


def load_math_gold(path: str | os.PathLike) -> list[dict[str, str]]:
    """MATH reference solutions as prompt-completion pairs, in the PRM800K step format the generator writes."""
    from stepwise.data.math import load_math
    from stepwise.generators.sft_data import reference_example

    return [reference_example(p) for p in load_math(path)]


def load_math_problems(path: str | os.PathLike) -> list[Problem]:
    """MATH problems as (unique_id, prompt, answer)."""
    from stepwise.data.math import load_math

    return [Problem(p.problem_id, math_prompt(p.problem), p.answer) for p in load_math(path)]


TASKS: dict[str, Task] = {
    "gsm8k": Task(
        name="gsm8k",
        title="GSM8K",
        report_category="GSM8K outcome verifier",
        sample_sets={
            "train": SampleSet("gsm8k_train", "verifier_samples"),
            "test": SampleSet("gsm8k_test", "test_samples"),
        },
        step_format="gsm8k",
        calculator_notation="gsm8k",
        answer_kind="gsm8k",
        outcome_verifier="verifier",
        prompt=gsm8k_prompt,
        load=load_gsm8k_problems,
        load_gold=load_gsm8k_gold,
        extract=extract_hash_answer,
    ),
    "math": Task(
        name="math",
        title="MATH",
        report_category="PRM800K process reward model",
        sample_sets={
            "train": SampleSet("math_train", "train_samples"),
            "test": SampleSet("math500", "test_samples"),
        },
        step_format="prm800k",
        calculator_notation="latex",
        answer_kind="math",
        outcome_verifier="orm",
        prompt=math_prompt,
        load=load_math_problems,
        load_gold=load_math_gold,
        extract=extract_answer,
        human_labelled_prm="prm800k_prm",
    ),
}

TASK_NAMES = tuple(TASKS)
SPLITS = ("train", "test")


def get_task(name: str) -> Task:
    """The task called ``name`` (one of :data:`TASK_NAMES`)."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}") from None


def generator_source(config: Mapping[str, Any], task: str) -> str:
    """Where a task's generator comes from: ``sft`` (fine-tuned in the DAG) or ``pretrained`` (used as it is)."""
    return config[task]["generator"]["source"]


def sample_step_format(config: Mapping[str, Any], task: str) -> str:
    """How the task's samples split into steps: a pretrained generator's configured format, else the task's."""
    generator = config[task]["generator"]
    return generator["step_format"] if generator["source"] == "pretrained" else TASKS[task].step_format


def generator_data_source(config: Mapping[str, Any], task: str) -> str:
    """Where a task's generator SFT data comes from: ``gold`` (GSM8K), ``reference`` or ``fewshot`` (MATH)."""
    return config[task]["generator_data"]["source"] if "generator_data" in config[task] else "gold"


# ---------------------------------------------------------------- scorers


@dataclass(frozen=True)
class Scorer:
    """One scorer of a task's samples: it writes ``<task>/scores/<split>/<name>.jsonl`` with ``columns``,
    and adds ``methods`` (selection methods, as :class:`stepwise.selection.MethodSpec` mappings) to the
    task's table."""

    name: str
    kind: str  # "outcome" (one score per solution), "process" (step scores, aggregated), or a SCORER_KINDS key
    columns: tuple[str, ...]
    methods: tuple[dict[str, Any], ...]
    model: str | None = None  # a trained scorer's folder under results/<run>/models/


def best_of_n(column: str) -> dict[str, Any]:
    """Best-of-N by one score column, labelled by the column."""
    return {"method": "best_of_n", "score": column, "label": column}


def outcome_verifier_scorer(config: Mapping[str, Any], task: str) -> Scorer:
    """The task's outcome verifier (Cobbe's verifier on GSM8K, the ORM baseline on MATH)."""
    name = TASKS[task].outcome_verifier
    methods = [best_of_n(name)]
    top_k = config[task]["evaluation"].get("top_k")
    if top_k:
        methods.append({"method": "top_k_vote", "score": name, "k": top_k, "label": "topk_vote"})
    return Scorer(name, "outcome", (name,), tuple(methods), model=f"{task}_{name}")


def process_scorer(config: Mapping[str, Any], task: str, name: str, model: str) -> Scorer:
    """A PRM: its step scores aggregated per solution by each of the task's aggregations, a best-of-N method each."""
    columns = tuple(f"{name}_{aggregation}" for aggregation in config[task]["evaluation"]["aggregations"])
    return Scorer(name, "process", columns, tuple(best_of_n(column) for column in columns), model=model)


def seeded_random_scorer(config: Mapping[str, Any], task: str, entry: Mapping[str, Any]) -> Scorer:
    """Scores drawn at random (seeded per sample): best-of-N by them is a random pick, the chance baseline."""
    return Scorer(entry["name"], "random", (entry["name"],), (best_of_n(entry["name"]),))


def public_prm_scorer(config: Mapping[str, Any], task: str, entry: Mapping[str, Any]) -> Scorer:
    """A public PRM (stepwise.scoring.public_prm): step scores aggregated like the workflow's own PRMs'."""
    return replace(process_scorer(config, task, entry["name"], model=None), kind="public_prm")


#: Scorer kinds a config may declare under ``scorers:`` (name, kind, tasks and the kind's settings),
#: each with the function that builds its entry for a task. The rule that writes its score files is in
#: rules/scorers.smk.
SCORER_KINDS: dict[str, Callable[[Mapping[str, Any], str, Mapping[str, Any]], Scorer]] = {
    "random": seeded_random_scorer,
    "public_prm": public_prm_scorer,
}
#: Kinds whose score files are step scores (``<task>/step_scores/``), aggregated per solution into their columns.
STEP_SCORE_KINDS = ("process", "public_prm")


def configured_scorers(config: Mapping[str, Any], task: str, kind: str | None = None) -> list[Mapping[str, Any]]:
    """The config's ``scorers:`` entries that score ``task`` (and are of ``kind``, if given)."""
    return [
        entry
        for entry in config.get("scorers", [])
        if task in entry["tasks"] and (kind is None or entry["kind"] == kind)
    ]


def scorers(config: Mapping[str, Any], task: str) -> list[Scorer]:
    """Every scorer of ``task``'s test samples, in the order of the table's rows."""
    found = [outcome_verifier_scorer(config, task)]
    prm = TASKS[task].human_labelled_prm
    if prm:
        found.append(process_scorer(config, task, prm, model=prm))
    if task in config.get("shepherd", {}).get("tasks", []):
        found.append(process_scorer(config, task, "shepherd_prm", model=f"{task}_shepherd_prm"))
    found += [SCORER_KINDS[entry["kind"]](config, task, entry) for entry in configured_scorers(config, task)]
    return found


def get_scorer(config: Mapping[str, Any], task: str, name: str) -> Scorer:
    """The scorer called ``name`` of ``task``'s samples."""
    for scorer in scorers(config, task):
        if scorer.name == name:
            return scorer
    raise ValueError(f"task {task}: no scorer {name!r}; its scorers: {[s.name for s in scorers(config, task)]}")


def process_reward_models(config: Mapping[str, Any]) -> dict[str, str]:
    """Every trained PRM of the run (its model folder under ``models/``) and the task whose prompts it reads."""
    return {s.model: task for task in TASKS for s in scorers(config, task) if s.kind == "process"}


def scorer_names(config: Mapping[str, Any], *kinds: str) -> list[str]:
    """Names of the scorers of these kinds, over every task (the wildcard values of those kinds' rules)."""
    return sorted({s.name for task in TASKS for s in scorers(config, task) if s.kind in kinds})


def public_prm_scorers(config: Mapping[str, Any]) -> list[str]:
    """The names of the config's public PRM scorers (each also scored on ProcessBench)."""
    return [entry["name"] for entry in config.get("scorers", []) if entry["kind"] == "public_prm"]


def evaluation_methods(config: Mapping[str, Any], task: str) -> list[dict[str, Any]]:
    """The selection methods of a task's table: the votes that need no scorer, every scorer's methods, pass@n."""
    weighted = config[task]["evaluation"].get("weighted_majority")
    return [
        {"method": "greedy", "label": "greedy"},
        {"method": "majority", "label": "majority"},
        *([{"method": "weighted_majority", "score": weighted, "label": "weighted_majority"}] if weighted else []),
        *(method for scorer in scorers(config, task) for method in scorer.methods),
        {"method": "pass_at_n", "label": "pass@n"},
    ]


def score_files(config: Mapping[str, Any], task: str, split: str = "test") -> list[str]:
    """The score files of ``task``'s samples of ``split``, relative to a replicate's results folder
    (``results/<run>/`` for replicate 1)."""
    return [os.path.join(task, "scores", split, f"{scorer.name}.jsonl") for scorer in scorers(config, task)]


#: Scorer kinds that can score a partial solution, and so guide a search (stepwise.search), by what
#: the guide is to the search: a trained PRM (its step scores so far, aggregated) or the token-level
#: outcome verifier (its value at the prefix's last token).
GUIDE_KINDS = {"process": "prm", "outcome": "verifier"}


def search_guide(config: Mapping[str, Any], task: str) -> Scorer:
    """The scorer that guides ``task``'s test-time search (``search.guides``)."""
    name = config["search"]["guides"].get(task)
    if name is None:
        raise ValueError(f"search.guides: no guide for task {task!r}, which search.tasks lists")
    names = [scorer.name for scorer in scorers(config, task) if scorer.kind in GUIDE_KINDS]
    scorer = next((scorer for scorer in scorers(config, task) if scorer.name == name), None)
    if scorer is None or scorer.kind not in GUIDE_KINDS:
        what = (
            "is not a scorer of the task" if scorer is None else f"(kind {scorer.kind}) cannot score a partial solution"
        )
        raise ValueError(
            f"search.guides.{task}: {name!r} {what}; choose one of its trained PRMs or its outcome verifier: {names}"
        )
    return scorer


def search_score_column(config: Mapping[str, Any], task: str) -> str:
    """The column of the guide's score file that ranks finished solutions as the search does: a PRM's
    ``<name>_<search.aggregation>``, the verifier's own."""
    guide = search_guide(config, task)
    return f"{guide.name}_{config['search']['aggregation']}" if guide.kind == "process" else guide.name


def check_search(config: Mapping[str, Any]) -> None:
    """The ``search`` section against the rest: guides, budgets and the samples best-of-N draws from."""
    search = config["search"]
    uneven = [budget for budget in search["budgets"] if budget % search["beam_width"]]
    if uneven:
        raise ValueError(
            f"search.budgets: {uneven} are not multiples of search.beam_width ({search['beam_width']}): "
            f"a search keeps N / M beams"
        )
    if "lookahead" in search["methods"] and search["lookahead"] < 1:
        raise ValueError("search.methods: lookahead needs search.lookahead >= 1 (steps rolled out before scoring)")
    for task in search["tasks"]:
        guide = search_guide(config, task)
        section = TASKS[task].sample_set("test").section
        samples = config[task][section]
        if guide.kind == "process" and search_score_column(config, task) not in guide.columns:
            raise ValueError(
                f"search.aggregation: {search['aggregation']!r} is not one of {task}.evaluation.aggregations "
                f"{list(config[task]['evaluation']['aggregations'])}, which best-of-N by {guide.name} reads"
            )
        reduction = config[task]["evaluation"]["score_reduction"]
        if guide.kind == "outcome" and reduction != "last":
            raise ValueError(
                f"{task}.evaluation.score_reduction: {reduction!r}; a verifier guides the search by its value "
                f"at a prefix's last token, so best-of-N by its score file must read the same (last)"
            )
        if max(search["budgets"]) > samples["n"]:
            raise ValueError(
                f"search.budgets: best-of-{max(search['budgets'])} draws from {task}.{section}, which has "
                f"n={samples['n']} samples per problem; raise it or lower the budgets"
            )


def check_claims(config: Mapping[str, Any]) -> None:
    """The ``claims`` section against the rest (stepwise.evaluation.claims): each PRM's headline aggregation is
    one of its tasks' aggregations, and N is a row of every task's table and a budget of the search."""
    from stepwise.selection import n_values

    claims = config["claims"]
    scored_by = {
        "prm800k_prm": [name for name, task in TASKS.items() if task.human_labelled_prm == "prm800k_prm"],
        "shepherd_prm": config["shepherd"]["tasks"],
    }
    for prm, aggregation in claims["aggregation"].items():
        for task in scored_by[prm]:
            aggregations = list(config[task]["evaluation"]["aggregations"])
            if aggregation not in aggregations:
                raise ValueError(
                    f"claims.aggregation.{prm}: {aggregation!r} is not one of {task}.evaluation.aggregations "
                    f"{aggregations}; the claims read {prm}'s row of that aggregation"
                )
    n = claims["n"]
    for task in TASKS:
        section = TASKS[task].sample_set("test").section
        ns = n_values(config[task][section]["n"])
        if n not in ns:
            raise ValueError(
                f"claims.n: {n} is not an N of the {task} table, which has N = {ns} "
                f"({task}.{section}.n = {config[task][section]['n']})"
            )
    budgets = config["search"]["budgets"]
    if config["search"]["tasks"] and n not in budgets:
        raise ValueError(f"claims.n: {n} is not one of search.budgets {budgets}, which the search claims compare at")


def check_config(config: Mapping[str, Any]) -> None:
    """Checks across config keys that the schema cannot make: score columns named must be written by a
    scorer; the search's guides, budgets and problems must fit the tasks (:func:`check_search`); the
    claims' aggregations and N must be in the tables (:func:`check_claims`)."""
    from stepwise.scoring.public_prm_settings import PublicPRMSettings

    built_in = {**config, "scorers": []}
    # Score files, and ProcessBench's, are named by scorer and by trained model: a name is one of them.
    taken = {scorer.name for task in TASKS for scorer in scorers(built_in, task)} | set(process_reward_models(built_in))
    for entry in config.get("scorers", []):
        if entry["name"] in taken:
            raise ValueError(f"scorers: the name {entry['name']!r} is taken; give each scorer its own name")
        taken.add(entry["name"])
        if entry["kind"] == "public_prm":
            PublicPRMSettings.from_entry(entry)
    for task in TASKS:
        columns = sorted(column for scorer in scorers(config, task) for column in scorer.columns)
        weighted = config[task]["evaluation"].get("weighted_majority")
        if weighted and weighted not in columns:
            raise ValueError(
                f"{task}.evaluation.weighted_majority: {weighted!r} is not a score column of the "
                f"{task} scorers; choose one of {columns} (a PRM aggregation must be in "
                f"{task}.evaluation.aggregations)"
            )
    ranked_by = config["prm800k"]["active_learning"]["aggregation"]
    aggregations = config["math"]["evaluation"]["aggregations"]
    if ranked_by not in aggregations:
        raise ValueError(
            f"prm800k.active_learning.aggregation: {ranked_by!r} is not one of "
            f"math.evaluation.aggregations {aggregations}"
        )
    check_search(config)
    check_claims(config)
