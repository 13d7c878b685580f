"""Prefilters: which of a detector's checks can find anything in a text, and where, in one pass.

A detector names, for each of its checks, a regular expression that every
match of the check contains: its necessary condition (``eyJ...\\.eyJ`` for a
JWT, 40 base64 characters for an AWS secret key). The conditions are
compiled together (see :mod:`~engine.guardrails.compiled`) and the detector
skips the checks whose condition does not occur where the check looks:

* :meth:`Prefilter.possible` names the conditions that occur in the text,
  scanned over its UTF-8 bytes (so conditions use ASCII character classes
  only, no look-arounds and no bounded negated classes: a byte is not a
  character beyond ASCII);
* :meth:`Locator.locate` also says where each match ends, in characters: the
  text is scanned in Latin-1, one byte per character, every character beyond
  Latin-1 turned into ``?`` (conditions never match ``?``).

Without the compiled path nothing is skipped. A skipped check could not
have found anything, so the findings are the same either way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Mapping

from engine.guardrails import compiled
from engine.guardrails.text import words_of


class _Everything(Container[str]):
    """Every check is possible."""

    def __contains__(self, name: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "EVERYTHING"


EVERYTHING: Container[str] = _Everything()

# The only characters whose lower case holds ASCII letters ("\u212a".lower() == "k"): a
# caseless condition scanned over the original bytes would miss what they become.
_LOWER_TO_ASCII = tuple(char.encode() for char in ("\u0130", "\u212a"))


class Prefilter:
    """Named necessary conditions, compiled together.

    ``caseless`` names the conditions of checks that run on the lower-cased text.

    >>> jwt = Prefilter({"jwt": r"eyJ[A-Za-z0-9_-]{8,}\\.eyJ"})
    >>> "jwt" in jwt.possible("token eyJhbGciOiJI.eyJzdWIi.x"), "jwt" in jwt.possible("no token")
    (True, False)
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

    def possible(self, text: str) -> Container[str]:
        """The names of the checks that can find something in ``text``."""
        if not compiled.enabled():
            return EVERYTHING
        data = words_of(text).utf8
        if self._caseless and not text.isascii() and any(char in data for char in _LOWER_TO_ASCII):
            return EVERYTHING
        names = self._names
        return frozenset([names[index] for index in self._database.matching(data)])


class Located:
    """Where the matches of a :class:`Locator`'s conditions end in one text (character offsets).

    ``exact``: the text is Latin-1, so conditions that match letters beyond
    ASCII (written for Latin-1) were located too; otherwise only their ASCII
    parts can have been.
    """

    __slots__ = ("ends", "exact")

    def __init__(self, ends: dict[str, list[int]], exact: bool):
        self.ends = ends
        self.exact = exact

    def __repr__(self) -> str:
        return f"Located({self.ends!r}, exact={self.exact})"

    def between(self, name: str, low: int, high: int) -> bool:
        """Whether a match of ``name`` ends after ``low`` and no later than ``high``."""
        ends = self.ends[name]
        index = bisect_right(ends, low)
        return index < len(ends) and ends[index] <= high


class Locator:
    """Named necessary conditions, compiled together; :meth:`locate` finds where their matches end.

    Conditions are written for Latin-1 bytes; ``caseless`` ones ignore the
    case of ASCII letters (spell out the cases of other letters).

    >>> ssn = Locator({"ssn": r"\\d{3}-\\d{2}-\\d{4}"}).locate("SSN 123-45-6789, ok")
    >>> ssn is None or ssn.ends == {"ssn": [15]}
    True
    """

    def __init__(self, conditions: Mapping[str, str], *, caseless: Container[str] = ()):
        self._names = list(conditions)
        self._database = compiled.Database(
            [pattern.encode("latin-1") for pattern in conditions.values()],
            [compiled.CASELESS if name in caseless else 0 for name in self._names],
            single=False,
        )

    def __repr__(self) -> str:
        return f"Locator({self._names!r})"

    def locate(self, text: str) -> Located | None:
        """Where each condition's matches end in ``text``; None without the compiled path."""
        if not compiled.enabled():
            return None
        try:
            data, exact = text.encode("latin-1"), True
        except UnicodeEncodeError:
            data, exact = text.encode("latin-1", "replace"), False
        names = self._names
        ends: dict[str, list[int]] = {name: [] for name in names}
        for index, end in self._database.ends(data):
            ends[names[index]].append(end)
        for found in ends.values():
            if len(found) > 1:
                found.sort()
        return Located(ends, exact)
