"""What each rule hands its script: the settings a job uses, picked from the config.

The rule files only wire files: every rule's ``--settings`` is one of these
functions of the config the job reads (``job_config`` in ``rules/common.smk``: a
replicate's job reads its replicate's config), so each choice of keys has one
definition and a unit test, and no rule writes a settings dict of its own. Paths
are relative to a replicate's results folder (``results/<run>/`` for replicate 1;
the rules prefix them). ``where`` names the run (and replicate) in titles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from stepwise.config import registry
from stepwise.search.settings import SearchSettings

Config = Mapping[str, Any]

#: The sampling keys a sampler uses (not the shard count: a job that samples every problem needs none).
SAMPLER_KEYS = ("backend", "batch_size", "gpu_memory_utilization", "max_model_len")
#: Step scores below it count as flagged wrong in step metrics.
STEP_THRESHOLD = 0.5


# ---------------------------------------------------------------- models and generators


def tiny_model(config: Config) -> dict[str, Any]:
    """The tiny base model's architecture and seed."""
    return config["model"]["tiny"]


def pretraining(config: Config) -> dict[str, Any]:
    """The tiny model's optional pretraining (model.pretrain)."""
    return config["model"]["pretrain"]


def sft(config: Config, task: str) -> dict[str, Any]:
    """The task's generator fine-tuning (``<task>.sft``)."""
    return config[task]["sft"]


def pretrained_generator(config: Config, task: str) -> dict[str, Any]:
    """An off-the-shelf generator's model and prompting (``<task>.generator``)."""
    return config[task]["generator"]


def sampling(config: Config, task: str, split: str) -> dict[str, Any]:
    """One sampling shard: the task's sample set of ``split`` and the sampling section."""
    return {
        "sample_set": config[task][registry.get_task(task).sample_set(split).section],
        "sampling": config["sampling"],
    }


def outcome_verifier_training(config: Config, task: str, name: str) -> dict[str, Any]:
    """The task's outcome verifier's training (``<task>.<name>``: the GSM8K verifier, the MATH ORM)."""
    return config[task][name]


def outcome_verifier_scoring(config: Config, task: str, name: str) -> dict[str, Any]:
    """Scores of the task's test samples by its outcome verifier, into the column ``name``."""
    return {
        "column": name,
        "reduction": config[task]["evaluation"]["score_reduction"],
        "batch_size": config["scoring"]["batch_size"],
    }


def local_source(config: Config, dataset: str) -> list[str]:
    """A `path` source as an input, so a changed local file reruns the copy."""
    source = config["data"][dataset]
    return [source["path"]] if source["source"] == "path" else []


def tasks_with_generator_data(config: Config, *sources: str) -> list[str]:
    """The tasks whose generator SFT data comes from one of ``sources`` (gold, reference, fewshot)."""
    return [task for task in registry.TASK_NAMES if registry.generator_data_source(config, task) in sources]


def reference_data(config: Config, task: str) -> dict[str, Any]:
    """What gold or reference SFT data depends on: nothing for gold solutions, `source` and `problems` else."""
    if registry.generator_data_source(config, task) == "gold":
        return {}
    return {key: config[task]["generator_data"][key] for key in ("source", "problems")}


def fewshot_data(config: Config, task: str) -> dict[str, Any]:
    """Few-shot SFT data: the task's generator_data and the sampler's keys."""
    sampler = {key: config["sampling"][key] for key in SAMPLER_KEYS}
    return {"generator_data": config[task]["generator_data"], "sampling": sampler}


def step_scoring(config: Config, column: str, task: str | None = None) -> dict[str, Any]:
    """Step scores by a PRM into ``column`` (of ``task``'s samples, split in their step format);
    P(neutral) of a 3-class PRM counts towards P(correct)."""
    chosen = {"column": column, "batch_size": config["scoring"]["batch_size"], "neutral_is_correct": True}
    return chosen if task is None else {**chosen, "step_format": registry.sample_step_format(config, task)}


