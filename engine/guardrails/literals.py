"""What text every match of a tenant's regular expression starts with: a gate that skips texts it cannot match.

A tenant's own pattern (``mrn_pattern``, say ``\\b(?:MRN-\\d{7}|AH\\d{7})\\b``)
runs over every string the guards see. Python's regex engine finds a match
fast when the pattern starts with a literal, but a leading ``\\b`` hides it,
and the engine then tries every position of every string. Every match of
that pattern starts with ``MRN-`` or ``AH``: a string holding neither has no
match, which ``str.__contains__`` says in a fraction of the time.
"""

from __future__ import annotations

import re
from typing import Any

try:  # the regex parser of the standard library; without it, no gate (every pattern runs on every text)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
    from re._constants import AT, BRANCH, LITERAL, SUBPATTERN
except ImportError:  # pragma: no cover - a Python whose re module is laid out otherwise
    _sre_parse = None


def required_prefixes(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` starts with, after its leading zero-width
    assertions; None when there is no such set (the pattern must then run on every text).

    Case-insensitive patterns get no gate: case folding has cases ``str.lower`` does not mirror.

    >>> required_prefixes(re.compile(r"\\b(?:MRN-\\d{7}|AH\\d{7})\\b"))
    ('AH', 'MRN-')
    """
    if _sre_parse is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # the pattern compiled, so this is the parser's own business: no gate
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    found = _prefixes(list(parsed))
    return tuple(sorted(found)) if found else None


def _prefixes(items: list[Any]) -> set[str] | None:
    index = 0
    while index < len(items) and items[index][0] is AT:  # \b, ^, \A: they match no text
        index += 1
    if index == len(items):
        return None
    op, value = items[index]
    if op is LITERAL:
        literal = ""
        while index < len(items) and items[index][0] is LITERAL:
            literal += chr(items[index][1])
            index += 1
        return {literal}
    if op is BRANCH:
        found: set[str] = set()
        for alternative in value[1]:
            branch = _prefixes(list(alternative))
            if not branch:
                return None  # one alternative can start anywhere: so can a match
            found |= branch
        return found
    if op is SUBPATTERN:
        _group, add_flags, del_flags, inner = value
        if add_flags or del_flags:  # (?i:...) and the like
            return None
        return _prefixes(list(inner))
    return None
