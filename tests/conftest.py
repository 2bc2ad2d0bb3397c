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
    config.addinivalue_line("markers", "slow: runs Snakemake or trains a model; still part of the default suite")
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
