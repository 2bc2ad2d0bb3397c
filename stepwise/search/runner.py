"""Running one search method at one budget over a shard's problems, all problems advanced together.

Every step-iteration makes one batched step-generation call for the requests
of every problem's search (:class:`~stepwise.search.step_generator.StepGenerator`), one
batched guide call for all their new partial solutions, and hands each search
its scored children. Children cut at max tokens are dropped, and so are
unfinished children of the last step allowed (``max_steps``), unscored: the
step cap. Per problem it counts every token generated (discarded continuations,
lookahead rollouts and the calculator's forced tokens included) and every token
the guide forwarded.

Seeds: each call's seed is derived from the settings' seed, the method, the
budget, the step and the kind of call; on vLLM each prompt's seed is derived
from that and the prompt (so from the problem), on transformers from that and
the batch (:mod:`stepwise.sampling`). The same inputs give the same records.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from tqdm.auto import tqdm

from stepwise.search.beam_search import BeamSearch
from stepwise.search.candidates import Candidate, best
from stepwise.search.dvts import DVTS
from stepwise.search.lookahead import LookaheadSearch
from stepwise.search.settings import SearchSettings
from stepwise.search.step_generator import StepGenerator

if TYPE_CHECKING:
    from stepwise.search.guides import Guide

log = logging.getLogger(__name__)

SEARCH_METHODS = ("beam_search", "dvts", "lookahead")


class SearchProblem(NamedTuple):
    """A problem to search: its id, the generator's prompt, its own text (the guide's input) and the reference
    answer."""

    problem_id: str
    prompt: str
    text: str
    reference: str


@dataclass
class SearchResult:
    """One problem's search: the answer candidate (None: nothing finished) and its compute."""

    problem_id: str
    method: str
    n: int
    best: Candidate | None
    finished: int
    generated_tokens: int = 0
    scored_tokens: int = 0


class Search(Protocol):
    """One problem's search at one budget (:mod:`stepwise.search.beam_search` is the model)."""

    method: str
    n: int
    lookahead: int
    finished: list[Candidate]

    def requests(self) -> list[tuple[Candidate, int]]: ...

    def take(self, children: list[list[Candidate | None]]) -> None: ...


def make_search(method: str, n: int, settings: SearchSettings) -> Search:
    """A fresh search of ``method`` at budget ``n``."""
    if method == "beam_search":
        return BeamSearch(n, settings.beam_width)
    if method == "dvts":
        return DVTS(n, settings.beam_width)
    if method == "lookahead":
        return LookaheadSearch(n, settings.beam_width, settings.lookahead)
    raise ValueError(f"unknown search method {method!r}; expected one of {SEARCH_METHODS}")


def call_seed(seed: int, *parts: object) -> int:
    """A 31-bit seed for one generation call, stable across processes."""
    digest = hashlib.sha256("\0".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:4], "little") >> 1


def run_search(
    method: str,
    n: int,
    problems: Sequence[SearchProblem],
    generator: StepGenerator,
    guide: Guide,
    settings: SearchSettings,
) -> list[SearchResult]:
    """Search every problem with ``method`` at budget ``n``; one result per problem, in order."""
    searches = [make_search(method, n, settings) for _ in problems]
    results = [SearchResult(p.problem_id, method, n, None, 0) for p in problems]
    separator = generator.separator
    progress = tqdm(range(settings.max_steps), desc=f"{method} n={n}", unit="step", disable=None)
    for iteration in progress:
        asked = [
            (index, candidate, count) for index, search in enumerate(searches) for candidate, count in search.requests()
        ]
        if not asked:
            break
        progress.set_postfix(requests=len(asked))
        last = iteration == settings.max_steps - 1
        steps = generator.generate(
            [candidate.prompt(problems[index].prompt, separator) for index, candidate, _ in asked],
            [count for _, _, count in asked],
            call_seed(settings.seed, method, n, iteration, "step"),
        )
        children: list[list[Candidate | None]] = []
        for (index, candidate, _), group in zip(asked, steps, strict=True):
            results[index].generated_tokens += sum(step.num_tokens for step in group)
            children.append(
                [
                    candidate.extended(step, separator)
                    if step.end == "solution" or (step.end == "step" and not last)
                    else None
                    for step in group
                ]
            )
        _score(children, [index for index, _, _ in asked], problems, searches, results, generator, guide)
        owned: list[list[list[Candidate | None]]] = [[] for _ in searches]
        for (index, _, _), group in zip(asked, children):
            owned[index].append(group)
        for search, groups in zip(searches, owned):
            if groups:
                search.take(groups)
    for search, result in zip(searches, results):
        result.best, result.finished = best(search.finished), len(search.finished)
    log.info(
        "%s n=%d: %d problems, %d with a finished solution, %d tokens generated, %d scored",
        method,
        n,
        len(problems),
        sum(r.best is not None for r in results),
        sum(r.generated_tokens for r in results),
        sum(r.scored_tokens for r in results),
    )
    return results


