"""PRM800K preprocessing: settings, drop reasons, labels, statistics, the MATH-500 filter and the rule."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from stepwise.data.contamination import HeldOutProblems, problem_key
from stepwise.data.prm800k_preprocess import PreprocessSettings, SplitStats, preprocess_files, rating_label
from stepwise.data.stepwise_formats import read_trl
from stepwise.formats.prompts import math_prompt
from stepwise.io import DataError
from tests.test_prm800k import PHASE1, PHASE2, completion, record, step
from tests.workflow import TINY_WORKFLOW, snakemake, write_config

KEEP_ALL = PreprocessSettings(drop=(), exclude_math500=False)


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(paths, settings: PreprocessSettings, held_out=None):
    stats = SplitStats(settings)
    examples = list(preprocess_files(paths, settings, stats, held_out))
    return examples, stats.to_json()


# ---------------------------------------------------------------- settings and labels


def test_settings_errors_name_the_key():
    with pytest.raises(ValueError, match=r"prm800k\.preprocess: unknown key\(s\) \['prods'\]"):
        PreprocessSettings.from_config({"prods": True})
    with pytest.raises(ValueError, match="neutral should be one of"):
        PreprocessSettings(neutral="maybe")
    with pytest.raises(ValueError, match=r"drop: unknown reason\(s\) \['flagged'\]"):
        PreprocessSettings(drop=("flagged",))
    with pytest.raises(ValueError, match="phases"):
        PreprocessSettings(phases=(3,))
    with pytest.raises(ValueError, match="max_trajectories_per_record"):
        PreprocessSettings(max_trajectories_per_record=0)
    settings = PreprocessSettings.from_config({"phases": [2], "drop": ["give_up"], "prod": True})
    assert settings.to_config()["phases"] == [2] and PreprocessSettings.from_config(settings.to_config()) == settings


@pytest.mark.parametrize(("neutral", "expected"), [("positive", True), ("negative", False), ("neutral", True)])
def test_rating_labels(neutral, expected):
    assert rating_label(1, neutral) is True and rating_label(-1, neutral) is False
    assert rating_label(0, neutral) is expected


def test_examples_carry_prompt_steps_labels_ratings_and_origin(tmp_path):
    path = write_records(tmp_path / "p.jsonl", [PHASE2])
    examples, stats = run([path], PreprocessSettings(neutral="negative", exclude_math500=False))
    # PHASE2 by hand: "Two plus two." rated 0, then "That is 5." rated -1 where labelling stopped.
    (example,) = examples
    assert example.prompt == math_prompt("What is 2+2?")
    assert example.steps == ("Two plus two.", "That is 5.")
    assert example.labels == (False, False)  # neutral counts negative here
    assert example.extra == {"ratings": [0, -1], "record": "p:1", "phase": 2, "trajectory": 0}
    assert stats["examples"]["steps_by_rating"] == {"1": 0, "0": 1, "-1": 1}
    assert stats["examples"]["labels"] == {"true": 0, "false": 2}
    # Its labelled completions: step 0 one rated 0; step 1 one -1, one +1, one -1.
    assert stats["completions"] == {"1": 1, "0": 1, "-1": 2, "unrated": 0, "human": 0}


def test_written_examples_read_back_in_the_trl_format(tmp_path):
    from stepwise.data.stepwise_formats import write_trl

    path = write_records(tmp_path / "p.jsonl", [PHASE1, PHASE2])
    settings = PreprocessSettings(prod=True, exclude_math500=False)
    out = tmp_path / "train.jsonl"
    # PHASE1: 5 (tests/test_prm800k_trajectories.py); PHASE2: its -1 step with one +1 and one -1 alternative: 3.
    assert write_trl(out, preprocess_files([path], settings, SplitStats(settings))) == 8
    back = read_trl(out)
    assert [e.extra["trajectory"] for e in back] == [0, 1, 2, 3, 4, 0, 1, 2]
    assert set(json.loads(out.read_text().splitlines()[0])) == {
        "prompt",
        "completions",
        "labels",
        "ratings",
        "record",
        "phase",
        "trajectory",
    }


# ---------------------------------------------------------------- dropping


def flagged(reason: str) -> dict:
    raw = copy.deepcopy(PHASE1)
    if reason == "quality_control":
        raw["is_quality_control_question"] = True
    elif reason == "screening":
        raw["is_initial_screening_question"] = True
    else:
        raw["label"]["finish_reason"] = reason
    return raw


def test_each_drop_reason_is_counted_once_in_order(tmp_path):
    both = flagged("screening")
    both["is_quality_control_question"] = True  # two reasons: counted under the first, quality_control
    unlabelled = record([step([completion("Hmm.", None)], 0)], "solution")  # its first step is unrated
    blank = record([step([completion("Go.", 1), completion("  ", -1)], 0)], "solution")
    records = [
        flagged("quality_control"),
        flagged("screening"),
        flagged("bad_problem"),
        flagged("give_up"),
        both,
        PHASE2,
        unlabelled,
        blank,
        PHASE1,
    ]
    path = write_records(tmp_path / "p.jsonl", records)
    settings = PreprocessSettings(
        phases=(1,), drop=("quality_control", "screening", "bad_problem", "give_up"), exclude_math500=False
    )
    examples, stats = run([path], settings)
    assert stats["records"] == {
        "read": 9,
        "kept": 1,
        "dropped": {
            "phase": 1,
            "quality_control": 2,
            "screening": 1,
            "bad_problem": 1,
            "give_up": 1,
            "math500": 0,
            "blank_step": 1,
            "no_labelled_steps": 1,
        },
    }
    assert [e.extra["record"] for e in examples] == ["p:9"]
    # Without the drop list, the flagged records are kept; the unlabelled one has nothing to learn from.
    examples, stats = run([path], KEEP_ALL)
    assert stats["records"]["kept"] == 7
    assert stats["records"]["dropped"]["no_labelled_steps"] == 1 and stats["records"]["dropped"]["blank_step"] == 1


def test_bad_record_error_names_file_and_line(tmp_path):
    broken = copy.deepcopy(PHASE1)
    broken["label"]["steps"][0]["completions"][0]["rating"] = 5
    path = write_records(tmp_path / "p.jsonl", [PHASE1, broken])
    with pytest.raises(DataError, match=re.escape(f"{path}:2: ") + r".*label.steps\[0\].completions\[0\].rating"):
        run([path], KEEP_ALL)
    path.write_text(json.dumps(PHASE1) + "\n{not json\n")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: malformed JSON")):
        run([path], KEEP_ALL)


def test_exclude_math500_needs_the_problems(tmp_path):
    path = write_records(tmp_path / "p.jsonl", [PHASE1])
    with pytest.raises(ValueError, match="no MATH-500 problems"):
        run([path], PreprocessSettings())


# ---------------------------------------------------------------- the MATH-500 filter


def test_problem_key_ignores_whitespace_and_case():
    assert problem_key("What is  $2+2$?\n") == problem_key("what is $2 + 2$ ?") == "whatis$2+2$?"
    assert problem_key("What is $2+3$?") != problem_key("What is $2+2$?")


def test_held_out_problems_are_dropped_whatever_their_spacing(tmp_path):
    held_out = HeldOutProblems(["What is 2+2?", "Compute $1+1$."])
    respaced = copy.deepcopy(PHASE1)
    respaced["question"]["problem"] = "  What is\n2 + 2 ?"
    other = copy.deepcopy(PHASE1)
    other["question"]["problem"] = "What is 2+3?"
    path = write_records(tmp_path / "p.jsonl", [respaced, other])
    examples, stats = run([path], PreprocessSettings(), held_out)
    assert stats["records"]["dropped"]["math500"] == 1
    assert [e.prompt for e in examples] == [math_prompt("What is 2+3?")]


# ---------------------------------------------------------------- the five real records


def raw_records(shared_data: Path, name: str) -> list[dict]:
    path = shared_data / "prm800k" / f"prm800k-{name}.sample.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def sample_paths(shared_data: Path) -> list[Path]:
    return [
        shared_data / "prm800k" / f"prm800k-{name}.sample.jsonl"
        for name in ("phase1-train", "phase1-test", "phase2-test")
    ]


def texts(raw: dict, picks: list[int | str]) -> tuple[str, ...]:
    """Step texts picked from the raw JSON: a completion index, or "h" for the human completion."""
    steps = raw["label"]["steps"]
    return tuple(
        steps[i]["human_completion"]["text"] if pick == "h" else steps[i]["completions"][pick]["text"]
        for i, pick in enumerate(picks)
    )


# Read off the raw records (pretty-printed): at each step, chosen_completion, else "h" (human_completion).
PENCILS_CHOSEN = [0, "h", 0, 0, 0, 4]  # phase1-train line 1; phase1-test line 1 is the same record
VIETA_CHOSEN = [
    0,
    "h",
    0,
    0,
    0,
    "h",
    "h",
    1,
    0,
    0,
    5,
    0,
    0,
    0,
    "h",
    0,
    0,
    0,
    "h",
    "h",
    0,
    "h",
    "h",
    0,
    2,
    2,
    "h",
    "h",
    0,
]  # phase1-train line 2 (give_up): step 29 has only unrated completions, the path ends
BASE9_CHOSEN = ["h", 2, 0, 0, "h", 6]  # phase1-train line 3
SENATE_CHOSEN = [0, 0, 0, 0, 0, 0, 0]  # phase2-test: step 6 has no chosen one; its first -1 is completions[0]


@pytest.mark.realdata
def test_real_records_chosen_trajectories(shared_data):
    train, test1, test2 = (raw_records(shared_data, n) for n in ("phase1-train", "phase1-test", "phase2-test"))
    examples, stats = run(sample_paths(shared_data), KEEP_ALL)
    assert [e.extra["record"] for e in examples] == [
        "prm800k-phase1-train.sample:1",
        "prm800k-phase1-train.sample:2",
        "prm800k-phase1-train.sample:3",
        "prm800k-phase1-test.sample:1",
        "prm800k-phase2-test.sample:1",
    ]
    pencils, vieta, base9, pencils_test, senate = examples
    assert pencils.steps == texts(train[0], PENCILS_CHOSEN) == pencils_test.steps
    assert pencils.extra["ratings"] == [1] * 6  # the human step (unrated) counts +1; chosen ones are +1
    assert vieta.steps == texts(train[1], VIETA_CHOSEN) and vieta.extra["ratings"] == [1] * 29
    assert base9.steps == texts(train[2], BASE9_CHOSEN) and base9.extra["ratings"] == [1] * 6
    assert senate.steps == texts(test2[0], SENATE_CHOSEN)
    assert senate.extra["ratings"] == [1, 0, 1, 1, 1, 1, -1] and senate.labels == (True,) * 6 + (False,)
    assert pencils.prompt == math_prompt(train[0]["question"]["problem"])
    assert stats["examples"]["written"] == stats["examples"]["trajectories_available"] == 5
    # Completions counted off the listing, per record (+1, 0, -1, human): pencils (8, 1, 5, 1), twice;
    # Vieta (21, 35, 51, 10) and 7 unrated at its last step; base 9 (8, 8, 11, 2); Senate (8, 1, 1, 0).
    assert stats["completions"] == {"1": 53, "0": 46, "-1": 73, "unrated": 7, "human": 14}


# (non-negative, -1) options per path step of the Vieta record (phase1-train line 2), counted by hand from
# its ratings: the taken completion (or human step, +1) plus the other rated completions.
VIETA_OPTIONS = [
    (1, 0),
    (6, 0),
    (1, 0),
    (1, 0),
    (1, 0),
    (6, 1),
    (1, 7),
    (7, 0),
    (1, 0),
    (1, 0),
    (1, 6),
    (1, 0),
    (1, 0),
    (1, 0),
    (5, 3),
    (1, 0),
    (1, 0),
    (1, 0),
    (1, 7),
    (2, 6),
    (1, 0),
    (7, 1),
    (6, 2),
    (1, 0),
    (2, 5),
    (2, 5),
    (4, 4),
    (1, 4),
    (1, 0),
]
# count = nonneg * count(rest) + wrong, from the end: 11,804,946 (worked out from the table above).
VIETA_TRAJECTORIES = 11_804_946
# Pencils: step 1 human + 5 x -1, step 5: 5 options >= 0 -> 1 * 5 + 5 = 10.
# Base 9: steps (8,0) (5,2) (1,0) (1,0) (1,4) (2,5): 7, 11, 11, 11, 5*11+2 = 57, 8*57 = 456.
# Senate: step 6 has the -1 pre-generated step and three +1 alternatives: 3 + 1 = 4.


@pytest.mark.realdata
def test_real_records_expanded(shared_data):
    train, _, test2 = (raw_records(shared_data, n) for n in ("phase1-train", "phase1-test", "phase2-test"))
    settings = PreprocessSettings(drop=(), exclude_math500=False, prod=True, max_trajectories_per_record=500)
    examples, stats = run(sample_paths(shared_data), settings)
    by_record: dict[str, list] = {}
    for example in examples:
        by_record.setdefault(example.extra["record"], []).append(example)
    sizes = {record: len(found) for record, found in by_record.items()}
    assert sizes == {
        "prm800k-phase1-train.sample:1": 10,
        "prm800k-phase1-train.sample:2": 500,
        "prm800k-phase1-train.sample:3": 456,
        "prm800k-phase1-test.sample:1": 10,
        "prm800k-phase2-test.sample:1": 4,
    }
    assert stats["examples"]["trajectories_available"] == 10 + VIETA_TRAJECTORIES + 456 + 10 + 4
    assert stats["examples"]["records_capped"] == 1

    # Pencils, all ten: the chosen one; each of the five -1 completions at step 1 (ending there);
    # the four other completions at step 5 (ratings 0, 1, 1, 1).
    pencils = by_record["prm800k-phase1-train.sample:1"]
    chosen = texts(train[0], PENCILS_CHOSEN)
    assert [e.steps for e in pencils] == (
        [chosen]
        + [chosen[:1] + texts(train[0], [0, k])[1:] for k in range(5)]
        + [chosen[:5] + (train[0]["label"]["steps"][5]["completions"][k]["text"],) for k in range(4)]
    )
    assert [e.extra["ratings"] for e in pencils] == ([[1] * 6] + [[1, -1]] * 5 + [[1] * 5 + [r] for r in (0, 1, 1, 1)])
    assert [e.labels for e in pencils[1:6]] == [(True, False)] * 5

    # Senate: the chosen one ends at the -1 step; then each +1 alternative at that step.
    senate = by_record["prm800k-phase2-test.sample:1"]
    assert [e.extra["ratings"] for e in senate] == [[1, 0, 1, 1, 1, 1, -1]] + [[1, 0, 1, 1, 1, 1, 1]] * 3
    assert [e.steps[-1] for e in senate] == [c["text"] for c in test2[0]["label"]["steps"][6]["completions"]]


@pytest.mark.realdata
def test_real_records_capped_keep_the_fewest_deviations(shared_data):
    train = raw_records(shared_data, "phase1-train")
    settings = PreprocessSettings(drop=(), exclude_math500=False, prod=True, max_trajectories_per_record=8)
    examples, _ = run([shared_data / "prm800k" / "prm800k-phase1-train.sample.jsonl"], settings)
    vieta = [e for e in examples if e.extra["record"].endswith(":2")]
    # The chosen path, then the five 0-rated completions at step 1, then step 5's first two completions:
    # completions[0] (0) goes on to the end, completions[1] (-1) ends the trajectory at step 5.
    chosen = texts(train[1], VIETA_CHOSEN)
    step5 = train[1]["label"]["steps"][5]["completions"]
    assert [e.steps for e in vieta] == (
        [chosen]
        + [chosen[:1] + (train[1]["label"]["steps"][1]["completions"][k]["text"],) + chosen[2:] for k in range(5)]
        + [chosen[:5] + (step5[0]["text"],) + chosen[6:], chosen[:5] + (step5[1]["text"],)]
    )
    assert [e.extra["ratings"][5] if len(e.steps) > 5 else None for e in vieta][-2:] == [0, -1]
    assert [e.extra["ratings"][1] for e in vieta[1:6]] == [0] * 5


@pytest.mark.realdata
def test_real_phase1_sample_problems_are_math500_problems(shared_data):
    # Looked up by hand: the three phase-1 training problems are MATH-500's test/algebra/2743.json,
    # test/intermediate_algebra/1411.json and test/number_theory/46.json.
    held_out = HeldOutProblems.from_math(shared_data / "math500" / "test.jsonl")
    assert len(held_out) == 500
    path = shared_data / "prm800k" / "prm800k-phase1-train.sample.jsonl"
    examples, stats = run([path], PreprocessSettings(), held_out)
    assert examples == [] and stats["records"]["dropped"]["math500"] == 3


# ---------------------------------------------------------------- the rule


@pytest.mark.slow
def test_rule_on_demo_records(tmp_path):
    config = write_config(tmp_path, TINY_WORKFLOW)
    snakemake(tmp_path, "--cores", "2", "results/t/prm800k/train.jsonl")
    out = tmp_path / "results" / "t" / "prm800k"
    stats = json.loads((out / "stats.json").read_text())
    train, test = read_trl(out / "train.jsonl"), read_trl(out / "test.jsonl")
    assert stats["train"]["files"] == {"prm800k_phase1_train": 4, "prm800k_phase2_train": 4}
    for split, examples in (("train", train), ("test", test)):
        records = stats[split]["records"]
        assert records["kept"] + sum(records["dropped"].values()) == records["read"] == 8
        assert stats[split]["examples"]["written"] == len(examples) > 0
        assert stats[split]["examples"]["steps"] == sum(len(e.steps) for e in examples)
    assert stats["train"]["settings"] == config["prm800k"]["preprocess"]
    assert stats["test"]["settings"]["prod"] is False and stats["test"]["settings"]["exclude_math500"] is False
    assert {e.extra["trajectory"] for e in test} == {0}
    assert stats["math500_problems"] == TINY_WORKFLOW["demo"]["math"]["test"]
    assert (tmp_path / "results/t/logs/prm800k/preprocess.log").exists()
    assert (tmp_path / "results/t/benchmarks/prm800k/preprocess.tsv").exists()
    # A preprocessing setting reruns preprocessing only, not the raw data.
    write_config(tmp_path, {**TINY_WORKFLOW, "prm800k": {"preprocess": {"neutral": "negative"}}})
    dry = snakemake(tmp_path, "results/t/prm800k/train.jsonl", "-n", "--quiet", "rules").stdout
    assert re.search(r"prm800k_preprocess\s+1", dry) and "raw_dataset" not in dry, dry


def test_bad_preprocess_config_names_the_key(tmp_path):
    write_config(tmp_path, {**TINY_WORKFLOW, "prm800k": {"preprocess": {"neutral": "maybe"}}})
    result = snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0 and "['prm800k']['preprocess']['neutral']" in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.realdata
def test_rule_removes_a_math500_problem_with_changed_whitespace(tmp_path, shared_data):
    pencils = raw_records(shared_data, "phase1-train")[0]
    problem = pencils["question"]["problem"]
    respaced = copy.deepcopy(pencils)
    respaced["question"]["problem"] = "  " + problem.replace(" ", "  ").replace(". ", ".\n") + "\n"
    assert respaced["question"]["problem"] != problem
    phase1 = write_records(tmp_path / "phase1_train.jsonl", [respaced])
    data = {
        "math500": {"source": "path", "path": str(shared_data / "math500" / "test.jsonl")},
        "prm800k_phase1_train": {"source": "path", "path": str(phase1)},
    }
    write_config(tmp_path, {**TINY_WORKFLOW, "data": data})
    snakemake(tmp_path, "--cores", "2", "results/t/prm800k/train.jsonl")
    out = tmp_path / "results" / "t" / "prm800k"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["math500_problems"] == 500
    assert stats["train"]["records"]["dropped"]["math500"] == 1  # the demo's phase-2 records are not MATH-500's
    assert stats["train"]["files"] == {"prm800k_phase1_train": 1, "prm800k_phase2_train": 4}
    assert all("pencil" not in e.prompt for e in read_trl(out / "train.jsonl"))
    log = (tmp_path / "results/t/logs/prm800k/preprocess.log").read_text()
    assert "removed 1 records whose problem is a MATH-500 problem" in log
