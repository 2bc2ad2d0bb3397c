"""Readers and local copying on the real data mirror (../shared/data).

The PRM800K expectations below were derived by hand from reading the five raw
records (pretty-printed JSON) against the PRM800K README's rule: continue with
completions[chosen_completion], else with human_completion, else labelling stopped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stepwise.data.fetch import ChecksumError, copy_local
from stepwise.data.gsm8k import load_gsm8k
from stepwise.data.math import load_math
from stepwise.data.prm800k import load_prm800k

pytestmark = pytest.mark.realdata

# From ../shared/data/README.md.
README_SHA256 = {
    "gsm8k/train.jsonl": "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465",
    "gsm8k/test.jsonl": "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
    "math500/test.jsonl": "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
    "prm800k/prm800k-phase1-train.sample.jsonl": "b731bff7831d36c73405d605e279ae7c14558d7426db806fc13c9eeffca6f2b7",
    "prm800k/prm800k-phase1-test.sample.jsonl": "4a9e91a186580a0f861bfcd03cebfb07b4227ee1fc4bf98fd7f904c4e5b45110",
    "prm800k/prm800k-phase2-test.sample.jsonl": "f3fa6b3fcc94a3e10e527ac6b3ed06463593a302c7835d062119449694ca06df",
}


@pytest.mark.parametrize(("split", "rows", "first_answer"), [("train", 7473, "72"), ("test", 1319, "18")])
def test_gsm8k_splits_load(shared_data: Path, split, rows, first_answer):
    problems = load_gsm8k(shared_data / "gsm8k" / f"{split}.jsonl")
    assert len(problems) == rows
    assert problems[0].final_answer == first_answer  # the last line of the first answer reads "#### <n>"
    # Every GSM8K final answer is a plain (possibly negative, comma-grouped or decimal) number.
    assert all(re.fullmatch(r"-?[\d,]+(\.\d+)?", p.final_answer) for p in problems)


def test_gsm8k_train_and_test_share_no_problem(shared_data: Path):
    train = {p.problem_id for p in load_gsm8k(shared_data / "gsm8k" / "train.jsonl")}
    test = {p.problem_id for p in load_gsm8k(shared_data / "gsm8k" / "test.jsonl")}
    assert not train & test


def test_math500_loads(shared_data: Path):
    problems = load_math(shared_data / "math500" / "test.jsonl")
    assert len(problems) == 500
    first = problems[0]
    assert first.unique_id == "test/precalculus/807.json" and first.level == 2 and first.subject == "Precalculus"
    assert first.answer == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert {p.level for p in problems} == {1, 2, 3, 4, 5}
    assert len({p.subject for p in problems}) == 7  # the seven MATH subjects


def records(shared_data: Path, name: str):
    return load_prm800k(shared_data / "prm800k" / f"prm800k-{name}.sample.jsonl")


def test_phase1_test_record(shared_data: Path):
    (rec,) = records(shared_data, "phase1-test")
    # Pencils problem, finish_reason "solution", 6 labelled steps. Step 1: five completions all rated -1,
    # chosen null, human step "We have $3p+e=1.24$ and $5p+e=1.82$." (unrated, so +1). Steps 0, 2, 3, 4:
    # a single +1 completion, chosen 0. Step 5: ratings [0, 1, 1, 1, 1], chosen 4, which ends in "# Answer\n\n29".
    assert rec.finish_reason == "solution" and rec.generation is None and not rec.is_phase2
    path = rec.trajectory()
    assert len(path) == 6
    assert [s.source for s in path] == ["model", "human", "model", "model", "model", "model"]
    assert [s.rating for s in path] == [1] * 6
    assert path[1].text == "We have $3p+e=1.24$ and $5p+e=1.82$."
    assert path[5].text == "That means a pencil costs 29 cents.\n\n# Answer\n\n29"
    assert [len(alts) for alts in rec.alternatives()] == [0, 5, 0, 0, 0, 4]
    assert [c.rating for c in rec.alternatives()[1]] == [-1] * 5
    assert rec.question.ground_truth_answer == "29" and rec.total_time == 293250


def test_phase1_train_records(shared_data: Path):
    pencils, polynomial, base9 = records(shared_data, "phase1-train")
    # The first training record is the very same labelled solution as the phase-1 test record.
    assert pencils == records(shared_data, "phase1-test")[0]

    # Polynomial problem, finish_reason "give_up", 30 labelled steps. Human steps (chosen null, human set)
    # at steps 1, 5, 6, 14, 18, 19, 21, 22, 26, 27; every chosen completion is rated +1 (chosen indices
    # 1, 5, 2, 2 at steps 7, 10, 24, 25, 0 elsewhere). Step 29 holds seven unrated completions and neither
    # chosen nor human: labelling stopped there, so the trajectory is steps 0-28.
    assert polynomial.finish_reason == "give_up" and len(polynomial.steps) == 30
    path = polynomial.trajectory()
    assert len(path) == 29
    assert [i for i, s in enumerate(path) if s.source == "human"] == [1, 5, 6, 14, 18, 19, 21, 22, 26, 27]
    assert all(s.rating == 1 for s in path)
    assert path[1].text == "Yes, let's apply them to the problem."
    assert path[7].text == "So we have $r_1+r_2+r_3=a$ and $r_1r_2+r_1r_3+r_2r_3=\\frac{a^2-81}{2}$."
    assert path[28].text == "There are $8$ of them. So we need to look at all the ways to choose $3$ of them."
    assert [c.rating for c in polynomial.steps[29].alternatives()] == [None] * 7

    # Base-9 problem, finish_reason "solution", 6 steps. Step 0: seven completions rated 0, human step.
    # Step 1: chosen 2 (+1). Steps 2, 3: single +1. Step 4: four -1 completions, human "The answer is $40_9$.".
    # Step 5: chosen 6 (+1), the "# Answer\n\n40_9" step.
    path = base9.trajectory()
    assert [s.source for s in path] == ["human", "model", "model", "model", "human", "model"]
    assert [s.rating for s in path] == [1] * 6
    assert path[1].text == "So we just find the difference of the numbers in the right column, which is $8-8=0$."
    assert path[4].text == "The answer is $40_9$."
    assert path[5].text.endswith("# Answer\n\n40_9")
    assert [len(alts) for alts in base9.alternatives()] == [7, 6, 0, 0, 4, 6]


def test_phase2_test_record(shared_data: Path):
    (rec,) = records(shared_data, "phase2-test")
    # Senate seating problem, generation 6, finish_reason "found_error". 13 pre-generated steps, 7 labelled:
    # steps 0-5 a single completion (the pre-generated step) rated 1, 0, 1, 1, 1, 1 and chosen 0; step 6
    # has the pre-generated step rated -1 first, then three labeller alternatives rated +1, and neither
    # chosen nor human: the trajectory ends with the -1 pre-generated step, the first error.
    assert rec.is_phase2 and rec.generation == 6 and rec.finish_reason == "found_error"
    assert rec.question.pre_generated_answer == "7200" and rec.question.ground_truth_answer == "28800"
    path = rec.trajectory()
    assert [s.rating for s in path] == [1, 0, 1, 1, 1, 1, -1]
    assert [s.text for s in path] == list(rec.question.pre_generated_steps[:7])
    assert path[6].text.startswith("For the Democrats, there are 5! ways to order them in a line, but only half")
    assert [c.rating for c in rec.alternatives()[6]] == [1, 1, 1]
    aligned = rec.pre_generated_alignment()
    assert len(aligned) == 13
    assert [a.completion_index for a in aligned] == [0] * 7 + [None] * 6
    assert [a.rating for a in aligned] == [1, 0, 1, 1, 1, 1, -1] + [None] * 6
    assert rec.steps[0].completions[0].flagged is None  # phase 2 leaves "flagged" null


def test_copy_local_with_readme_checksums(shared_data: Path, tmp_path: Path):
    for name, digest in README_SHA256.items():
        dest = copy_local(shared_data / name, tmp_path / name, sha256=digest)
        assert dest.read_bytes() == (shared_data / name).read_bytes()


def test_copy_local_with_a_wrong_checksum_touches_nothing(shared_data: Path, tmp_path: Path):
    name = "prm800k/prm800k-phase2-test.sample.jsonl"
    dest = tmp_path / "raw.jsonl"
    dest.write_text("previous")
    (tmp_path / "other.jsonl").write_text("other")
    wrong = README_SHA256["prm800k/prm800k-phase1-test.sample.jsonl"]
    with pytest.raises(ChecksumError) as caught:
        copy_local(shared_data / name, dest, sha256=wrong)
    assert wrong in str(caught.value) and README_SHA256[name] in str(caught.value)
    assert dest.read_text() == "previous" and (tmp_path / "other.jsonl").read_text() == "other"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.jsonl", "raw.jsonl"]
