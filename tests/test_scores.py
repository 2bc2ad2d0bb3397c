"""Score files joined to samples on (problem_id, sample_id), and the scripts that read them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from stepwise.evaluation.score_tables import ScoreTable, join_score_files, score_record
from stepwise.io import DataError, write_jsonl
from stepwise.selection.active_learning import read_scored_samples
from tests.workflow import ROOT


def sample(problem: str, sample_id: int, correct: bool, answer: str = "1") -> dict:
    return {
        "problem_id": problem,
        "sample_id": sample_id,
        "greedy": False,
        "text": f"Step.\n# Answer\n\n{answer}",
        "answer": answer,
        "correct": correct,
        "num_tokens": 5,
        "finish_reason": "stop",
    }


@pytest.fixture
def files(tmp_path):
    samples = [
        sample("p1", 0, True),
        sample("p1", 1, False, "2"),
        sample("p2", 0, False, "3"),
        sample("p2", 1, False, "4"),
    ]
    write_jsonl(tmp_path / "samples.jsonl", samples)
    write_jsonl(tmp_path / "orm.jsonl", [score_record(s, orm=0.1 * i) for i, s in enumerate(reversed(samples))])
    prm = [score_record(s, prm=[0.5], prm_prod=0.5 + 0.1 * i) for i, s in enumerate(samples)]
    write_jsonl(tmp_path / "prm.jsonl", prm)
    return tmp_path


def test_columns_of_every_file_join_on_the_sample_keys(files):
    joined = join_score_files(files / "samples.jsonl", [files / "orm.jsonl", files / "prm.jsonl"])
    assert [(r["problem_id"], r["sample_id"], r["orm"], r["prm_prod"]) for r in joined] == [
        ("p1", 0, pytest.approx(0.3), 0.5),
        ("p1", 1, pytest.approx(0.2), 0.6),
        ("p2", 0, 0.1, 0.7),
        ("p2", 1, 0.0, 0.8),
    ]
    assert joined[0]["text"] == "Step.\n# Answer\n\n1" and joined[0]["prm"] == [0.5]
    assert [r["sample_id"] for r in join_score_files(files / "samples.jsonl", [])] == [0, 1, 0, 1]


def test_a_missing_an_extra_or_a_repeated_score_names_the_file(files):
    write_jsonl(files / "short.jsonl", [{"problem_id": "p1", "sample_id": 0, "x": 1}])
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{files / 'short.jsonl'}: no score for the sample problem_id='p1', "
            f"sample_id=1 ({files / 'samples.jsonl'}:2)"
        ),
    ):
        join_score_files(files / "samples.jsonl", [files / "short.jsonl"])
    extra = [score_record(sample(p, i, True), x=1) for p in ("p1", "p2", "p3") for i in (0, 1)]
    write_jsonl(files / "long.jsonl", extra)
    with pytest.raises(DataError, match=re.escape(f"{files / 'long.jsonl'}: 2 scores for samples that are not among")):
        join_score_files(files / "samples.jsonl", [files / "long.jsonl"])
    write_jsonl(files / "twice.jsonl", [{"problem_id": "p1", "sample_id": 0, "x": 1}] * 2)
    with pytest.raises(DataError, match=re.escape(f"{files / 'twice.jsonl'}:2: a second score for problem_id='p1'")):
        ScoreTable([files / "twice.jsonl"])
    with pytest.raises(DataError, match=re.escape(f"{files / 'orm.jsonl'}:1: column 'orm' is also in")):
        ScoreTable([files / "orm.jsonl", files / "orm.jsonl"])
    write_jsonl(files / "nokey.jsonl", [{"problem_id": "p1", "x": 1}])
    with pytest.raises(DataError, match=re.escape(f"{files / 'nokey.jsonl'}:1: missing field 'sample_id'")):
        ScoreTable([files / "nokey.jsonl"])


def test_active_learning_reads_its_score_from_a_score_file(files):
    samples = read_scored_samples(files / "samples.jsonl", "prm_prod", [files / "prm.jsonl"])
    assert [(s.problem_id, s.sample_id, s.score) for s in samples] == [
        ("p1", 0, 0.5),
        ("p1", 1, 0.6),
        ("p2", 0, 0.7),
        ("p2", 1, 0.8),
    ]


def test_evaluate_joins_the_score_files_and_names_a_missing_column(files):
    methods = [
        {"method": "best_of_n", "score": "orm", "label": "orm"},
        {"method": "best_of_n", "score": "prm_prod", "label": "prm"},
        {"method": "pass_at_n", "label": "pass@n"},
    ]
    command = [
        sys.executable,
        str(ROOT / "scripts" / "evaluate.py"),
        "--task",
        "math",
        "--samples",
        str(files / "samples.jsonl"),
        "--scores",
        str(files / "orm.jsonl"),
        str(files / "prm.jsonl"),
        "--settings",
        json.dumps({"methods": methods, "trials": 10, "seed": 0, "title": "t"}),
        "--csv",
        str(files / "a.csv"),
        "--markdown",
        str(files / "a.md"),
        "--selections",
        str(files / "s.csv"),
        "--plot",
        str(files / "a.png"),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    rows = (files / "a.csv").read_text().splitlines()
    # p1 at N=2: the ORM picks sample 0 (0.3 > 0.2, right), the PRM sample 1 (0.6 > 0.5, wrong); p2 has no right one.
    assert "orm,2,0.5,0.0" in rows and "prm,2,0.0,0.0" in rows and "pass@n,2,0.5,0.0" in rows
    result = subprocess.run(command[:8] + command[9:], capture_output=True, text=True, env=env)  # no prm.jsonl
    assert result.returncode != 0 and "score column(s) ['prm_prod'] of the methods are missing" in result.stderr
