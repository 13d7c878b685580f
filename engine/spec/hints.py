"""Did-you-mean hints for names a user may have mistyped."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_SHOW_KNOWN = 8


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is most likely a typo of, if any."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint naming the closest known name, or listing the known ones."""
    options = sorted(set(known))
    close = closest(name, options)
    if close is not None:
        return f"did you mean '{close}'?"
    if not options:
        return ""
    shown = ", ".join(options[:_SHOW_KNOWN])
    more = f", ... ({len(options) - _SHOW_KNOWN} more)" if len(options) > _SHOW_KNOWN else ""
    return f"known: {shown}{more}"
