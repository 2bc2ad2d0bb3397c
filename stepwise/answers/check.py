"""Answer equivalence behind one :class:`AnswerChecker`: exact numbers for GSM8K, math-verify for MATH.

GSM8K answers are numbers, compared exactly with :class:`fractions.Fraction`
(:mod:`stepwise.answers.numbers`). MATH answers are LaTeX, compared with Hugging Face's
``math-verify`` (the forms and the verdict in :mod:`stepwise.answers.latex`, the workers'
sandbox in :mod:`stepwise.answers.sandbox`); the checker is the glue around it:

* our answers are already extracted, so each is wrapped in ``\\boxed{...}`` and
  parsed with a LaTeX-only configuration that reads only that box
  (``extraction_mode="first_match"``). math-verify's ``ExprExtractionConfig`` is
  deliberately not used: it hands matched text to sympy's ``parse_expr`` (an
  ``eval``) and would pull stray numbers out of a failed parse;
* no eval of model text: LaTeX is parsed by an ANTLR grammar into sympy
  objects. The one remaining route to ``parse_expr`` is ``sympy.Number(token)``
  on a number token of that grammar. Workers enforce this: their ``parse_expr``
  refuses any string that is not digits and arithmetic (no names, so nothing
  to call);
* conservative: an answer that is missing, too long, has unbalanced braces,
  fails, raises or times out is "not equal";
* fast path: identical normalised strings are equal without any parsing;
* isolation: math-verify's own timeout uses ``signal.alarm`` and only works in a
  main thread, so checks run in a :class:`pebble.ProcessPool` with a hard
  per-item time limit; a worker that overruns is killed and replaced, and a
  worker that crashes (segfault, out of memory) only loses that item (if pebble
  gives up on the whole pool, a fresh one retries the unfinished items once).
  Workers may grow by at most ``memory_limit_mb`` of address space.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from stepwise.answers import latex
from stepwise.answers.extract import free_form_answer
from stepwise.answers.latex import (
    answer_form,
    braces_balanced,
    enclosure,
    has_box,
    math_verdict,
    normalise_latex_answer,
    strip_answer,
)
from stepwise.answers.numbers import gsm8k_equal, parse_gsm8k_number
from stepwise.answers.sandbox import init_worker, pool_context

logger = logging.getLogger(__name__)

Kind = Literal["math", "gsm8k"]

_POLL_S = 0.5  # how often a wait for a result checks that the pool still works

_BROKEN = object()  # a pool call lost to a broken pool


class _Grouping:
    """One problem's answers being grouped (:meth:`AnswerChecker.group_many`)."""

    def __init__(self, answers: Sequence[str | None]):
        self.answers = list(answers)
        self.representatives: list[str] = []
        self.group_of: dict[str, int] = {}
        self.position = 0

    def next_new(self, may_equal) -> tuple[str, list[int]] | None:
        """The next answer that needs checks, with the groups it may join; answers that join
        none without a check found their groups on the way. None when every answer has a group."""
        while self.position < len(self.answers):
            answer = self.answers[self.position]
            if answer is not None and answer not in self.group_of:
                candidates = [i for i, r in enumerate(self.representatives) if may_equal(answer, r)]
                if candidates:
                    return answer, candidates
                self.join(answer, [])
            self.position += 1
        return None

    def join(self, answer: str, equal_groups: list[int]) -> None:
        """Put ``answer`` into the first group it equals, or a new one."""
        if equal_groups:
            self.group_of[answer] = equal_groups[0]
        else:
            self.group_of[answer] = len(self.representatives)
            self.representatives.append(answer)

    def ids(self) -> list[int | None]:
        return [None if answer is None else self.group_of[answer] for answer in self.answers]


