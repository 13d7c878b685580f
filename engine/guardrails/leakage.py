"""Leakage across tenants: another tenant's identifying marks in this tenant's output.

Every tenant has marks: its id and name (unless it opts out), the
``markers`` it declares (brand names, domains, internal codes) and its
``canaries``, values planted in its own data that no other tenant can
legitimately see. The output guard of tenant A looks for the marks of
every tenant but A in A's output, tool results, retrieved text and
memory. A hit means data crossed a tenant boundary.

One :class:`LeakageIndex` holds the marks of every tenant of a project, so
its cost does not grow with the number of tenants per check. A mark is seen
through the ways it can be disguised:

* case, invisible characters, look-alike letters, full-width forms and
  accents (``CÁNARY``, combining marks): the text is folded
  (:func:`~engine.guardrails.text.fold`) and its accents dropped;
* separators: a mark's words are its letters and digits, so ``-``, ``_``,
  ``.``, ``/`` and spaces between them are all alike; a multi-word mark also
  matches with its words run together ("acmehealth");
* spacing: canaries and long marks (8 letters and digits or more) are also
  looked for in the text with every separator removed, so
  ``C A N A R Y - a c m e`` is found;
* encodings: tokens in base64, hex or URL encoding are decoded and looked at
  the same way; the finding spans the encoded token.

Words are matched with a set intersection first, so a text that shares no
first word with any mark costs one pass.

A tenant id or name that is a word of a dictionary (``acme``; the English
dictionary of ``pyspellchecker``) counts only where it identifies: written with a
capital ("Acme", "ACME"), in an address (``acme.com``, ``@acme``,
``/acme/``), or beside a word that names an organisation (tenant, customer,
client, company, inc, corp, ltd, llc, gmbh, team). "The acme of customer
service" is not a leak.

Findings say ``tenant_marker`` or ``tenant_canary``, never which tenant's:
the records go back to the tenant whose output leaked, and naming the other
tenant would be a leak of its own.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from engine.guardrails.base import Finding
from engine.guardrails.text import fold

# Letters and digits: "_" separates words like "-" does.
_WORD = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Marks this long (letters and digits) are also looked for with all separators gone.
_COMPACT_MIN = 8
# Base64 and hex characters become "a", the rest a space: a run of 12 "a" is a token worth decoding.
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-"
_B64_CLASS = bytes(ord("a") if byte in _B64_ALPHABET else ord(" ") for byte in range(256))
_TOKEN_RUN = b"a" * 12
_RUNS = re.compile(rb"a{12,}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
# Characters spaced out ("C A N A R Y", "c-a-n-a-r-y"): three single characters in a row between one
# separator (a pattern per separator: a literal first character lets the regex engine skip ahead).
_SPACED_OUT = tuple(re.compile(f"{re.escape(sep)}[^\\W_]{re.escape(sep)}[^\\W_]{re.escape(sep)}[^\\W_]{re.escape(sep)}")
                    for sep in " -_./")
_URL_TOKEN = re.compile(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)+")
_ORGANISATION_WORDS = frozenset(
    "tenant tenants customer customers client clients company companies inc corp corporation ltd llc gmbh ag sa "
    "team org organisation organization kunde mandant société empresa".split())
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
    #: A common word of a dictionary: it counts only where it identifies (see the module's docstring).
    common: bool = False


def skeleton(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded (:func:`~engine.guardrails.text.fold`) with its accents dropped, and where each of
    its characters came from (None: one for one, as for ASCII text).

    >>> skeleton("CA\u0301NARY")[0]
    'canary'
    """
    if text.isascii():
        return text.lower(), None
    parts: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        becomes = _skeleton_char(char)
        parts.append(becomes)
        origins.extend([index] * len(becomes))
    origins.append(len(text))
    return "".join(parts), origins


