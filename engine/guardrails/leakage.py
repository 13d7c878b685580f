"""Leakage across tenants: another tenant's identifying marks in this tenant's output.

Every tenant has marks: its id and name (unless it opts out), the
``markers`` it declares (brand names, domains, internal codes) and its
``canaries``, values planted in its own data that no other tenant can
legitimately see. The output guard of tenant A looks for the marks of
every tenant but A in A's output, tool results, retrieved text and
memory. A hit means data crossed a tenant boundary.

One :class:`LeakageIndex` holds the marks of every tenant of a project, so
its cost does not grow with the number of tenants per check: marks are
matched word by word (after :func:`~engine.guardrails.text.fold`, so case,
invisible characters, look-alike letters and full-width forms do not hide
them), and a text whose words share no first word with any mark is
dismissed with one set intersection. A multi-word mark also matches with
its words run together ("acmehealth").

Findings say ``tenant_marker`` or ``tenant_canary``, never which tenant's:
the records go back to the tenant whose output leaked, and naming the other
tenant would be a leak of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.guardrails.base import Finding
from engine.guardrails.text import fold, origin

_WORD = re.compile(r"\w+")
# With this many first words or fewer, str.find beats splitting the text into words.
_FIND_LIMIT = 48


@dataclass(frozen=True)
class TenantMarks:
    """What identifies one tenant: markers (id, name, declared ones) and canary values."""

    tenant_id: str
    markers: tuple[str, ...] = ()
    canaries: tuple[str, ...] = ()


def marks_from_layers(tenant_id: str, name: str | None, layers: Iterable[Mapping[str, Any]]) -> TenantMarks:
    """A tenant's marks from its raw guardrail layers (project, tier, tenant; later wins).

    Malformed values are skipped here: validating the tenant reports them.
    """
    match_id = match_name = True
    markers: list[str] = []
    canaries: list[str] = []
    for layer in layers:
        leakage = layer.get("leakage") if isinstance(layer, Mapping) else None
        if not isinstance(leakage, Mapping):
            continue
        if isinstance(leakage.get("match_id"), bool):
            match_id = leakage["match_id"]
        if isinstance(leakage.get("match_name"), bool):
            match_name = leakage["match_name"]
        markers += [m for m in leakage.get("markers") or [] if isinstance(m, str)]
        canaries += [c for c in leakage.get("canaries") or [] if isinstance(c, str)]
    own = ([tenant_id] if match_id else []) + ([name] if match_name and name else [])
    return TenantMarks(tenant_id, tuple(dict.fromkeys(own + markers)), tuple(dict.fromkeys(canaries)))


@dataclass
class _Mark:
    words: tuple[str, ...]
    kind: str
    owners: set[str] = field(default_factory=set)


class LeakageIndex:
    """The marks of every tenant, matched in one pass whatever their number.

    >>> index = LeakageIndex([TenantMarks("acme", ("Acme Health",), ("cnry-acme-51f0",)),
    ...                       TenantMarks("globex", ("Globex",))])
    >>> [(f.type, f.start, f.end) for f in index.scan("Ticket from ACME  health", tenant="globex")]
    [('tenant_marker', 12, 24)]
    >>> index.scan("Ticket from Acme Health", tenant="acme")
    []
    """

    name = "leakage"

    def __init__(self, marks: Iterable[TenantMarks]):
        by_words: dict[tuple[str, ...], _Mark] = {}
        for tenant in marks:
            for kind, values in (("tenant_marker", tenant.markers), ("tenant_canary", tenant.canaries)):
                for value in values:
                    words = tuple(_WORD.findall(fold(value)))
                    if not words:
                        continue
                    forms = [words] + ([("".join(words),)] if len(words) > 1 else [])
                    for form in forms:
                        mark = by_words.setdefault(form, _Mark(form, kind))
                        if kind == "tenant_canary":
                            mark.kind = kind  # a canary is the stronger claim
                        mark.owners.add(tenant.tenant_id)
        # First word -> marks starting with it, longest first (so "acme health" wins over "acme").
        self._by_first: dict[str, list[_Mark]] = {}
        for mark in sorted(by_words.values(), key=lambda m: -len(m.words)):
            self._by_first.setdefault(mark.words[0], []).append(mark)
        self._first_words = frozenset(self._by_first)
        self._first_list = tuple(sorted(self._first_words))
        self._shortest = min((len(w) for w in self._first_words), default=0)
        self.tenants = frozenset(owner for mark in by_words.values() for owner in mark.owners)

    def __repr__(self) -> str:
        return f"LeakageIndex({len(self._first_words)} first words, {len(self.tenants)} tenants)"

    def __bool__(self) -> bool:
        return bool(self._first_words)

    def scan(self, text: str, *, tenant: str) -> list[Finding]:
        """Marks of tenants other than ``tenant`` in ``text``."""
        if not self._first_words:
            return []
        if len(text) < self._shortest:
            return []
        folded = fold(text)
        if len(self._first_words) <= _FIND_LIMIT:
            for word in self._first_list:
                if word in folded:
                    break
            else:
                return []
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
        if len(self._first_words) > _FIND_LIMIT and self._first_words.isdisjoint(w for w, _, _ in words):
            return []
        spans: list[tuple[int, int, str]] = []
        index = 0
        while index < len(words):
            matched = self._match_at(words, index, tenant)
            if matched is None:
                index += 1
                continue
            mark, length = matched
            spans.append((words[index][1], words[index + length - 1][2], mark.kind))
            index += length
        if not spans:
            return []
        offsets = origin(text, folded, [o for start, end, _ in spans for o in (start, end)])
        return [
            Finding("leakage", kind, offsets[2 * i], offsets[2 * i + 1], 1.0 if kind == "tenant_canary" else 0.9)
            for i, (_, _, kind) in enumerate(spans)
        ]

    def _match_at(self, words: list[tuple[str, int, int]], index: int, tenant: str) -> tuple[_Mark, int] | None:
        candidates = self._by_first.get(words[index][0])
        if not candidates:
            return None
        for mark in candidates:
            size = len(mark.words)
            if index + size <= len(words) and all(words[index + k][0] == mark.words[k] for k in range(1, size)):
                if tenant in mark.owners:
                    return None  # the tenant's own mark (also when another tenant shares it)
                return mark, size
        return None
