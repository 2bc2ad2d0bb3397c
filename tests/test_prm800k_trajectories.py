"""Trajectories of a PRM800K record: options, truncation at the first -1 step, expansion order and count."""

from __future__ import annotations

import copy
import itertools
import random

import pytest

from stepwise.data.prm800k import TrajectoryStep, parse_prm800k_record
from stepwise.data.prm800k_trajectories import (
    chosen_trajectory,
    count_trajectories,
    expand_trajectories,
    path_options,
)
from tests.test_prm800k import PHASE1, completion, human, record, step


def option(text: str, rating: int, source: str = "model") -> TrajectoryStep:
    return TrajectoryStep(text, rating, source)


def test_options_put_the_taken_completion_first_and_skip_unrated_and_repeated_ones():
    raw = record(
        [
            step([completion("A.", 0), completion("B.", 1), completion("C.", None), completion("A.", 0)], 1),
            step([completion("D.", -1), completion("D.", 1)], None, human("E.")),
            step([completion("F.", None)], 0),  # the taken completion is unrated: the path ends before it
            step([completion("G.", 1)], 0),
        ],
        "solution",
    )
    assert path_options(parse_prm800k_record(raw)) == [
        (option("B.", 1), option("A.", 0)),  # "C." is unrated, the second "A." (0) repeats the first
        (option("E.", 1, "human"), option("D.", -1), option("D.", 1)),  # same text, other rating: kept
    ]


def test_phase1_record_by_hand():
    # PHASE1 (tests/test_prm800k.py): step 0 one +1 completion; step 1 two -1 completions and a human
    # step (+1); step 2 chosen "# Answer 4" (+1) with alternatives "So 4." (0) and "# Answer 5" (-1).
    options = path_options(parse_prm800k_record(copy.deepcopy(PHASE1)))
    start, human_step, answer = option("Add the numbers.", 1), option("2+2=4.", 1, "human"), option("# Answer\n\n4", 1)
    # From the end: step 2 has 2 non-negative options and one -1 -> 3; step 1: 1 * 3 + 2 = 5; step 0: 5.
    assert count_trajectories(options) == 5
    assert chosen_trajectory(options) == (start, human_step, answer)
    assert expand_trajectories(options) == [
        (start, human_step, answer),  # no deviation
        (start, option("2+2=5.", -1)),  # one deviation, at step 1 first: a -1 step ends the trajectory
        (start, option("2+2=22.", -1)),
        (start, human_step, option("So 4.", 0)),  # then at step 2, in completion order
        (start, human_step, option("# Answer\n\n5", -1)),
    ]
    assert expand_trajectories(options, limit=2) == expand_trajectories(options)[:2]


def test_a_wrong_chosen_step_ends_the_chosen_trajectory_but_alternatives_go_on():
    options = [
        (option("a", 1),),
        (option("b", -1), option("b'", 1), option("b''", -1)),
        (option("c", 1), option("c'", 0)),
    ]
    assert chosen_trajectory(options) == (option("a", 1), option("b", -1))
    # Step 1: the +1 alternative continues into step 2's two options; the two -1 options end there: 1 * 2 + 2.
    assert count_trajectories(options) == 4
    assert expand_trajectories(options) == [
        (option("a", 1), option("b", -1)),
        (option("a", 1), option("b'", 1), option("c", 1)),
        (option("a", 1), option("b''", -1)),
        (option("a", 1), option("b'", 1), option("c'", 0)),  # two deviations come last
    ]


def test_empty_path_has_no_trajectories():
    assert count_trajectories([]) == 0 and expand_trajectories([]) == []
    with pytest.raises(ValueError, match="limit must be at least 1"):
        expand_trajectories([(option("a", 1),)], limit=0)


def _every_combination(options) -> set:
    """The definition, by brute force: every choice of one option per step, cut after its first -1."""
    trajectories = set()
    for combination in itertools.product(*options):
        cut = next((i + 1 for i, o in enumerate(combination) if o.rating == -1), len(combination))
        trajectories.add(combination[:cut])
    return trajectories


def test_expansion_matches_the_brute_force_definition_on_random_options():
    rng = random.Random(7)
    for _ in range(300):
        options = [
            tuple(option(f"s{p}o{i}", rng.choice((-1, 0, 1))) for i in range(rng.choice((1, 1, 2, 3))))
            for p in range(rng.randint(1, 6))
        ]
        expanded = expand_trajectories(options)
        assert len(expanded) == len(set(expanded)) == count_trajectories(options)
        assert set(expanded) == _every_combination(options)
        assert expanded[0] == chosen_trajectory(options)
        deviations = [sum(o != step[0] for o, step in zip(t, options)) for t in expanded]
        assert deviations == sorted(deviations)  # fewest deviations from the chosen path first
