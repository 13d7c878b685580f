"""Hyperscan, when its wheel is installed: many patterns matched in one compiled pass.

Python's regex engine walks a text once per pattern, and splitting a text
into words costs as much as a regex pass; at guard-node rates that is most
of a detector's time. Hyperscan (Intel's multi-pattern matcher, the
``hyperscan`` wheel for x86_64 and arm64) finds which of hundreds of
patterns occur in a 2 KB text in a few microseconds. The detectors use it
only to decide which of their Python checks can find anything
(:mod:`~engine.guardrails.vocabulary`, :mod:`~engine.guardrails.prefilter`):
the checks themselves, and so the findings, are the same with and without
it. Without Hyperscan every check runs, as :func:`enabled` reports and one
debug log line says.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

hyperscan: Any
try:
    hyperscan = importlib.import_module("hyperscan")
except ImportError:  # no wheel for this platform: the Python path gives the same findings
    hyperscan = None

CASELESS = 1  # hyperscan.HS_FLAG_CASELESS, also when the wheel is missing

_log = logging.getLogger("tenantflow.guardrails")
_enabled = hyperscan is not None
_announced = False
_lock = threading.Lock()


def enabled() -> bool:
    """Whether the compiled path is in use (Hyperscan is installed and not switched off)."""
    if not _announced:
        _announce()
    return _enabled


@contextmanager
def disabled() -> Iterator[None]:
    """Take the pure-Python path inside the block (tests compare both paths)."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before


def _announce() -> None:
    global _announced
    _announced = True
    if hyperscan is None:
        _log.debug("hyperscan is not installed: guardrail detectors take the pure-Python path "
                   "(same findings, slower)")
    else:
        _log.debug("guardrail detectors gate their checks with Hyperscan %s", hyperscan.__version__)


class Database:
    """Patterns compiled together, scanned over bytes in one pass.

    Compiling takes milliseconds (about 10 for 250 words), so it happens on
    the first scan, once. With ``single`` (for :meth:`matching`, or per
    expression) a pattern is reported once at most however often it occurs,
    so the Python callback runs once per pattern found; without it (for
    :meth:`ends`) once per place a match ends.
    """

    def __init__(self, expressions: Sequence[bytes], flags: Sequence[int] | int = 0, *, literal: bool = False,
                 single: Sequence[bool] | bool = True):
        self._expressions = list(expressions)
        self._flags = flags
        self._literal = literal
        self._single = single
        self._database: Any = None
        self._local = threading.local()

    def matching(self, data: bytes) -> list[int]:
        """Indexes of the expressions that match somewhere in ``data``."""
        found: list[int] = []
        self._scan(data, _collect, found)
        return found

    def ends(self, data: bytes) -> list[tuple[int, int]]:
        """(index, end offset) of every match of the expressions in ``data``."""
        found: list[tuple[int, int]] = []
        self._scan(data, _collect_end, found)
        return found

    def _scan(self, data: bytes, handler: Any, found: list[Any]) -> None:
        database = self._database or self._compile()
        if database is False:
            return
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            # Hyperscan releases the GIL while it scans: each thread needs its own scratch space.
            scratch = self._local.scratch = hyperscan.Scratch(database)
        database.scan(data, match_event_handler=handler, context=found, scratch=scratch)

    def _compile(self) -> Any:
        with _lock:
            if self._database is None:
                if not self._expressions:
                    self._database = False  # nothing can match
                else:
                    count = len(self._expressions)
                    flags = [self._flags] * count if isinstance(self._flags, int) else self._flags
                    single = [self._single] * count if isinstance(self._single, bool) else self._single
                    once = hyperscan.HS_FLAG_SINGLEMATCH
                    database = hyperscan.Database()
                    database.compile(
                        expressions=self._expressions,
                        ids=list(range(count)),
                        flags=[f | (once if s else 0) for f, s in zip(flags, single, strict=True)],
                        literal=self._literal,
                    )
                    self._database = database
        return self._database


def _collect(index: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(index)


def _collect_end(index: int, start: int, end: int, flags: int, found: list[tuple[int, int]]) -> None:
    found.append((index, end))