@functools.lru_cache(maxsize=8192)
def _skeleton_char(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", fold(char)) if not unicodedata.combining(c))


@functools.cache
def _dictionary() -> frozenset[str]:
    """The words of pyspellchecker's English dictionary (160,000 words, about half a second to load, once per
    process and only for a project with a single-word marker). The other languages' dictionaries would
    take ten times the memory and time; tenant ids are brand names, checked against English."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


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
                    words = tuple(_WORD.findall(skeleton(value)[0]))
                    if not words:
                        continue
                    forms = [words] + ([("".join(words),)] if len(words) > 1 else [])
                    for form in forms:
                        mark = by_words.setdefault(form, _Mark(form, kind))
                        if kind == "tenant_canary":
                            mark.kind = kind  # a canary is the stronger claim
                        mark.owners.add(tenant.tenant_id)
        single = [m for m in by_words.values() if m.kind == "tenant_marker" and len(m.words) == 1
                  and m.words[0].isalpha() and m.words[0].isascii()]
        if single:
            dictionary = _dictionary()
            for mark in single:
                mark.common = mark.words[0] in dictionary
        # Marks long enough to look for with every separator gone: letters and digits run together.
        self._compact = {"".join(m.words): m for m in by_words.values()
                         if m.kind == "tenant_canary" or len("".join(m.words)) >= _COMPACT_MIN}
        self._compact_pattern = re.compile("|".join(
            re.escape(k) for k in sorted(self._compact, key=len, reverse=True))) if self._compact else None
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
        if not self._first_words or len(text) < self._shortest:
            return []
        folded, origins = skeleton(text)
        spans = self._word_spans(text, folded, origins, tenant)
        spans += self._compact_spans(folded, origins, spans, tenant)
        spans += self._encoded_spans(text, spans, tenant)
        return [Finding("leakage", kind, start, end, 1.0 if kind == "tenant_canary" else 0.9)
                for start, end, kind in sorted(spans)]

    def _word_spans(self, text: str, folded: str, origins: list[int] | None,
                    tenant: str) -> list[tuple[int, int, str]]:
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
            start, end = _origin(origins, words[index][1]), _origin(origins, words[index + length - 1][2])
            if not mark.common or _identifies(text, start, end):
                spans.append((start, end, mark.kind))
            index += length
        return spans

    def _compact_spans(self, folded: str, origins: list[int] | None, found: list[tuple[int, int, str]],
                       tenant: str) -> list[tuple[int, int, str]]:
        """Long marks and canaries written with separators between their characters ("C A N A R Y")."""
        if self._compact_pattern is None or not any(p.search(folded) for p in _SPACED_OUT):
            return []
        compact = _NOT_ALNUM.sub("", folded)
        if len(compact) == len(folded) or self._compact_pattern.search(compact) is None:
            return []  # nothing was removed (the word pass saw it all), or no mark is there
        # Where each character of the compact text is in the folded text.
        positions = [m.start() + k for m in _WORD.finditer(folded) for k in range(m.end() - m.start())]
        spans = []
        for match in self._compact_pattern.finditer(compact):
            mark = self._compact[match.group()]
            start, end = _origin(origins, positions[match.start()]), _origin(origins, positions[match.end() - 1] + 1)
            if tenant in mark.owners or any(s < end and start < e for s, e, _ in found):
                continue
            spans.append((start, end, mark.kind))
        return spans

    def _encoded_spans(self, text: str, found: list[tuple[int, int, str]],
                       tenant: str) -> list[tuple[int, int, str]]:
        """Marks in base64, hex or URL-encoded tokens; the span is the token's."""
        spans = []
        for start, end, decoded in _decoded_tokens(text):
            if any(s < end and start < e for s, e, _ in found):
                continue
            inner = self._word_spans(decoded, *skeleton(decoded), tenant) + self._compact_spans(
                *skeleton(decoded), [], tenant)
            if inner:
                kind = "tenant_canary" if any(k == "tenant_canary" for _, _, k in inner) else "tenant_marker"
                spans.append((start, end, kind))
        return spans

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


def _origin(origins: list[int] | None, offset: int) -> int:
    return offset if origins is None else origins[min(offset, len(origins) - 1)]


def _identifies(text: str, start: int, end: int) -> bool:
    """Whether a common word at ``text[start:end]`` names an organisation there (see the module's docstring)."""
    word = text[start:end]
    if not word.islower():
        return True  # "Acme", "ACME"
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    if "@" in before or "/" in before or re.match(r"\.[a-z]", after) or after[:1] == "/":
        return True  # an address: acme.com, @acme, /acme/
    neighbours = re.findall(r"[^\W\d_]+", text[max(0, start - 20) : start].lower())[-1:] + re.findall(
        r"[^\W\d_]+", text[end : end + 20].lower())[:1]
    return any(n in _ORGANISATION_WORDS for n in neighbours)


def _decoded_tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, decoded text) of the base64, hex and URL-encoded tokens of ``text`` that decode to text."""
    if "%" in text:
        for match in _URL_TOKEN.finditer(text):
            decoded = unquote(match.group())
            if decoded != match.group():
                yield match.start(), match.end(), decoded
    classes = text.encode("utf-8", "surrogatepass").translate(_B64_CLASS)
    if _TOKEN_RUN not in classes:
        return
    # Byte offsets of the classes to character offsets (each character repeated once per byte).
    offsets = None if text.isascii() else [
        i for i, c in enumerate(text) for _ in range(len(c.encode("utf-8", "surrogatepass")))]
    for run in _RUNS.finditer(classes):
        start, end = (run.start(), run.end()) if offsets is None else (offsets[run.start()], offsets[run.end() - 1] + 1)
        plain = _decode_token(text[start:end].rstrip("="))
        if plain is not None:
            yield start, end, plain


def _decode_token(token: str) -> str | None:
    """A hex or base64 token decoded to printable text; None if it is neither (or a long word)."""
    raw: bytes
    if _HEX.fullmatch(token):
        raw = bytes.fromhex(token)
    elif token.isalpha() and (token.islower() or token.istitle()):
        return None  # a long word, not an encoding
    else:
        try:
            raw = base64.b64decode(token.replace("-", "+").replace("_", "/") + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded if decoded.isprintable() else None