@dataclass(frozen=True)
class AnswerForm:
    """How an answer reads, for grouping (:meth:`AnswerChecker.forms`).

    ``kind``: "number" (a plain real number, its ``value``; GSM8K answers are
    all numbers, exact ``Fraction`` values or None), "assignment" (``x = v``
    with a number ``v``: math-verify compares ``v`` with a number), "text" (a
    product of letters, as words read), "other" (any other expression, or a
    read that failed) or "unparsed" (no expression: such an answer equals only
    answers of the same fast-path ``normal`` form).
    """

    kind: str
    value: float | Fraction | None
    normal: str = ""

    def differs(self, other: AnswerForm) -> bool:
        """Whether two answers are certainly different, without a check."""
        kinds = {self.kind, other.kind}
        if "unparsed" in kinds:
            return self.normal != other.normal
        if isinstance(self.value, Fraction) or isinstance(other.value, Fraction):
            return False  # GSM8K: the check itself is this cheap
        if kinds <= {"number", "assignment"} and None not in (self.value, other.value):
            # math-verify equates numbers that agree to 6 decimals (or exactly): far beyond that they differ.
            return abs(self.value - other.value) > 1e-4 * max(1.0, abs(self.value), abs(other.value))
        return kinds == {"number", "text"}


@dataclass
class CheckStats:
    """What an :class:`AnswerChecker` did: counts over all calls so far."""

    pairs: int = 0  # pairs asked about, duplicates included
    cache_hits: int = 0  # answered from the per-pair cache (or a duplicate in the same batch)
    fast_path: int = 0  # decided without math-verify (missing answer, identical, gsm8k, ...)
    too_long_or_malformed: int = 0  # math answers not sent to math-verify (counted in fast_path too)
    worker_checks: int = 0  # sent to the worker pool
    worker_forms: int = 0  # answers read by the worker pool for grouping (AnswerChecker.forms)
    worker_extractions: int = 0  # free-form solutions whose answer the workers extracted
    timeouts: int = 0  # worker killed at the time limit (verdict: not equal)
    errors: int = 0  # worker raised or died, or the pool broke twice (verdict: not equal)
    pool_restarts: int = 0  # broken pools replaced


