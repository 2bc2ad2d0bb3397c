"""Labelled trajectories of one PRM800K record: its chosen path, or every combination of rated completions.

A record's *path* is the sequence of labelled steps
:meth:`~stepwise.data.prm800k.PRM800KRecord.trajectory` walks. At each path
step the *options* are the completion the path takes there (first) and the
step's other rated completions, in record order. Unrated completions carry no
label and are no options; an option repeating an earlier option's text and
rating adds nothing and is left out. The path ends before its first step whose
taken completion is unrated.

A *trajectory* picks one option at each step and ends at its first -1 step,
which it keeps: steps after a wrong step carry no label. Trajectories that agree
up to their first -1 step are therefore one trajectory. The chosen trajectory
takes the path's own completion everywhere.

Expansion (the seed's ``prod=True``) yields every distinct trajectory. Such a
*combined* trajectory may follow an alternative at one step with later steps
that the labeller rated after the chosen completion, not after that
alternative: the approximation the seed accepted to multiply phase-1 data.

Order, which is what a cap keeps: by the number of steps where a trajectory
deviates from the chosen one, then by where (earlier steps first), then by the
order of the completions in the record. So the chosen trajectory comes first,
then every single alternative, then pairs, and so on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from stepwise.data.prm800k import PRM800KRecord, TrajectoryStep

WRONG = -1

Options = Sequence[Sequence[TrajectoryStep]]  # per path step: the taken option first, then the alternatives
Trajectory = tuple[TrajectoryStep, ...]


def path_options(record: PRM800KRecord) -> list[tuple[TrajectoryStep, ...]]:
    """The options at each step of the record's path (see the module docstring)."""
    options = []
    for taken, alternatives in zip(record.trajectory(), record.alternatives()):
        if taken.rating is None:
            break
        seen = {(taken.text, taken.rating)}
        step = [taken]
        for completion in alternatives:
            key = (completion.text, completion.rating)
            if completion.rating is not None and key not in seen:
                seen.add(key)
                step.append(TrajectoryStep(completion.text, completion.rating, completion.source))
        options.append(tuple(step))
    return options


def count_trajectories(options: Options) -> int:
    """How many distinct trajectories the options make (0 for an empty path).

    From the end: a step's non-negative options each continue into every
    trajectory of the rest of the path, its -1 options each end one.
    """
    if not options:
        return 0
    count = 1
    for step in reversed(options):
        wrong = sum(option.rating == WRONG for option in step)
        count = (len(step) - wrong) * count + wrong
    return count


def chosen_trajectory(options: Options) -> Trajectory:
    """The trajectory that takes the path's own completion at every step."""
    return _build(options, {})


def expand_trajectories(options: Options, limit: int | None = None) -> list[Trajectory]:
    """The first ``limit`` (None: all) distinct trajectories, in the module docstring's order."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    total = count_trajectories(options)
    wanted = total if limit is None else min(limit, total)
    forks = [position for position, step in enumerate(options) if len(step) > 1]
    stops = _taken_wrong_from(options)
    trajectories: list[Trajectory] = []
    if wanted == 0:
        return trajectories
    for count in range(len(forks) + 1):
        for deviations in _deviations(options, forks, stops, count, after=0):
            trajectories.append(_build(options, dict(deviations)))
            if len(trajectories) == wanted:  # stop here: scanning larger sets for none would not end soon
                return trajectories
    raise AssertionError(f"found {len(trajectories)} of {wanted} trajectories")  # count and enumeration disagree


def _taken_wrong_from(options: Options) -> list[int]:
    """For each position p, the first position >= p whose taken option is -1 (len(options) if none)."""
    stops = [len(options)] * (len(options) + 1)
    for position in range(len(options) - 1, -1, -1):
        stops[position] = position if options[position][0].rating == WRONG else stops[position + 1]
    return stops


def _deviations(
    options: Options, forks: list[int], stops: list[int], count: int, after: int
) -> Iterator[tuple[tuple[int, int], ...]]:
    """Sets of ``count`` (position, option index) deviations at positions >= ``after``, in order.

    Only sets that make distinct trajectories: no deviation lies beyond the
    trajectory's first -1 step, so none follows a -1 deviation and none lies
    after a -1 step of the chosen path that no earlier deviation replaced.
    """
    if count == 0:
        yield ()
        return
    for position in forks:
        if position < after:
            continue
        if position > stops[after]:
            break
        for index in range(1, len(options[position])):
            if count > 1 and options[position][index].rating == WRONG:
                continue
            for rest in _deviations(options, forks, stops, count - 1, position + 1):
                yield ((position, index), *rest)


def _build(options: Options, deviations: dict[int, int]) -> Trajectory:
    steps = []
    for position, step in enumerate(options):
        option = step[deviations.get(position, 0)]
        steps.append(option)
        if option.rating == WRONG:
            break
    return tuple(steps)
