"""Answer equivalence: exact numbers for GSM8K, math-verify for MATH.

GSM8K answers are numbers, compared exactly with :class:`fractions.Fraction`
(:func:`gsm8k_equal`). MATH answers are LaTeX, compared with Hugging Face's
``math-verify``; this module is the glue around it:

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
import multiprocessing
import re
import signal
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from stepwise.answers.extract import braced_group

logger = logging.getLogger(__name__)

Kind = Literal["math", "gsm8k"]

_POLL_S = 0.5  # how often a wait for a result checks that the pool still works

# Longest number (in digits) that gsm8k parsing accepts; GSM8K answers have < 15.
MAX_GSM8K_DIGITS = 60

_GSM8K_NUMBER = re.compile(
    r"(?<![\d.,])(?P<sign>-)?\$?\s?"
    r"(?:(?P<integer>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<fraction>\.\d+)?|(?P<bare_fraction>\.\d+))"
)


def parse_gsm8k_number(text: str | None) -> Fraction | None:
    """The last number in ``text`` as an exact Fraction, or None.

    Thousands separators, a ``$`` sign, surrounding words and units are
    ignored: ``"$1,018.50 per week"`` gives ``Fraction(2037, 2)``. Numbers longer
    than :data:`MAX_GSM8K_DIGITS` digits count as unparsable.
    """
    if text is None:
        return None
    last = None
    for last in _GSM8K_NUMBER.finditer(text.replace("\u2212", "-")):
        pass
    if last is None:
        return None
    integer = (last["integer"] or "0").replace(",", "")
    fraction = last["fraction"] or last["bare_fraction"] or ""
    if len(integer) + len(fraction) > MAX_GSM8K_DIGITS:
        return None
    value = Fraction(integer + fraction)
    return -value if last["sign"] else value


def gsm8k_equal(pred: str | None, ref: str) -> bool:
    """Whether ``pred`` and ``ref`` state the same number (exactly); False if either has none."""
    pred_value = parse_gsm8k_number(pred)
    return pred_value is not None and pred_value == parse_gsm8k_number(ref)


# ---------------------------------------------------------------- MATH glue

_SPACING_COMMANDS = re.compile(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\[!,;: ]")
_SPACE_NOT_BETWEEN_LETTERS = re.compile(r"(?<![a-zA-Z]) | (?![a-zA-Z])")
_WHITESPACE = re.compile(r"\s+")
_WARM_UP_PAIRS = [("1", "1"), ("(x+1)^2", "x^2+2x+1"), ("[0,1)", "(0,1)"), ("\\{1,2\\}", "\\{2,1\\}"), ("x=3", "3")]
_ARITHMETIC_ONLY = re.compile(r"[\d\s.,+\-*/()^]*")
_BOX_COMMANDS = ("\\boxed", "\\fbox")


def _strip_answer(answer: str | None) -> str | None:
    """The answer without surrounding blanks and ``$`` delimiters; None if empty."""
    if answer is None:
        return None
    answer = answer.strip()
    if len(answer) >= 2 and answer.startswith("$") and answer.endswith("$") and not answer.endswith("\\$"):
        answer = answer.strip("$").strip()
    return answer or None


def normalise_latex_answer(answer: str) -> str:
    """Cheap canonical form for the fast path: no ``\\left``/``\\right``, spacing
    commands or spaces (except between two letters), one kind of fraction."""
    answer = _SPACING_COMMANDS.sub("", answer)
    answer = answer.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    answer = _WHITESPACE.sub(" ", answer).strip()
    return _SPACE_NOT_BETWEEN_LETTERS.sub("", answer)


def _braces_balanced(answer: str) -> bool:
    """Whether every ``{`` in ``answer`` closes (escape-aware), so wrapping it in a box is safe."""
    wrapped = "{" + answer + "}"
    return braced_group(wrapped, 0) == answer


def _math_verdict(pred: str, ref: str) -> bool:
    """math-verify's verdict on two extracted answers (``ref`` is the gold side).

    Runs inside a pool worker: no timeouts of its own (the pool enforces them).
    """
    from math_verify import LatexExtractionConfig, parse, verify

    config = [LatexExtractionConfig(boxed_match_priority=0)]

    def parsed(answer: str) -> list:
        return parse(
            "\\boxed{" + answer + "}",
            extraction_config=config,
            extraction_mode="first_match",
            parsing_timeout=None,
        )

    gold, target = parsed(ref), parsed(pred)
    return bool(gold) and bool(target) and bool(verify(gold, target, timeout_seconds=None))


def _warm_up() -> None:
    """Run math-verify once on numbers, sets, intervals and a simplification, so
    that its imports, lazy sympy imports and compiled patterns are in place."""
    for pred, ref in _WARM_UP_PAIRS:
        _math_verdict(pred, ref)


def _init_worker(memory_limit_mb: int | None) -> None:
    """Pool worker set-up: warm up, restrict ``parse_expr``, cap memory growth."""
    # A cold (spawned) worker would warn once that math-verify's own timeout
    # is off, which is intended here.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    # pebble stops an overrunning worker with SIGTERM, handled in Python, so a
    # worker stuck in C (huge integer arithmetic) would only die at pebble's
    # SIGKILL 3 s later; the default action ends it at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _warm_up()  # lazy imports (which sympify names) run before the restriction
    restrict_parse_expr()
    if memory_limit_mb is not None:
        _limit_address_space_growth(memory_limit_mb * 1024 * 1024)


def restrict_parse_expr() -> None:
    """Make sympy's ``parse_expr`` (and so ``sympify`` on strings) refuse all but
    numbers and arithmetic, for the rest of this process.

    Patches every module that holds its own reference to the function. Meant
    for answer-checking workers, which run nothing else.
    """
    import latex2sympy2_extended.latex2sympy2
    import math_verify.parser
    import sympy.parsing.sympy_parser

    unrestricted = sympy.parsing.sympy_parser.parse_expr

    def parse_expr(text, *args, **kwargs):
        if not isinstance(text, str) or not _ARITHMETIC_ONLY.fullmatch(text):
            raise ValueError(f"parse_expr refused (answer-checking worker): {str(text)[:40]!r}")
        return unrestricted(text, *args, **kwargs)

    for module in (sympy.parsing.sympy_parser, math_verify.parser, latex2sympy2_extended.latex2sympy2):
        module.parse_expr = parse_expr


def _limit_address_space_growth(extra_bytes: int) -> None:
    """Let this process map at most ``extra_bytes`` more than it has now.

    Relative, because a forked worker inherits its parent's address space,
    which may already be large (torch, CUDA). A failed allocation then raises
    MemoryError in the worker instead of exhausting the machine.
    """
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
    except (ImportError, OSError, ValueError, IndexError):
        return  # no /proc (not Linux): leave memory unlimited
    soft = current + extra_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _pool_context():
    """fork on Linux, spawn elsewhere.

    Not forkserver/spawn on Linux: both re-import the parent's ``__main__``
    by path in every worker, which re-runs unguarded scripts (a Snakemake
    ``script:`` is one). fork also makes replacing a killed worker cheap,
    since math-verify is imported in the parent before the pool starts.
    """
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@dataclass
class CheckStats:
    """What an :class:`AnswerChecker` did: counts over all calls so far."""

    pairs: int = 0  # pairs asked about, duplicates included
    cache_hits: int = 0  # answered from the per-pair cache (or a duplicate in the same batch)
    fast_path: int = 0  # decided without math-verify (missing answer, identical, gsm8k, ...)
    too_long_or_malformed: int = 0  # math answers not sent to math-verify (counted in fast_path too)
    worker_checks: int = 0  # sent to the worker pool
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

    def _fast_verdict(self, pred: str | None, ref: str) -> bool | None:
        """The verdict when no math-verify call is needed, else None."""
        if self.kind == "gsm8k":
            return gsm8k_equal(pred, ref)
        pred, ref = _strip_answer(pred), _strip_answer(ref)
        if pred is None or ref is None:
            return False
        pred_form, ref_form = normalise_latex_answer(pred), normalise_latex_answer(ref)
        if self.fast_path and (pred == ref or pred_form == ref_form):
            return True
        if {_enclosure(pred_form), _enclosure(ref_form)} == {"set", "sequence"}:
            return False  # math-verify would equate {1,2} with the pair/interval (1,2)
        if not all(len(a) <= self.max_chars and _braces_balanced(a) and not _has_box(a) for a in (pred, ref)):
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
                _warm_up()
            finally:
                math_verify_logger.setLevel(level)

            self._pool = ProcessPool(
                max_workers=self.workers,
                initializer=_init_worker,
                initargs=(self.memory_limit_mb,),
                context=_pool_context(),
            )
        return self._pool

    def _check_in_pool(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """math-verify verdicts from the worker pool.

        If the pool breaks (pebble gives up on it when a worker dies at the
        wrong moment, and its unstarted tasks would then never finish), the
        items it lost are retried once on a fresh pool, then rejected.
        """
        self.stats.worker_checks += len(keys)
        verdicts: dict[tuple[str, str], bool] = {}
        for attempt in range(2):
            futures = [(key, self._schedule(key)) for key in keys]
            keys = []
            for key, future in futures:
                verdict = None if future is None else self._collect(future)
                if verdict is None:
                    keys.append(key)
                else:
                    verdicts[key] = verdict
            if not keys:
                break
            logger.warning("answer-checking pool broke; %d unfinished checks %s", len(keys),
                           "retried on a new pool" if attempt == 0 else "rejected")
            self.stats.pool_restarts += 1
            self.close()
        self.stats.errors += len(keys)
        verdicts.update(dict.fromkeys(keys, False))
        return verdicts

    def _schedule(self, key: tuple[str, str]):
        """The future of one check, or None if the pool can no longer take work."""
        try:
            return self._get_pool().schedule(_math_verdict, args=key, timeout=self.timeout_s)
        except RuntimeError:  # pebble: "Unexpected error within the Pool"
            return None

    def _collect(self, future) -> bool | None:
        """A worker's verdict: False on timeout or failure; None if the pool broke first."""
        while not future.done():
            if not self._pool.active:
                return None
            wait([future], timeout=_POLL_S)
        try:
            return bool(future.result())
        except FutureTimeout:
            self.stats.timeouts += 1
        except BrokenProcessPool:
            return None
        except Exception as err:  # noqa: BLE001 - any failure of one item is a rejection
            self.stats.errors += 1
            logger.debug("answer check failed: %r", err)
        return False


def _enclosure(form: str) -> str | None:
    """The brackets around ``form``: "set" for ``\\{...\\}``, "sequence" for
    ``(...)`` or ``[...]`` (a tuple or an interval), else None."""
    if form.startswith("\\{") and form.endswith("\\}"):
        return "set"
    if len(form) >= 2 and form[0] in "([" and form[-1] in ")]":
        return "sequence"
    return None


def _has_box(answer: str) -> bool:
    return any(command in answer for command in _BOX_COMMANDS)


def _validated_pair(index: int, pair: Sequence) -> tuple[str | None, str]:
    try:
        pred, ref = pair
    except (TypeError, ValueError):
        raise TypeError(f"pair {index}: expected a (pred, ref) pair, got {pair!r:.80}") from None
    if not (pred is None or isinstance(pred, str)) or not isinstance(ref, str):
        raise TypeError(
            f"pair {index}: expected (str | None, str), got ({type(pred).__name__}, {type(ref).__name__})"
        )
    return pred, ref


def group_equivalent(answers: list[str | None], checker: AnswerChecker) -> list[int | None]:
    """A cluster id per answer (None for a missing or blank answer), for majority voting.

    Each answer joins the first existing cluster whose representative (its first
    member) it is equal to, with the representative as the reference side; else
    it founds a new cluster. Ids are 0, 1, ... in order of first appearance.
    """
    representatives: list[str] = []
    cluster_of: dict[str, int] = {}
    ids: list[int | None] = []
    for answer in answers:
        if answer is None or not answer.strip():
            ids.append(None)
            continue
        if answer not in cluster_of:
            verdicts = checker.check_many((answer, representative) for representative in representatives)
            match = next((i for i, same in enumerate(verdicts) if same), None)
            if match is None:
                representatives.append(answer)
                match = len(representatives) - 1
            cluster_of[answer] = match
        ids.append(cluster_of[answer])
    return ids
