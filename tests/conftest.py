"""Shared fixtures.

Real-data tests (marker ``realdata``) read the local mirror of GSM8K, MATH-500
and PRM800K at ``../shared/data`` (or ``$STEPWISE_SHARED_DATA``). They skip when
it is absent, except when ``STEPWISE_REQUIRE_SHARED_DATA=1`` (set by CI), where a
missing mirror is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STEPWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_configure(config):
    config.addinivalue_line("markers", "realdata: needs the local mirror of the real datasets (../shared/data)")
    config.addinivalue_line("markers", "slow: runs Snakemake or trains a model; still part of the default suite "
                            "(the fast loop: python -m pytest -m 'not slow')")
    config.addinivalue_line("markers", "slurm: starts a one-node Slurm (root, slurm-wlm, munge); required in CI")


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


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread: the toy model's 64-wide matrices gain nothing from a second one, and on a
    busy 2-core machine two threads made the sampling tests several times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def toy_model_dir(tmp_path_factory):
    """The trained toy generator, shared by every sampling test module of the session."""
    from stepwise.sampling.toy_model import ensure_toy_model

    return ensure_toy_model(tmp_path_factory.getbasetemp() / "sampling_toy_model")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The whole default DAG run once on the checked-in tiny config (.test/config.yaml): every
    experiment, shared by the tests that inspect its outputs. Returns (workdir, config).
    Tests that change the run copy the workdir first (shutil.copytree with symlinks=True)."""
    from tests.workflow import TINY_CONFIG, snakemake, write_config

    workdir = tmp_path_factory.mktemp("tiny_run")
    config = write_config(workdir, TINY_CONFIG)
    snakemake(workdir, "--cores", "2", timeout=1200)
    return workdir, config


@pytest.fixture(scope="session")
def real_data_run(tmp_path_factory, shared_data):
    """The GSM8K and PRM800K experiments run once on small subsets of the real data (the local mirror):
    300 GSM8K training and 6 test problems; 60 MATH-500 problems standing in for MATH training, 6 for
    the test set; the PRM800K sample records. Returns (workdir, {dataset: the subset's lines})."""
    from tests.workflow import TINY_WORKFLOW, deep_update, snakemake, write_config

    workdir = tmp_path_factory.mktemp("real_data_run")
    gsm8k = {split: (shared_data / "gsm8k" / f"{split}.jsonl").read_text().splitlines() for split in ("train", "test")}
    math500 = (shared_data / "math500" / "test.jsonl").read_text().splitlines()
    subsets = {"gsm8k_train": gsm8k["train"][:300], "gsm8k_test": gsm8k["test"][:6],
               "math500": math500[:6], "math_train": math500[100:160]}
    data = {}
    for name, lines in subsets.items():
        (workdir / f"real-{name}.jsonl").write_text("\n".join(lines) + "\n")
        data[name] = {"source": "path", "path": str(workdir / f"real-{name}.jsonl")}
    for name in ("phase1-train", "phase1-test", "phase2-test"):
        dataset = "prm800k_" + name.replace("-", "_")
        data[dataset] = {"source": "path", "path": str(shared_data / "prm800k" / f"prm800k-{name}.sample.jsonl")}
    config = deep_update(TINY_WORKFLOW, {"data": data, "sampling": {"shards": 1},
                                         "gsm8k": {"verifier_samples": {"problems": 12}},
                                         "math": {"generator_data": {"problems": None}}})
    write_config(workdir, config)
    snakemake(workdir, "--cores", "2", "gsm8k_verifier", "prm800k", timeout=1200)
    return workdir, subsets