def step_aggregation(config: Config, column: str, task: str) -> dict[str, Any]:
    """A PRM's step scores (``column``) aggregated into one score per solution by each of the task's aggregations."""
    return {"column": column, "aggregations": config[task]["evaluation"]["aggregations"]}


def prm800k_preprocess(config: Config) -> dict[str, Any]:
    """PRM800K's label records into step-labelled examples (``prm800k.preprocess``)."""
    return config["prm800k"]["preprocess"]


def prm800k_labels_generator_samples(config: Config) -> bool:
    """Whether the MATH generator's training samples, rated by the demo's truth, join the PRM's data: asked for
    (``prm800k.label_generator_samples``) and possible: the MATH training problems are demo problems, and the
    samples are in a step format the truth reads (a pretrained generator's free paragraphs are not)."""
    from stepwise.demo.truth import JUDGE_FORMATS

    return (
        config["prm800k"]["label_generator_samples"]
        and on_demo_problems(config, "math")
        and registry.sample_step_format(config, "math") in JUDGE_FORMATS
    )


def generator_sample_labels(config: Config) -> dict[str, Any]:
    """The truth's ratings of the MATH generator's samples, split in their step format."""
    return {"step_format": registry.sample_step_format(config, "math")}


def prm800k_prm(config: Config) -> dict[str, Any]:
    """The PRM800K PRM's training, with how the preprocessing labelled neutral steps."""
    return {**config["prm800k"]["prm"], "neutral": config["prm800k"]["preprocess"]["neutral"]}


def active_learning(config: Config) -> dict[str, Any]:
    """prm800k.active_learning, with the PRM solution score it ranks by as a score column."""
    section = config["prm800k"]["active_learning"]
    chosen = {key: value for key, value in section.items() if key != "aggregation"}
    return {**chosen, "score": f"prm800k_prm_{section['aggregation']}"}


def step_metrics_on_demo(config: Config) -> bool:
    """PRM step metrics against the demo's ground truth when MATH-500 is the demo's, else the PRM800K test labels."""
    return config["data"]["math500"]["source"] == "demo"


def step_metrics_files(config: Config) -> list[str]:
    """The PRM800K PRM's step metrics (JSON, Markdown): of the demo's MATH test samples, or of PRM800K's test split."""
    stem = "math/prm_step_metrics" if step_metrics_on_demo(config) else "prm800k/test_step_metrics"
    return [f"{stem}.json", f"{stem}.md"]


def step_metrics(config: Config, on: str, task: str | None = None) -> dict[str, Any]:
    """Step metrics of the PRM800K PRM on ``on`` (what judges the steps, for the title); of ``task``'s
    samples, with their step format."""
    chosen = {
        "column": "prm800k_prm",
        "threshold": STEP_THRESHOLD,
        "title": f"PRM step-level metrics ({config['run']}): {on}",
    }
    return chosen if task is None else {**chosen, "step_format": registry.sample_step_format(config, task)}


def on_demo_problems(config: Config, task: str) -> bool:
    """Label quality is measured against the demo's ground truth, which only demo problems carry."""
    return config["data"][registry.get_task(task).sample_set("train").dataset]["source"] == "demo"


def shepherd_completion(config: Config, task: str) -> dict[str, Any]:
    """Settings of the completions: shepherd's, with the calculator of the samples they continue."""
    shepherd = config["shepherd"]
    samples = config[task][registry.get_task(task).sample_set("train").section]
    chosen = {key: shepherd[key] for key in ("temperature", "top_p", "max_tokens", "seed")}
    return {**chosen, "n": shepherd["completions"], "calculator": samples["calculator"]}


def shepherd_labels(config: Config, task: str) -> dict[str, Any]:
    """One label shard: the strategy, how many problems, the completions and the sampling section."""
    shepherd = config["shepherd"]
    return {
        "strategy": shepherd["strategy"],
        "problems": shepherd["problems"],
        "completion": shepherd_completion(config, task),
        "sampling": config["sampling"],
    }


