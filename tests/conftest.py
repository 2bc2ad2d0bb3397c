"""Shared fixtures.

Real-data tests (marker ``realdata``) read the local mirror of GSM8K, MATH-500
and PRM800K at ``../shared/data`` (or ``$STEPWISE_SHARED_DATA``). They skip when
it is absent, except when ``STEPWISE_REQUIRE_SHARED_DATA=1`` (set by CI), where a
missing mirror is a failure rather than a silent skip.

The workflow tests (marker ``slow``) share one run of the whole DAG on the tiny
test config .test/config.yaml (``tiny_run``, once per session). A test that
changes a config or reruns jobs works on a copy of it (``tiny_run_copy``); the
real-data run is such a copy with the mirror's data sources, which reruns only
what they change (``real_data_run``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.workflow import TINY_CONFIG, Run, copy_run, deep_update, mirror_data, planned_jobs, snakemake, write_config

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STEPWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))

# The whole tiny DAG took 59 s on 2 idle cores, 150-220 s while other jobs ran; room for a slower machine.
WHOLE_RUN_TIMEOUT = 1800


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        if os.environ.get("STEPWISE_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"STEPWISE_REQUIRE_SHARED_DATA=1 but {SHARED_DATA} does not exist")
        pytest.skip(f"real-data mirror not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# ---------------------------------------------------------------- sampling


@pytest.fixture(scope="module")
def one_torch_thread():
    """The toy model's 64-wide matrices gain nothing from a second thread, and on a
    busy 2-core machine two threads made the sampling tests several times slower
    (tests/test_sampling.py and tests/test_sampling_vllm.py ask for it)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def toy_model_dir(tmp_path_factory):
    """The trained toy generator, shared by every sampling test module of the session."""
    from tests.toy_model import ensure_toy_model

    return ensure_toy_model(tmp_path_factory.getbasetemp() / "sampling_toy_model")


# ---------------------------------------------------------------- the workflow


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Run:
    """The whole DAG (target `all`) on .test/config.yaml, run once. Tests read it; none may change it."""
    workdir = tmp_path_factory.mktemp("tiny_run")
    config = write_config(workdir, TINY_CONFIG)
    snakemake(workdir, "--cores", "2", timeout=WHOLE_RUN_TIMEOUT)
    return Run(workdir, config)


@pytest.fixture
def tiny_run_copy(tiny_run, tmp_path) -> Run:
    """A copy of the finished tiny run, for a test that changes its config or reruns jobs."""
    return copy_run(tiny_run, tmp_path / "run")


@pytest.fixture(scope="session")
def tiny_report(tiny_run, tmp_path_factory) -> Path:
    """Snakemake's report of the whole tiny run (a zip archive, written outside the run's folder)."""
    archive = tmp_path_factory.mktemp("report") / "report.zip"
    snakemake(tiny_run.workdir, "--report", str(archive))
    return archive


# Real test problems: a few, so that sampling them stays short.
REAL_TEST_PROBLEMS = 6

# Rules that train a model, and what builds the tiny base model: the real-data run must reuse theirs
# except the PRM800K PRM's (its training records come from the mirror).
REUSED_RULES = {
    "tiny_model",
    "pretrain_tiny_model",
    "base_model",
    "sft_data",
    "sft_generator",
    "gsm8k_train_verifier",
    "math_train_orm",
}
REAL_DATA_TARGETS = ("gsm8k_verifier", "prm800k")


@pytest.fixture(scope="session")
def real_data_run(tiny_run, shared_data, tmp_path_factory) -> Run:
    """The tiny run, continued on the real data of the mirror (configs/data-shared-mirror.yaml).

    A copy of the finished run with the mirror's data sources overlaid, of which
    only what the new data changes reruns, for the GSM8K and PRM800K experiments
    (Math-Shepherd and the configured scorers off: the tables hold the tasks' own
    methods): the first real test problems of both tasks are sampled and scored
    by the models the tiny run trained, and the PRM800K PRM is retrained on the
    mirror's PRM800K records. The mirror's GSM8K train split (7,473 problems)
    stays out: the tiny model's tokenizer is built from the training sets, so it
    would retrain every model from scratch (the real training files are read in
    tests/test_workflow_prm800k.py::test_sft_data_from_the_real_training_files).
    """
    run = copy_run(tiny_run, tmp_path_factory.mktemp("real_data") / "run")
    data = {name: entry for name, entry in mirror_data(shared_data).items() if name != "gsm8k_train"}
    overrides = {
        "data": data,
        "shepherd": {"tasks": []},
        "scorers": [],
        **{task: {"test_samples": {"problems": REAL_TEST_PROBLEMS}} for task in ("gsm8k", "math")},
    }
    config = write_config(run.workdir, deep_update(run.config, overrides))
    planned = planned_jobs(run.workdir, *REAL_DATA_TARGETS)
    assert planned["raw_dataset"] == len(data) and planned["prm800k_train_prm"] == 1, planned
    assert planned["sample_shard"] == 2 * config["sampling"]["shards"], planned  # the test problems of both tasks
    assert not REUSED_RULES & set(planned), f"the real-data run would retrain what it should reuse: {planned}"
    snakemake(run.workdir, "--cores", "2", *REAL_DATA_TARGETS, timeout=WHOLE_RUN_TIMEOUT)
    return Run(run.workdir, config)
