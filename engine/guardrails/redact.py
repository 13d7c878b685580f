"""Typed placeholders for redacted values, consistent within a run.

The first email redacted in a run becomes ``[EMAIL]``, a second, different
one ``[EMAIL_2]``, and the first one again ``[EMAIL]``. So a model reading
the redacted text can still tell two people apart without seeing either
address.

To recognise a value seen before, :class:`Placeholders` keeps a keyed
BLAKE2 digest of it, never the value. The key is random per process and
never stored, so the digests cannot be brute-forced back (an SSN has only
a billion values) by anyone who reads a heap dump without the key.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Hashable

_KEY = secrets.token_bytes(32)


class Placeholders:
    """The placeholders of one run.

    >>> names = Placeholders()
    >>> [names.get("email", v) for v in ("a@x.io", "b@x.io", "a@x.io")]
    ['[EMAIL]', '[EMAIL_2]', '[EMAIL]']
    """

    __slots__ = ("_assigned", "_counts")

    def __init__(self) -> None:
        self._assigned: dict[bytes, str] = {}
        self._counts: dict[str, int] = {}

    def get(self, kind: str, value: str) -> str:
        digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), key=_KEY, digest_size=16,
                                 person=kind.encode()[:16]).digest()
        found = self._assigned.get(digest)
        if found is None:
            count = self._counts.get(kind, 0) + 1
            self._counts[kind] = count
            label = kind.upper()
            found = self._assigned[digest] = f"[{label}]" if count == 1 else f"[{label}_{count}]"
        return found


class RunPlaceholders:
    """Placeholders per run, kept for the input and output guards of the same run.

    Bounded: the least recently used runs are forgotten first (a forgotten
    run only numbers new values afresh; nothing unsafe follows).
    """

    def __init__(self, maxsize: int = 4096):
        self._runs: OrderedDict[Hashable, Placeholders] = OrderedDict()
        self._maxsize = maxsize

    def start(self, run: Hashable) -> Placeholders:
        """Fresh placeholders for a run that starts now (the input guard)."""
        placeholders = self._runs[run] = Placeholders()
        self._runs.move_to_end(run)
        while len(self._runs) > self._maxsize:
            self._runs.popitem(last=False)
        return placeholders

    def get(self, run: Hashable) -> Placeholders:
        """The run's placeholders (the output guard), or fresh ones if it is unknown."""
        found = self._runs.get(run)
        return found if found is not None else self.start(run)