def shepherd_aggregate(config: Config, task: str) -> dict[str, Any]:
    shepherd = config["shepherd"]
    return {
        "labels": shepherd["labels"],
        "soft_threshold": shepherd["soft_threshold"],
        "demo_truth": on_demo_problems(config, task),
    }


def shepherd_comparison(config: Config, task: str) -> dict[str, Any]:
    """The other strategy on the first compare_problems problems, with the same completions."""
    shepherd = config["shepherd"]
    return {
        "problems": shepherd["compare_problems"],
        "completion": shepherd_completion(config, task),
        "sampling": config["sampling"],
        "soft_threshold": shepherd["soft_threshold"],
        "demo_truth": on_demo_problems(config, task),
    }


def shepherd_prm(config: Config) -> dict[str, Any]:
    """The Math-Shepherd PRMs' training (``shepherd.prm``)."""
    return config["shepherd"]["prm"]


def shepherd_files(config: Config, task: str) -> list[str]:
    """A task's Math-Shepherd outputs: both dataset formats, statistics, and the strategy comparison if asked."""
    names = ["trl.jsonl", "math_shepherd.jsonl", "stats.json"]
    if config["shepherd"]["compare_problems"]:
        names += ["strategies.json", "strategies.md"]
    return [f"shepherd/{task}/{name}" for name in names]


def tasks_with_generator(config: Config, source: str) -> list[str]:
    """The tasks whose generator comes from ``source`` (``sft`` or ``pretrained``)."""
    return [task for task in registry.TASK_NAMES if registry.generator_source(config, task) == source]


def public_prm_scoring(config: Config, name: str, task: str | None = None) -> dict[str, Any]:
    """Step scores by the public PRM ``name`` into the column ``name``: its whole ``scorers:`` entry
    (and, for ``task``'s samples, their step format)."""
    chosen = {"column": name, "public_prm": dict(configured_scorer(config, name))}
    return chosen if task is None else {**chosen, "step_format": registry.sample_step_format(config, task)}


#: The ``search`` keys a search job reads from the config: its settings' fields but ``problems``, which
#: :func:`search_problems` sets (the others pick its jobs, and the vLLM share its sampler).
SEARCH_KEYS = tuple(field.name for field in dataclasses.fields(SearchSettings) if field.name != "problems")


def search_problems(config: Config, task: str) -> int | None:
    """How many test problems ``task``'s search solves (the first ones): at most ``search.problems``, and
    only problems its test samples cover (null: all), whose pass@1 and best-of-N the evaluation needs."""
    samples = config[task][registry.get_task(task).sample_set("test").section]
    limits = [limit for limit in (config["search"]["problems"], samples["problems"]) if limit is not None]
    return min(limits, default=None)


def search_guide_settings(config: Config, task: str) -> dict[str, Any]:
    """The guide of ``task``'s search as the search script reads it: its scorer's name, its kind
    (``prm`` or ``verifier``) and how it scores (a PRM as rules/prm800k.smk's step scoring does)."""
    scorer = registry.search_guide(config, task)
    chosen = {
        "name": scorer.name,
        "kind": registry.GUIDE_KINDS[scorer.kind],
        "batch_size": config["scoring"]["batch_size"],
    }
    return {**chosen, "neutral_is_correct": True} if scorer.kind == "process" else chosen


def search_baseline(config: Config, task: str) -> dict[str, Any]:
    """Best-of-N by ``task``'s guide from its test samples: the search keys (budgets, problems,
    aggregation), the samples' step format and the guide."""
    chosen = {key: config["search"][key] for key in SEARCH_KEYS}
    return {
        "search": {**chosen, "problems": search_problems(config, task)},
        "step_format": registry.sample_step_format(config, task),
        "guide": search_guide_settings(config, task),
    }


def search(config: Config, task: str) -> dict[str, Any]:
    """One search shard of ``task``: the baseline's settings, the sampling section (with the search's
    vLLM share of the GPU: the guide takes the rest) and the test samples' calculator."""
    samples = config[task][registry.get_task(task).sample_set("test").section]
    return {
        **search_baseline(config, task),
        "sampling": {**config["sampling"], "gpu_memory_utilization": config["search"]["gpu_memory_utilization"]},
        "calculator": samples["calculator"],
        "calculator_notation": registry.get_task(task).calculator_notation,
    }