def _score(
    children: list[list[Candidate | None]],
    owners: list[int],
    problems: Sequence[SearchProblem],
    searches: Sequence[Search],
    results: list[SearchResult],
    generator: StepGenerator,
    guide: Guide,
) -> None:
    """Score every child in place (one guide call), after a lookahead rollout when the method has one."""
    places = [
        (row, column) for row, group in enumerate(children) for column, child in enumerate(group) if child is not None
    ]
    if not places:
        return
    owner = [owners[row] for row, _ in places]
    judged = [children[row][column] for row, column in places]
    if searches[0].lookahead:  # one method per run: every search looks as far ahead
        judged = _rollouts(judged, owner, problems, results, generator, searches[0].lookahead)
    scores, tokens = guide.evaluate(
        [problems[index].text for index in owner], [c.text for c in judged], [c.finished for c in judged]
    )
    for (row, column), index, score, count in zip(places, owner, scores, tokens, strict=True):
        children[row][column] = dataclasses.replace(children[row][column], score=score)
        results[index].scored_tokens += count


def _rollouts(
    candidates: list[Candidate],
    owner: list[int],
    problems: Sequence[SearchProblem],
    results: list[SearchResult],
    generator: StepGenerator,
    lookahead: int,
) -> list[Candidate]:
    """Each unfinished candidate continued greedily for up to ``lookahead`` steps, until it finishes or a step
    is cut at max tokens (the rollout ends before that step); batched over all candidates still rolling."""
    rolled = list(candidates)
    rolling = [i for i, candidate in enumerate(rolled) if not candidate.finished]
    for _ in range(lookahead):
        if not rolling:
            break
        steps = generator.generate(
            [rolled[i].prompt(problems[owner[i]].prompt, generator.separator) for i in rolling],
            [1] * len(rolling),
            seed=None,
            greedy=True,
        )
        going = []
        for i, (step,) in zip(rolling, steps, strict=True):
            results[owner[i]].generated_tokens += step.num_tokens
            if step.end != "length":
                rolled[i] = rolled[i].extended(step, generator.separator)
                going += [] if rolled[i].finished else [i]
        rolling = going
    return rolled


def search_record(
    result: SearchResult, extract: Callable[[str], str | None], grade: Callable[[str, str], bool], reference: str
) -> dict[str, Any]:
    """The record of one problem's search; ``extract`` reads the chosen solution's answer, ``grade`` checks it."""
    chosen = result.best
    answer = None if chosen is None else extract(chosen.text)
    return {
        "problem_id": result.problem_id,
        "method": result.method,
        "n": result.n,
        "answer": answer,
        "correct": answer is not None and bool(grade(answer, reference)),
        "score": None if chosen is None else chosen.score,
        "text": None if chosen is None else chosen.text,
        "finished": result.finished,
        "generated_tokens": result.generated_tokens,
        "scored_tokens": result.scored_tokens,
    }
