"""Same inputs, same outputs: every trainer gives byte-identical weights when run twice in
separate processes, and a rerun of the tiny DAG gives identical models, scores and tables."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflow import ROOT, copy_run, snakemake

pytestmark = pytest.mark.slow

# Each snippet trains on the toy data of the trainer's own test module, into sys.argv[2],
# from the toy model in sys.argv[1], with settings that exercise its random draws.
TRAINERS = {
    "verifier (bce, GSM8K's)": """
from stepwise.training.verifier_config import VerifierSettings
from stepwise.training.verifier import train_verifier
from tests.test_verifier import toy_examples
train_verifier(model, toy_examples(range(8), seed=1), out, VerifierSettings(
    epochs=1, learning_rate=3e-3, batch_size=8, max_length=128, loss="bce", lm_weight=0.1, dropout=0.1,
    balance="subsample", seed=3))
""",
    "ORM (mse, MATH's)": """
from stepwise.training.verifier_config import VerifierSettings
from stepwise.training.verifier import train_verifier
from tests.test_verifier import toy_examples
train_verifier(model, toy_examples(range(8), seed=1), out, VerifierSettings(
    epochs=1, learning_rate=3e-3, batch_size=8, max_length=128, loss="mse", lm_weight=0.1, dropout=0.1,
    balance="weight", seed=3))
""",
    "PRM": """
from dataclasses import replace
from tests.test_prm import FAST, toy_examples
from stepwise.training.prm_trainer import train_prm
train_prm(model, toy_examples(16, seed=2), out, replace(FAST, epochs=1, dropout=0.1, seed=3))
""",
    "generator SFT": """
from stepwise.training.sft import SFTSettings, train_sft
from tests.test_sft import toy_examples
train_sft(model, toy_examples(), out, SFTSettings(epochs=1, learning_rate=3e-3, batch_size=2, max_length=128,
                                                  dropout=0.1, seed=3))
""",
}


def weight_digests(folder: Path) -> dict[str, str]:
    """sha256 of every weight file in a model folder."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.safetensors"))}


def _train_in_new_process(snippet: str, model: Path, out: Path) -> None:
    code = "import sys\nmodel, out = sys.argv[1], sys.argv[2]\n" + snippet
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-c", code, str(model), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory) -> Path:
    from tests.test_sft import make_tiny_model
    from tests.test_verifier import toy_examples

    texts = [e["prompt"] + e["completion"] for e in toy_examples(range(40), seed=0)]
    return make_tiny_model(tmp_path_factory.mktemp("determinism") / "model", texts)


@pytest.mark.parametrize("trainer", TRAINERS)
def test_training_twice_in_separate_processes_gives_identical_weights(trainer, toy_model, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _train_in_new_process(TRAINERS[trainer], toy_model, first)
    _train_in_new_process(TRAINERS[trainer], toy_model, second)
    digests = weight_digests(first)
    assert digests, f"{trainer} wrote no weights"
    assert weight_digests(second) == digests


def _outputs(results: Path) -> dict[str, str]:
    """sha256 of the run's weights, samples, score files and tables (not logs, benchmarks or checkpoints)."""
    wanted = [
        p
        for p in results.rglob("*")
        if p.is_file()
        and p.suffix in (".safetensors", ".jsonl", ".csv", ".md")
        and not {"logs", "benchmarks", "checkpoints"} & set(p.relative_to(results).parts)
    ]
    return {str(p.relative_to(results)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(wanted)}


def test_a_rerun_of_the_dag_gives_identical_models_scores_and_tables(tiny_run, tmp_path):
    rerun = copy_run(tiny_run, tmp_path / "rerun")
    before = _outputs(rerun.results)
    # Every job from generator SFT on runs again (data and base model are kept), two at a time as before.
    snakemake(rerun.workdir, "--cores", "2", "--forcerun", "sft_generator", timeout=1800)
    after = _outputs(rerun.results)
    assert any(name.startswith("models/") for name in before) and "combined_accuracy.csv" in before
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert not changed, f"a rerun changed {changed}"