def search_evaluation(config: Config, task: str, where: str) -> dict[str, Any]:
    """The evaluation of ``task``'s search: every method with best-of-N, the budgets, the guide's
    column (its mean over a problem's samples predicts difficulty), the levels and the seed of the
    halves compute-optimal chooses on."""
    search = config["search"]
    return {
        "methods": ["best_of_n", *search["methods"]],
        "budgets": search["budgets"],
        "score": registry.search_score_column(config, task),
        "bins": search["bins"],
        "seed": search["seed"],
        "title": f"{registry.get_task(task).title} ({where}): test-time search",
    }


def random_scorer(config: Config, name: str) -> dict[str, Any]:
    """A configured ``random`` scorer: its column and seed."""
    return {"column": name, "seed": configured_scorer(config, name)["seed"]}


def configured_scorer(config: Config, name: str) -> Mapping[str, Any]:
    """The ``scorers:`` entry called ``name``."""
    for entry in config["scorers"]:
        if entry["name"] == name:
            return entry
    raise ValueError(f"scorers: no scorer called {name!r}")


def claims(config: Config) -> dict[str, Any]:
    """The claims table (stepwise.evaluation.claims): the ``claims`` section, the tasks of the experiments that
    switch claims on (Math-Shepherd's, the search's), every task, and how many replicates it reads."""
    return {
        "claims": config["claims"],
        "shepherd_tasks": config["shepherd"]["tasks"],
        "search_tasks": config["search"]["tasks"],
        "tasks": list(registry.TASK_NAMES),
        "replicates": config["replicates"],
    }


# ---------------------------------------------------------------- ProcessBench


def processbench_demo_set(config: Config, subset: str) -> dict[str, Any]:
    """One of the demo's ProcessBench subsets, built from a task's test samples in their step format."""
    return {
        "source": "demo",
        "samples_per_problem": config["processbench"]["samples_per_problem"],
        "step_format": registry.sample_step_format(config, subset),
    }


def processbench_subset(config: Config, subset: str) -> dict[str, Any]:
    """One of the benchmark's subsets (``processbench.subsets``)."""
    return {"source": config["processbench"]["source"], **config["processbench"]["subsets"][subset]}


def processbench_scoring(config: Config) -> dict[str, Any]:
    """A trained PRM's scores of a ProcessBench subset."""
    return {"batch_size": config["scoring"]["batch_size"]}


def processbench_evaluation(config: Config, entries: list[dict[str, str]], where: str) -> dict[str, Any]:
    """F1 of every PRM on every subset (``entries``: the PRM and subset of each score file), at the
    fixed threshold and one tuned on GSM8K."""
    on = "the demo set" if config["processbench"]["source"] == "demo" else "the benchmark"
    return {
        "entries": entries,
        "threshold": config["processbench"]["threshold"],
        "title": f"ProcessBench ({where}, {on})",
    }


# ---------------------------------------------------------------- tables


def evaluation(config: Config, task: str, where: str) -> dict[str, Any]:
    """The task's accuracy table: its selection methods, and the Monte Carlo draws of N-subsets."""
    return {
        "methods": registry.evaluation_methods(config, task),
        "trials": config[task]["evaluation"]["trials"],
        "seed": config[task]["evaluation"]["seed"],
        "title": f"{registry.get_task(task).title} ({where}): accuracy against N",
    }


def replicate_summary(task: str, where: str) -> dict[str, Any]:
    """The mean and spread of the task's tables over the replicates, with its baselines' gaps."""
    return {
        "baselines": ["greedy", "majority", registry.get_task(task).outcome_verifier],
        "title": f"{registry.get_task(task).title} ({where}): accuracy against N",
    }


def combined_accuracy(run: str) -> dict[str, Any]:
    """Every task's table in one plot."""
    return {"tasks": list(registry.TASK_NAMES), "title": f"Accuracy against N ({run})"}
