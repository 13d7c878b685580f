"""PII detectors: email addresses, phone numbers, US SSNs, payment cards.

Speed matters because guard nodes run on every request. Python's regex
engine scans a 2 KB string at roughly 10 ns per character per pass on the
slow machines we target, so the detector avoids whole-text passes:

* emails are looked for only around each ``@`` (found with ``str.find``);
* numbers are looked for only if the text has enough ASCII digits. A copy
  of the text with every digit turned into ``0`` gives the count
  (``str.count``) and lets one pass with a literal first character (which
  the engine finds several times faster than a character class) locate the
  digit runs long enough to hold a phone, SSN or card. The precise patterns
  then run inside those runs only.

Formats recognised, and what is deliberately left out:

* phone: North American numbers with separators (``+1 415-555-0100``,
  ``(415) 555-0100``, ``415.555.0100``) and ``+``-prefixed international
  numbers (``+44 20 7946 0958``) of 8 to 15 digits. Bare digit strings
  (``4155550100``) and national formats without ``+`` outside North America
  are not matched: they look too much like order numbers and ids.
* us_ssn: ``###-##-####`` with a valid area (not 000, 666, 9xx), group (not
  00) and serial (not 0000).
* payment_card: 13-19 digits, optionally grouped by spaces or dashes, with a
  known issuer prefix and length (Visa, Mastercard, Amex, Discover) and a
  valid Luhn checksum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from engine.guardrails.base import Finding

PiiType = Literal["email", "phone", "us_ssn", "payment_card"]
PII_TYPES: tuple[PiiType, ...] = ("email", "phone", "us_ssn", "payment_card")

#: Fixed per type: a match that passes the format checks is this likely to be real.
CONFIDENCE: dict[PiiType, float] = {"email": 0.95, "phone": 0.75, "us_ssn": 0.85, "payment_card": 0.95}

_NUMERIC_TYPES: frozenset[PiiType] = frozenset({"phone", "us_ssn", "payment_card"})

# Fewest digits each numeric type needs; below the smallest, no pass runs.
_MIN_DIGITS: dict[PiiType, int] = {"phone": 8, "us_ssn": 9, "payment_card": 13}

# RFC 5321 bounds: local part <= 64 characters, domain <= 253.
_MAX_LOCAL, _MAX_DOMAIN = 64, 253

_EMAIL = re.compile(
    r"""
    (?<![A-Za-z0-9._%+-])                      # start of the local part, not inside one
    [A-Za-z0-9._%+-]{1,64}
    @
    (?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+
    [A-Za-z]{2,63}
    (?![A-Za-z0-9-])
    """,
    re.VERBOSE,
)

# A digit run long enough (8+ characters) to hold any numeric type, found
# in the zeroed copy of the text. It can span several numbers joined by
# spaces; the precise patterns sort them out.
_CANDIDATE = re.compile(r"0[0 .()-]{6,}0")
_NONZERO_DIGIT = re.compile(r"[1-9]")
_ZERO_DIGITS = str.maketrans("123456789", "000000000")

# What a match must contain, in the zeroed text. International phones start
# with "+", which can only sit just before a run.
_SSN_SHAPE = "000-00-0000"
_NANP_SHAPES = ("000-0000", "000.0000", "000 0000")

# The precise patterns use re.ASCII: the pre-filter counts ASCII digits, and
# the formats recognised are written with them. Their edges keep a match from
# continuing an id (``ORDER-415-555-0100``), a decimal or a longer number.
_PHONE = re.compile(
    r"""
    (?<![\w+.-])
    (?:
        (?P<nanp>
            (?:\+?1[ .-]?)?
            (?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[ .-])
            [2-9]\d{2}[ .-]\d{4}
        )
      | (?P<intl>
            \+[1-9]\d{0,2}
            (?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}
        )
    )
    (?![\w-]|\.\d)
    """,
    re.VERBOSE | re.ASCII,
)

_SSN = re.compile(
    r"(?<![\w.-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-]|\.\d)",
    re.ASCII,
)

# Loose on purpose: spaces may glue a card to a neighbouring number
# ("qty 2 4111 1111 1111 1111 12/25"); _card_spans picks the card out. A
# leading "+" marks a phone number, never a card.
_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){12,}(?!\d)", re.ASCII)
_DIGIT_GROUP = re.compile(r"\d+", re.ASCII)

_STRIP_SEPARATORS = str.maketrans("", "", " ().+-")


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn checksum.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def known_card_prefix(digits: str) -> bool:
    """Whether ``digits`` has the prefix and length of a Visa, Mastercard, Amex or Discover card."""
    length = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return length == 16
    if two in (34, 37):
        return length == 15
    if four == 6011 or two == 65 or 644 <= three <= 649:
        return 16 <= length <= 19
    return False


class PiiDetector:
    """Finds the configured PII types in a string.

    One instance scans for several types in one go, so the numeric
    pre-filter and candidate pass are shared by phone, SSN and card.

    >>> PiiDetector(["email"]).scan("write to ann@example.com")
    [Finding(category='pii', type='email', start=9, end=24, confidence=0.95)]
    """

    name = "pii"

    def __init__(self, types: Iterable[str]):
        wanted = frozenset(types)
        unknown = sorted(wanted.difference(PII_TYPES))
        if unknown:
            raise ValueError(f"unknown PII type(s) {', '.join(unknown)}; known: {', '.join(PII_TYPES)}")
        self.types: frozenset[PiiType] = frozenset(t for t in PII_TYPES if t in wanted)
        self._numeric = self.types & _NUMERIC_TYPES
        self._min_digits = min((_MIN_DIGITS[t] for t in self._numeric), default=0)

    def __repr__(self) -> str:
        return f"PiiDetector({sorted(self.types)!r})"

    def scan(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        if "email" in self.types and "@" in text:
            findings.extend(_scan_emails(text))
        if self._numeric:
            # str.translate is fast only on ASCII strings; regex substitution
            # is the quicker way to the same copy for any other text.
            zeroed = text.translate(_ZERO_DIGITS) if text.isascii() else _NONZERO_DIGIT.sub("0", text)
            if zeroed.count("0") >= self._min_digits:
                findings.extend(_scan_numbers(text, zeroed, self._numeric))
        findings.sort(key=lambda f: (f.start, f.end))
        return findings


def _scan_emails(text: str) -> list[Finding]:
    findings: list[Finding] = []
    size = len(text)
    resume = 0
    at = text.find("@")
    while at != -1:
        following = text.find("@", at + 1)
        # An address holds one '@', so its window stops at the neighbouring
        # ones: this keeps the scan linear even for text full of '@'.
        window_end = min(size if following == -1 else following, at + 1 + _MAX_DOMAIN)
        match = _EMAIL.search(text, max(resume, at - _MAX_LOCAL), window_end)
        if match:
            findings.append(Finding("pii", "email", match.start(), match.end(), CONFIDENCE["email"]))
        resume = at + 1
        at = following
    return findings


def _scan_numbers(text: str, zeroed: str, types: frozenset[PiiType]) -> list[Finding]:
    findings: list[Finding] = []
    size = len(text)
    for candidate in _CANDIDATE.finditer(zeroed):
        start, end = candidate.span()
        if start and text[start - 1] in "+(":
            start -= 1
        # One character past the run lets the patterns' look-aheads see what follows it.
        end = min(size, end + 1)
        # Most runs are dates, amounts and ids. Each pattern runs only if the
        # run holds what any of its matches must contain (the shapes are
        # necessary conditions, so nothing is missed), because calling a
        # pattern costs more than these substring searches.
        if "payment_card" in types and zeroed.count("0", start, end) >= _MIN_DIGITS["payment_card"]:
            for match in _CARD.finditer(text, start, end):
                findings.extend(
                    Finding("pii", "payment_card", s, e, CONFIDENCE["payment_card"]) for s, e in _card_spans(match)
                )
        if "us_ssn" in types and zeroed.find(_SSN_SHAPE, start, end) != -1:
            findings.extend(_numeric_finding("us_ssn", m) for m in _SSN.finditer(text, start, end))
        if "phone" in types and (text[start] == "+" or any(zeroed.find(s, start, end) != -1 for s in _NANP_SHAPES)):
            for match in _PHONE.finditer(text, start, end):
                phone_end = match.end() if match.lastgroup == "nanp" else _international_end(match)
                if phone_end:
                    findings.append(Finding("pii", "phone", match.start(), phone_end, CONFIDENCE["phone"]))
    return findings


def _international_end(match: re.Match[str]) -> int | None:
    """Where an international number ends: E.164 allows 8 to 15 digits.

    The pattern also takes trailing groups, so a number followed by another
    ("+44 20 7946 0958 1234") is cut back at a separator to 15 digits or fewer.
    """
    digits = 0
    cut = None
    for group in _DIGIT_GROUP.finditer(match.group()):
        digits += len(group.group())
        if digits > 15:
            break
        if 8 <= digits and (group.end() == len(match.group()) or not match.group()[group.end()].isdigit()):
            cut = match.start() + group.end()
    return cut


def _numeric_finding(pii_type: PiiType, match: re.Match[str]) -> Finding:
    return Finding("pii", pii_type, match.start(), match.end(), CONFIDENCE[pii_type])


def _card_spans(match: re.Match[str]) -> list[tuple[int, int]]:
    """Valid cards among consecutive digit groups: leftmost first, then longest."""
    offset = match.start()
    groups = [(g.start() + offset, g.end() + offset, g.group()) for g in _DIGIT_GROUP.finditer(match.group())]
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(groups):
        if groups[first][2][0] not in "23456":  # no known issuer prefix starts otherwise
            first += 1
            continue
        # Cards hold at most 19 digits, which bounds the work per group.
        candidates: list[tuple[int, str]] = []
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last][2]
            if len(digits) > 19:
                break
            if len(digits) >= 13:
                candidates.append((last, digits))
        for last, digits in reversed(candidates):
            if known_card_prefix(digits) and luhn_valid(digits):
                spans.append((groups[first][0], groups[last][1]))
                first = last
                break
        first += 1
    return spans