class AnswerChecker:
    """Equivalence of predicted and reference answers, with caching and isolation.

    ``kind="gsm8k"`` compares numbers in-process (bounded-time by construction).
    ``kind="math"`` sends pairs that the fast path cannot decide to a pool of
    ``workers`` processes, each check limited to ``timeout_s`` seconds and the
    worker's address space to ``memory_limit_mb``. Answers longer than
    ``max_chars`` only get the fast path. ``fast_path=False`` sends even
    identical answers to math-verify (to test or time it). Use as a context
    manager (or call :meth:`close`) so the pool is shut down; it starts on
    first need. Not thread-safe.

    ``equal(pred, ref)`` treats ``ref`` as the gold side (math-verify is not
    symmetric: ``ref`` "x=3" accepts ``pred`` "3").
    """

    def __init__(
        self,
        kind: Kind = "math",
        workers: int = 2,
        timeout_s: float = 5.0,
        max_chars: int = 1000,
        memory_limit_mb: int | None = 4096,
        fast_path: bool = True,
    ):
        if kind not in ("math", "gsm8k"):
            raise ValueError(f"unknown answer kind {kind!r}; expected 'math' or 'gsm8k'")
        if workers < 1 or timeout_s <= 0:
            raise ValueError(f"need workers >= 1 and timeout_s > 0, got {workers} and {timeout_s}")
        self.kind = kind
        self.workers = workers
        self.timeout_s = timeout_s
        self.max_chars = max_chars
        self.memory_limit_mb = memory_limit_mb
        self.fast_path = fast_path
        self.stats = CheckStats()
        self._cache: dict[tuple[str | None, str], bool] = {}
        self._forms: dict[str, AnswerForm] = {}
        self._pool = None

    def __enter__(self) -> AnswerChecker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker pool (if it was started); the cache stays usable."""
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None

    def equal(self, pred: str | None, ref: str) -> bool:
        """Whether ``pred`` is an equivalent answer to the reference ``ref``."""
        return self.check_many([(pred, ref)])[0]

    def check_many(self, pairs: Iterable[tuple[str | None, str]]) -> list[bool]:
        """Verdicts for many ``(pred, ref)`` pairs, checked in parallel, each distinct pair once."""
        pairs = [_validated_pair(index, pair) for index, pair in enumerate(pairs)]
        to_check: dict[tuple[str | None, str], None] = {}  # insertion-ordered set
        for key in pairs:
            self.stats.pairs += 1
            if key in self._cache or key in to_check:
                self.stats.cache_hits += 1
                continue
            verdict = self._fast_verdict(*key)
            if verdict is None:
                to_check[key] = None
            else:
                self.stats.fast_path += 1
                self._cache[key] = verdict
        if to_check:
            self._cache.update(self._check_in_pool(list(to_check)))
        return [self._cache[key] for key in pairs]

    # ---------------------------------------------------------------- free-form answers

    def extract_many(self, texts: Sequence[str]) -> list[str | None]:
        """The final answer of each free-form solution (:func:`~stepwise.answers.extract.free_form_answer`),
        read in the restricted workers with the per-item time limit; None where there is none, or where
        the read failed or ran out of time."""
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {index}: expected a str, got {type(text).__name__}")
        self.stats.worker_extractions += len(texts)
        return self._run_in_pool(free_form_answer, [(text,) for text in texts], failed=None)

    def extract(self, text: str) -> str | None:
        """:meth:`extract_many` of one text."""
        return self.extract_many([text])[0]

    # ---------------------------------------------------------------- grouping

    def group_many(self, problems: Sequence[Sequence[str | None]]) -> list[list[int | None]]:
        """Answer-group ids of every problem's answers (None for a missing answer), for voting.

        Within a problem, each answer joins the first group whose representative
        (its first member) it equals, ``equal(answer, representative)``, else it
        founds the next group; identical strings share a group without a check.
        The verdicts are :meth:`equal`'s, but most pairs are settled without
        one: every distinct answer is read once (:meth:`forms`, in the workers),
        two plain numbers further apart than math-verify's rounding allows are
        different, and an answer math-verify reads no expression in equals only
        what the fast path says it equals.
        """
        forms = self.forms({answer for answers in problems for answer in answers if answer is not None})
        groupings = [_Grouping(answers) for answers in problems]
        # The problems advance together: each round checks, in one parallel batch, the candidate
        # groups of every problem's next new answer (one problem's answers depend on each other).
        while True:
            asks = [
                (grouping, grouping.next_new(lambda a, r: not forms[a].differs(forms[r]))) for grouping in groupings
            ]
            asks = [(grouping, ask) for grouping, ask in asks if ask is not None]
            if not asks:
                break
            pairs = [
                (answer, grouping.representatives[i]) for grouping, (answer, candidates) in asks for i in candidates
            ]
            verdicts = iter(self.check_many(pairs))
            for grouping, (answer, candidates) in asks:
                grouping.join(answer, [i for i in candidates if next(verdicts)])
        return [grouping.ids() for grouping in groupings]

    def forms(self, answers: Iterable[str]) -> dict[str, AnswerForm]:
        """How each answer reads (:class:`AnswerForm`), each distinct answer once (cached)."""
        answers = list(dict.fromkeys(answers))
        missing = [answer for answer in answers if answer not in self._forms]
        if self.kind == "gsm8k":
            self._forms.update((answer, AnswerForm("number", parse_gsm8k_number(answer))) for answer in missing)
        elif missing:
            to_parse = []
            for answer in missing:
                stripped = strip_answer(answer)
                if stripped is None or not self._parsable(stripped):
                    self._forms[answer] = AnswerForm("unparsed", None, normalise_latex_answer(stripped or ""))
                else:
                    to_parse.append(answer)
            self.stats.worker_forms += len(to_parse)
            read = self._run_in_pool(answer_form, [(answer,) for answer in to_parse], failed=("other", None))
            for answer, (kind, value) in zip(to_parse, read, strict=True):
                self._forms[answer] = AnswerForm(kind, value, normalise_latex_answer(strip_answer(answer)))
        return {answer: self._forms[answer] for answer in answers}

    def _parsable(self, answer: str) -> bool:
        """Whether a (stripped) answer may go to math-verify at all."""
        return len(answer) <= self.max_chars and braces_balanced(answer) and not has_box(answer)

    def _fast_verdict(self, pred: str | None, ref: str) -> bool | None:
        """The verdict when no math-verify call is needed, else None."""
        if self.kind == "gsm8k":
            return gsm8k_equal(pred, ref)
        pred, ref = strip_answer(pred), strip_answer(ref)
        if pred is None or ref is None:
            return False
        pred_form, ref_form = normalise_latex_answer(pred), normalise_latex_answer(ref)
        if self.fast_path and (pred == ref or pred_form == ref_form):
            return True
        if {enclosure(pred_form), enclosure(ref_form)} == {"set", "sequence"}:
            return False  # math-verify would equate {1,2} with the pair/interval (1,2)
        if not all(self._parsable(a) for a in (pred, ref)):
            self.stats.too_long_or_malformed += 1
            return False
        return None

    def _get_pool(self):
        if self._pool is None:
            from pebble import ProcessPool

            # Warm up math-verify (imports, compiled patterns) before forking,
            # so that every worker, replacements included, starts warm. Its
            # one-off "timeout is disabled" warning is expected: we time out.
            math_verify_logger = logging.getLogger("math_verify")
            level = math_verify_logger.level
            math_verify_logger.setLevel(logging.ERROR)
            try:
                latex.warm_up()
            finally:
                math_verify_logger.setLevel(level)

            self._pool = ProcessPool(
                max_workers=self.workers,
                initializer=init_worker,
                initargs=(self.memory_limit_mb,),
                context=pool_context(),
            )
        return self._pool

    def _check_in_pool(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """math-verify verdicts from the worker pool (a failed check is "not equal")."""
        self.stats.worker_checks += len(keys)
        return {key: bool(verdict) for key, verdict in zip(keys, self._run_in_pool(math_verdict, keys), strict=True)}

    def _run_in_pool(self, function, calls: list[tuple], failed=False) -> list:
        """``function(*args)`` for every ``args`` of ``calls`` in the worker pool, in order; ``failed``
        for a call that timed out or failed.

        If the pool breaks (pebble gives up on it when a worker dies at the
        wrong moment, and its unstarted tasks would then never finish), the
        calls it lost are retried once on a fresh pool, then count as failed.
        """
        results: dict[int, Any] = {}
        pending = list(range(len(calls)))
        for attempt in range(2):
            futures = [(index, self._schedule(function, calls[index])) for index in pending]
            pending = []
            for index, future in futures:
                outcome = _BROKEN if future is None else self._collect(future, failed)
                if outcome is _BROKEN:
                    pending.append(index)
                else:
                    results[index] = outcome
            if not pending:
                break
            logger.warning(
                "answer-checking pool broke; %d unfinished calls %s",
                len(pending),
                "retried on a new pool" if attempt == 0 else "failed",
            )
            self.stats.pool_restarts += 1
            self.close()
        self.stats.errors += len(pending)
        results.update(dict.fromkeys(pending, failed))
        return [results[index] for index in range(len(calls))]

    def _schedule(self, function, args: tuple):
        """The future of one call, or None if the pool can no longer take work."""
        try:
            return self._get_pool().schedule(function, args=args, timeout=self.timeout_s)
        except RuntimeError:  # pebble: "Unexpected error within the Pool"
            return None

    def _collect(self, future, failed):
        """A worker's result: ``failed`` on timeout or failure; _BROKEN if the pool broke first."""
        while not future.done():
            if not self._pool.active:
                return _BROKEN
            wait([future], timeout=_POLL_S)
        try:
            return future.result()
        except FutureTimeout:
            self.stats.timeouts += 1
        except BrokenProcessPool:
            return _BROKEN
        except Exception as err:  # noqa: BLE001 - any failure of one item is a rejection
            self.stats.errors += 1
            logger.debug("answer-checking call failed: %r", err)
        return failed


def _validated_pair(index: int, pair: Sequence) -> tuple[str | None, str]:
    try:
        pred, ref = pair
    except (TypeError, ValueError):
        raise TypeError(f"pair {index}: expected a (pred, ref) pair, got {pair!r:.80}") from None
    if not (pred is None or isinstance(pred, str)) or not isinstance(ref, str):
        raise TypeError(f"pair {index}: expected (str | None, str), got ({type(pred).__name__}, {type(ref).__name__})")
    return pred, ref
