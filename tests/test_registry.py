"""The registry (stepwise/config/registry.py): tasks, scorers and the methods of each task's table."""

from __future__ import annotations

import copy

import pytest
import yaml

from stepwise.config.registry import (
    TASKS,
    check_config,
    evaluation_methods,
    generator_data_source,
    get_scorer,
    get_task,
    score_files,
    scorer_names,
    scorers,
)
from stepwise.evaluation.score_tables import random_score
from stepwise.selection import MethodSpec
from tests.workflow import DEFAULT_CONFIG, ROOT


@pytest.fixture()
def config():
    """The default config, with the schema's defaults filled in as the workflow sees it."""
    from snakemake.utils import validate

    loaded = yaml.safe_load(DEFAULT_CONFIG.read_text())
    validate(loaded, str(DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml"))
    return loaded


def labels(methods):
    return [m["label"] for m in methods]


def test_every_task_names_its_sample_sets_step_format_and_verifier():
    for name, task in TASKS.items():
        assert task.name == name == get_task(name).name
        assert set(task.sample_sets) == {"train", "test"}
        assert task.calculator_notation in ("gsm8k", "latex")
        assert task.step_format in ("gsm8k", "prm800k")
    assert get_task("math").sample_set("test").dataset == "math500"
    with pytest.raises(ValueError, match="unknown task 'gsm9k'"):
        get_task("gsm9k")
    with pytest.raises(ValueError, match="no sample set 'dev'"):
        get_task("math").sample_set("dev")


def test_the_default_tables_hold_the_built_in_scorers_methods(config):
    assert labels(evaluation_methods(config, "gsm8k")) == [
        "greedy",
        "majority",
        "weighted_majority",
        "verifier",
        "topk_vote",
        "shepherd_prm_min",
        "shepherd_prm_prod",
        "shepherd_prm_last",
        "pass@n",
    ]
    assert labels(evaluation_methods(config, "math")) == [
        "greedy",
        "majority",
        "weighted_majority",
        "orm",
        "prm800k_prm_prod",
        "prm800k_prm_min",
        "prm800k_prm_last",
        "shepherd_prm_prod",
        "shepherd_prm_min",
        "shepherd_prm_last",
        "pass@n",
    ]
    for task in TASKS:  # every entry is a valid selection method
        [MethodSpec.from_config(entry) for entry in evaluation_methods(config, task)]
    assert score_files(config, "math") == [
        "math/scores/test/orm.jsonl",
        "math/scores/test/prm800k_prm.jsonl",
        "math/scores/test/shepherd_prm.jsonl",
    ]
    assert scorer_names(config, "process") == ["prm800k_prm", "shepherd_prm"]
    assert get_scorer(config, "gsm8k", "shepherd_prm").model == "gsm8k_shepherd_prm"
    assert get_scorer(config, "math", "prm800k_prm").model == "prm800k_prm"


def test_shepherd_off_drops_its_scorer(config):
    config["shepherd"]["tasks"] = ["math"]
    assert "shepherd_prm" not in [s.name for s in scorers(config, "gsm8k")]
    assert "shepherd_prm" in [s.name for s in scorers(config, "math")]


def test_a_configured_scorer_adds_its_rows_and_score_file(config):
    config["scorers"] = [{"name": "chance", "kind": "random", "tasks": ["math"], "seed": 3}]
    check_config(config)
    assert "chance" in labels(evaluation_methods(config, "math"))
    assert "chance" not in labels(evaluation_methods(config, "gsm8k"))
    assert score_files(config, "math")[-1] == "math/scores/test/chance.jsonl"
    assert scorer_names(config, "random") == ["chance"]


def test_config_checks_name_the_key(config):
    bad = copy.deepcopy(config)
    bad["math"]["evaluation"]["weighted_majority"] = "prm800k_prm_mean"
    with pytest.raises(ValueError, match=r"math\.evaluation\.weighted_majority: 'prm800k_prm_mean'"):
        check_config(bad)
    bad = copy.deepcopy(config)
    bad["gsm8k"]["evaluation"]["weighted_majority"] = "prm800k_prm_prod"  # MATH's PRM does not score GSM8K
    with pytest.raises(ValueError, match=r"gsm8k\.evaluation\.weighted_majority"):
        check_config(bad)
    bad = copy.deepcopy(config)
    bad["prm800k"]["active_learning"]["aggregation"] = "mean"
    with pytest.raises(ValueError, match=r"prm800k\.active_learning\.aggregation"):
        check_config(bad)
    bad = copy.deepcopy(config)
    bad["scorers"] = [{"name": "orm", "kind": "random", "tasks": ["math"], "seed": 0}]
    with pytest.raises(ValueError, match="the name 'orm' is taken"):
        check_config(bad)


def test_generator_data_source(config):
    assert generator_data_source(config, "gsm8k") == "gold"
    assert generator_data_source(config, "math") == "reference"
    config["math"]["generator_data"]["source"] = "fewshot"
    assert generator_data_source(config, "math") == "fewshot"


def test_random_scores_depend_only_on_seed_problem_and_sample():
    first = [random_score(0, "p1", k) for k in range(64)]
    assert first == [random_score(0, "p1", k) for k in range(64)]
    assert first != [random_score(1, "p1", k) for k in range(64)]
    assert all(0.0 <= value < 1.0 for value in first)
    assert len(set(first)) == 64


# ------------------------------------------------- what rules hand their scripts (stepwise.config.job_settings)


def test_every_rule_hands_its_script_settings_from_job_settings():
    # One route from the config to a job: a rule's `settings` param is a job_settings function of the
    # config (dataset_spec: the raw data's spec, stepwise.data.sources); no rule writes a dict of its own.
    import re

    rules = {path.name: path.read_text() for path in (ROOT / "rules").glob("*.smk")}
    params = [(name, line.strip()) for name, text in rules.items() for line in text.splitlines() if "settings=" in line]
    assert len(params) >= 30
    for name, line in params:
        assert re.fullmatch(r"settings=(lambda w[^:]*: )?settings\((job_settings\.\w+|dataset_spec)\(.*\)\),", line), (
            name,
            line,
        )
    assert not any("settings({" in text for text in rules.values())


def test_a_replicates_job_reads_its_replicates_config(config):
    from stepwise.config import job_settings
    from stepwise.config.replicates import replicate_config

    second = replicate_config(config, 2)
    # The search evaluation's halves move with the replicate's seeds, as the search shards do.
    assert (
        job_settings.search_evaluation(second, "math", "x")["seed"]
        == job_settings.search(second, "math")["search"]["seed"]
    )
    assert job_settings.search_evaluation(second, "math", "x")["seed"] != config["search"]["seed"]
    assert job_settings.evaluation(second, "gsm8k", "x")["seed"] == config["gsm8k"]["evaluation"]["seed"]  # fixed


def test_job_settings_pick_exactly_the_keys_a_job_uses(config):
    from stepwise.config import job_settings

    assert job_settings.reference_data(config, "gsm8k") == {}
    assert job_settings.reference_data(config, "math") == {"source": "reference", "problems": None}
    assert set(job_settings.fewshot_data(config, "math")["sampling"]) == set(job_settings.SAMPLER_KEYS)
    assert job_settings.tasks_with_generator_data(config, "gold", "reference") == ["gsm8k", "math"]
    assert job_settings.tasks_with_generator_data(config, "fewshot") == []
    assert job_settings.active_learning(config) == {
        "batch_size": 50,
        "wrong_share": 0.8,
        "max_per_problem": None,
        "generation": None,
        "score": "prm800k_prm_prod",
    }
    completion = job_settings.shepherd_completion(config, "math")
    assert completion["calculator"] is True and completion["n"] == config["shepherd"]["completions"]
    assert (
        job_settings.shepherd_completion(config, "gsm8k")["calculator"]
        == config["gsm8k"]["verifier_samples"]["calculator"]
    )
    assert job_settings.shepherd_labels(config, "gsm8k")["strategy"] == "binary"
    assert job_settings.shepherd_files(config, "math")[-1] == "shepherd/math/strategies.md"
    config["shepherd"]["compare_problems"] = 0
    assert job_settings.shepherd_files(config, "math")[-1] == "shepherd/math/stats.json"


def test_step_metrics_and_truth_labels_follow_the_data_sources(config):
    from stepwise.config import job_settings

    assert job_settings.step_metrics_files(config) == ["math/prm_step_metrics.json", "math/prm_step_metrics.md"]
    assert job_settings.on_demo_problems(config, "math")
    assert job_settings.prm800k_labels_generator_samples(config)  # the truth labels the generator's samples
    config["data"]["math500"] = {"source": "path", "path": "x.jsonl"}
    config["data"]["math_train"] = {"source": "path", "path": "y.jsonl"}
    assert job_settings.step_metrics_files(config) == ["prm800k/test_step_metrics.json", "prm800k/test_step_metrics.md"]
    assert not job_settings.on_demo_problems(config, "math")
    assert not job_settings.prm800k_labels_generator_samples(config)  # real problems: no labeller
    assert job_settings.local_source(config, "math500") == ["x.jsonl"]
    assert job_settings.local_source(config, "gsm8k_train") == []


def test_configured_scorer_is_found_by_name(config):
    from stepwise.config import job_settings

    config["scorers"] = [{"name": "chance", "kind": "random", "tasks": ["math"], "seed": 5}]
    assert job_settings.configured_scorer(config, "chance")["seed"] == 5
    with pytest.raises(ValueError, match="no scorer called 'luck'"):
        job_settings.configured_scorer(config, "luck")


def test_a_public_prm_is_a_scorer_with_the_tasks_aggregations(config):
    from snakemake.utils import validate

    public_entry = {
        "name": "public",
        "kind": "public_prm",
        "tasks": ["math"],
        "model": "some/model",
        "convention": "step_tag",
    }
    plain = copy.deepcopy(config)
    config = {**config, "scorers": [dict(public_entry)]}
    validate(config, str(DEFAULT_CONFIG.parent / "schemas" / "config.schema.yaml"))  # fills the entry's defaults
    assert config["scorers"][0] == {
        **public_entry,
        "revision": None,
        "format": {},
        "trust_remote_code": False,
        "dtype": "auto",
        "batch_size": 8,
        "max_length": None,
    }
    (public,) = [s for s in scorers(config, "math") if s.name == "public"]
    aggregations = config["math"]["evaluation"]["aggregations"]
    assert public.kind == "public_prm" and public.columns == tuple(f"public_{a}" for a in aggregations)
    assert [m["label"] for m in public.methods] == list(public.columns)
    assert "public" not in [s.name for s in scorers(config, "gsm8k")]
    check_config(config)
    for taken in ("prm800k_prm", "math_shepherd_prm", "orm"):  # a scorer's or a trained PRM folder's name
        with pytest.raises(ValueError, match=f"the name '{taken}' is taken"):
            check_config({**plain, "scorers": [{**public_entry, "name": taken}]})
    with pytest.raises(ValueError, match="scorers: public: format key"):
        check_config({**plain, "scorers": [{**public_entry, "format": {"sep": "x"}}]})


# ---------------------------------------------------------------- test-time search (the `search` section)


def test_search_guides_are_scorers_that_score_partial_solutions(config):
    from stepwise.config import job_settings
    from stepwise.config.registry import search_guide, search_score_column

    assert config["search"]["tasks"] == ["math", "gsm8k"]
    aggregation = config["search"]["aggregation"]
    assert (search_guide(config, "math").name, search_score_column(config, "math")) == (
        "prm800k_prm",
        f"prm800k_prm_{aggregation}",
    )
    assert (search_guide(config, "gsm8k").model, search_score_column(config, "gsm8k")) == ("gsm8k_verifier", "verifier")
    shard = job_settings.search(config, "math")
    assert set(shard) == {"search", "sampling", "calculator", "calculator_notation", "step_format", "guide"}
    assert set(shard["search"]) == {*job_settings.SEARCH_KEYS, "problems"}
    assert shard["search"]["problems"] == config["search"]["problems"]
    unset = copy.deepcopy(config)
    unset["search"]["problems"] = None
    assert (
        job_settings.search(unset, "math")["search"]["problems"] == config["math"]["test_samples"]["problems"]
    )  # the sampled ones
    unset["search"]["problems"] = config["math"]["test_samples"]["problems"] + 1
    assert job_settings.search(unset, "math")["search"]["problems"] == config["math"]["test_samples"]["problems"]
    assert shard["sampling"]["gpu_memory_utilization"] == config["search"]["gpu_memory_utilization"]
    assert shard["guide"] == {
        "name": "prm800k_prm",
        "kind": "prm",
        "batch_size": config["scoring"]["batch_size"],
        "neutral_is_correct": True,
    }
    assert job_settings.search(config, "gsm8k")["guide"] == {
        "name": "verifier",
        "kind": "verifier",
        "batch_size": config["scoring"]["batch_size"],
    }
    baseline = job_settings.search_baseline(config, "gsm8k")  # no sampler: best-of-N draws from the test samples
    assert baseline == {
        key: value
        for key, value in job_settings.search(config, "gsm8k").items()
        if key in ("search", "step_format", "guide")
    }
    assert baseline["search"]["problems"] == config["search"]["problems"] and baseline["step_format"] == "gsm8k"
    assert job_settings.search_evaluation(config, "math", "demo")["methods"] == ["best_of_n", "beam_search", "dvts"]
    config["search"]["guides"]["math"] = "orm"  # the ORM is a token-level verifier too
    check_config(config)


def test_search_config_checks_name_the_key(config):
    def fails(message, **search):
        bad = copy.deepcopy(config)
        bad["search"].update(search)
        with pytest.raises(ValueError, match=message):
            check_config(bad)

    check_config(config)
    fails(r"search\.guides: no guide for task 'gsm8k'", guides={"math": "prm800k_prm"})
    fails(
        r"search\.guides\.gsm8k: 'prm800k_prm' is not a scorer of the task; choose one of .*\['verifier', "
        r"'shepherd_prm'\]",
        guides={"math": "prm800k_prm", "gsm8k": "prm800k_prm"},
    )
    config["scorers"] = [{"name": "chance", "kind": "random", "tasks": ["math"], "seed": 0}]
    fails(
        r"search\.guides\.math: 'chance' \(kind random\) cannot score a partial solution",
        guides={"math": "chance", "gsm8k": "verifier"},
    )
    fails(r"search\.budgets: \[6\] are not multiples of search\.beam_width \(4\)", budgets=[4, 6])
    fails(r"search\.budgets: best-of-32 draws from math\.test_samples, which has n=16", budgets=[4, 32])
    fails(r"search\.aggregation: 'mean' is not one of math\.evaluation\.aggregations", aggregation="mean")
    fails(r"search\.methods: lookahead needs search\.lookahead >= 1", methods=["lookahead"])
    bad = copy.deepcopy(config)
    bad["gsm8k"]["evaluation"]["score_reduction"] = "mean"
    with pytest.raises(ValueError, match=r"gsm8k\.evaluation\.score_reduction: 'mean'; a verifier guides"):
        check_config(bad)
    check_config({**config, "search": {**config["search"], "tasks": [], "guides": {}}})  # no search: nothing to check
