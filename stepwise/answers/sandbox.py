"""The answer-checking workers' sandbox: each worker warms math-verify up, then refuses sympy's
``parse_expr`` anything but numbers and arithmetic and caps its own memory growth; the pool forks on Linux."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys

from stepwise.answers import latex
from stepwise.answers.latex import ARITHMETIC_ONLY


def init_worker(memory_limit_mb: int | None) -> None:
    """Pool worker set-up: warm up, restrict ``parse_expr``, cap memory growth."""
    # A cold (spawned) worker would warn once that math-verify's own timeout
    # is off, which is intended here.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    # pebble stops an overrunning worker with SIGTERM, handled in Python, so a
    # worker stuck in C (huge integer arithmetic) would only die at pebble's
    # SIGKILL 3 s later; the default action ends it at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    latex.warm_up()  # lazy imports (which sympify names) run before the restriction
    restrict_parse_expr()
    if memory_limit_mb is not None:
        limit_address_space_growth(memory_limit_mb * 1024 * 1024)


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
        if not isinstance(text, str) or not ARITHMETIC_ONLY.fullmatch(text):
            raise ValueError(f"parse_expr refused (answer-checking worker): {str(text)[:40]!r}")
        return unrestricted(text, *args, **kwargs)

    for module in (sympy.parsing.sympy_parser, math_verify.parser, latex2sympy2_extended.latex2sympy2):
        module.parse_expr = parse_expr


def limit_address_space_growth(extra_bytes: int) -> None:
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


def pool_context():
    """fork on Linux, spawn elsewhere.

    Not forkserver/spawn on Linux: both re-import the parent's ``__main__``
    by path in every worker, which re-runs unguarded scripts (a Snakemake
    ``script:`` is one). fork also makes replacing a killed worker cheap,
    since math-verify is imported in the parent before the pool starts.
    """
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
