"""Prefilters: which of a detector's checks can find anything in a text, and where, in one pass.

A detector names, for each of its checks, a regular expression that every
match of the check contains: its necessary condition (``eyJ...\\.eyJ`` for a
JWT, 40 base64 characters for an AWS secret key). The conditions are
compiled together (see :mod:`~engine.guardrails.compiled`) and the detector
skips the checks whose condition does not occur where the check looks:

* :meth:`Prefilter.possible` names the conditions that occur in the text,
  scanned over its UTF-8 bytes between two newlines (so conditions use ASCII
  character classes only, no look-arounds and no bounded negated classes: a
  byte is not a character beyond ASCII; and an edge of the text is a
  character like any other: ``[^A-Za-z]`` rather than ``(?:^|[^A-Za-z])``,
  which Hyperscan compiles several times slower);
* :meth:`Locator.locate` also says where each match ends, in characters
  (the byte offsets of a text beyond ASCII are converted).

Without the compiled path nothing is skipped. A skipped check could not
have found anything, so the findings are the same either way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Mapping, Sequence

from engine.guardrails import compiled
from engine.guardrails.conditions import lowers_to_ascii
from engine.guardrails.text import words_of


class Prefilter:
    """Named necessary conditions, compiled together.

    ``caseless`` names the conditions of checks that run on the lower-cased text.

    >>> jwt = Prefilter({"jwt": r"eyJ[A-Za-z0-9_-]{8,}\\.eyJ"})
    >>> jwt.possible("token eyJhbGciOiJI.eyJzdWIi.x") in ({"jwt"}, None), jwt.possible("no token") in (set(), None)
    (True, True)
    """

    def __init__(self, conditions: Mapping[str, str], *, caseless: Container[str] = ()):
        self._names = list(conditions)
        self._caseless = any(name in caseless for name in self._names)
        self._database = compiled.Database(
            [pattern.encode("ascii") for pattern in conditions.values()],
            [compiled.CASELESS if name in caseless else 0 for name in self._names],
        )

    def __repr__(self) -> str:
        return f"Prefilter({self._names!r})"

    def possible(self, text: str) -> frozenset[str] | None:
        """The names of the conditions that occur in ``text``; None if any can (the Python path)."""
        if not compiled.enabled():
            return None
        if self._caseless and lowers_to_ascii(text):
            return None
        data = words_of(text).padded
        names = self._names
        return frozenset([names[index] for index in self._database.matching(data)])


class Located:
    """What a :class:`Locator` found in one text.

    ``ends``: where the matches of each ``where`` condition end (character
    offsets, sorted); ``present``: the ``whether`` conditions that match.
    ``exact`` is False when the text holds a character whose lower case is
    ASCII (see :func:`~engine.guardrails.conditions.lowers_to_ascii`): the
    caseless conditions may then have missed what it becomes.
    """

    __slots__ = ("ends", "exact", "present")

    def __init__(self, ends: dict[str, list[int]], present: frozenset[str], exact: bool):
        self.ends = ends
        self.present = present
        self.exact = exact

    def __repr__(self) -> str:
        return f"Located({self.ends!r}, present={sorted(self.present)!r}, exact={self.exact})"


def ends_between(ends: Sequence[int], low: int, high: int) -> bool:
    """Whether one of ``ends`` (sorted) is after ``low`` and no later than ``high``."""
    index = bisect_right(ends, low)
    return index < len(ends) and ends[index] <= high


# UTF-8 continuation bytes all made 0x80: counting them turns byte offsets into character offsets.
_CONTINUATION = bytes.maketrans(bytes(range(0x80, 0xC0)), b"\x80" * 0x40)


class Locator:
    """Named necessary conditions on UTF-8 bytes, compiled together and scanned in one pass.

    :meth:`locate` says where the matches of each ``where`` condition end
    and which ``whether`` conditions match at all (those are reported once
    each, however often they occur). ``caseless`` conditions ignore the case
    of ASCII letters (spell out the cases of other letters with
    :func:`~engine.guardrails.conditions.caseless`).

    The conditions see the text between two newlines, as a Prefilter's do.

    >>> ssn = Locator({"ssn": r"\\d{3}-\\d{2}-\\d{4}"}).locate("SSN — 123-45-6789, ok")
    >>> ssn is None or ssn.ends == {"ssn": [17]}
    True
    """

    def __init__(self, where: Mapping[str, str], *, whether: Mapping[str, str] | None = None,
                 caseless: Container[str] = ()):
        whether = whether or {}
        self._names = [*where, *whether]
        self._where = list(where)
        self._caseless = any(name in caseless for name in self._names)
        patterns = [*where.values(), *whether.values()]
        self._database = compiled.Database(
            [pattern.encode("ascii") for pattern in patterns],
            [compiled.CASELESS if name in caseless else 0 for name in self._names],
            single=[False] * len(where) + [True] * len(whether),
        )

    def __repr__(self) -> str:
        return f"Locator({self._names!r})"

    def locate(self, text: str) -> Located | None:
        """What the conditions find in ``text``; None without the compiled path."""
        if not compiled.enabled():
            return None
        data = words_of(text).padded
        found = self._database.ends(data)
        names, where = self._names, len(self._where)
        ends: dict[str, list[int]] = {name: [] for name in self._where}
        present = []
        if found and not text.isascii():
            found = _in_characters(data, found)
        last = len(text)
        for index, end in found:
            if index < where:
                # Offsets in the text: one less for the newline before it, and none past its end.
                ends[names[index]].append(min(end - 1, last))
            else:
                present.append(names[index])
        for located in ends.values():
            if len(located) > 1:
                located.sort()
        exact = not (self._caseless and lowers_to_ascii(text))
        return Located(ends, frozenset(present), exact)


def _in_characters(data: bytes, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(index, byte offset) pairs with the offsets in characters.

    An offset inside a character (a condition can end on its first byte)
    becomes the offset after that character.
    """
    marks = data.translate(_CONTINUATION)
    found.sort(key=lambda pair: pair[1])
    converted = []
    counted = continuations = 0
    for index, end in found:
        continuations += marks.count(0x80, counted, end)
        counted = end
        converted.append((index, end - continuations))
    return converted
