"""The digit runs of a text that a PII number check can find something in.

Cards, IBANs, SSNs, IPv4 addresses and phone numbers all sit in a *run*:
at least 7 characters of ASCII digits, spaces and ``.()/-``, from a digit
to a digit (dates, amounts and ids are runs too). :func:`find_runs` finds them
and marks what each one could hold, from its shape and from where the
compiled conditions of :mod:`engine.guardrails.pii` matched; the detector
then runs only the checks a run is marked for, on the few runs that have a
mark. Every mark is a necessary condition of its check, so no finding is
lost.

A run is given as ``(start, end, digits, marks)``: ``start`` takes in a
``+`` or ``(`` just before its first digit, ``end`` one character after its
last (for the checks' look-aheads), ``digits`` counts the digits in
between. The marks:

* ``SSN``: it holds ``###-##-####`` or ``### ## ####``, or is nine digits
  in one group;
* ``DOTS``: it holds three dots (an IPv4 address);
* ``PHONE``: 7 digits or more, not a date, a phone number can start in it (a
  digit, ``+`` or ``(`` that no ASCII letter or digit, ``_``, ``+``, ``.`` or
  ``-`` glues to what stands before), and international (``+``), with
  a trunk prefix (``0``) or parentheses, or in groups: what can be a phone
  number with no word before it (the phone check, with libphonenumber's
  metadata, decides);
* ``DATE``: up to its last digit it is a date, whatever follows (never a
  phone number, so it has none of ``PHONE``, ``ALONE`` and ``CUE``);
* ``ALONE``: 8 digits or more, a phone number can start in it (as for
  ``PHONE``), not a date, and the run starts its line (only
  whitespace, ``(`` and ``+`` before it): a number can fill its line alone,
  as in a signature block;
* ``CARD``: a card number could be in it: 12 to 19 digits from the start
  of a group of digits to the end of a later one (groups separated by one
  space or dash) that have the range and length of an issuer of
  :data:`engine.guardrails.cards.ISSUERS` and pass the Luhn checksum;
* ``IBAN``: 8 digits or more, and an IBAN's condition ends from 12
  characters before the run to 26 after it;
* ``CUE``: 8 digits or more, a phone number can start in it, not a date,
  and a phone cue's condition ends in the 40 characters before the run (or
  at its first character).

``iban_ends`` and ``cue_ends`` are where those conditions end (sorted), or
None where they were not located (they can be anywhere).

A C version (``_digit_runs.c``, built with the package where a compiler is
present; ``setup.py`` makes it optional) finds the same runs many times
faster than the Python one, which is what a platform without a compiler
gets: :data:`ACCELERATED` says which is in use, and the tests check that
both agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from engine.guardrails.cards import FIRST_DIGITS, known_card_prefix, luhn_valid
from engine.guardrails.prefilter import ends_between

SSN, DOTS, PHONE, DATE, ALONE, CARD, IBAN, CUE = 1, 2, 4, 8, 16, 32, 64, 128
#: The marks that send a run to a check (``DATE`` only keeps one from being a phone number).
HOT = SSN | DOTS | PHONE | ALONE | CARD | IBAN | CUE

Run = tuple[int, int, int, int]
RunFinder = Callable[[str, "Sequence[int] | None", "Sequence[int] | None"], list[Run]]

_CANDIDATE = re.compile(r"0[0 .()/-]{5,}0")
_ZERO_BYTES = bytes.maketrans(b"123456789", b"000000000")
# Whitespace (str.isspace, as \s is for str patterns), then "(" and "+": what may stand before a number
# that fills its line.
_LINE_LEAD = re.compile(r"\s*[(+]*")
# Digits with one space or dash at most between two, 12 or more: what holds a card.
_CHAIN = re.compile(r"\d(?:[ -]?\d){11,}", re.ASCII)
# Where a phone number can start (engine.guardrails.phones._CANDIDATE starts one after none of these
# characters, nor after "/" or "," but for its CSV cases): a run of numbers glued to an id ("INV-2024-000123",
# "CUST-88231-77") or to a decimal has none.
_PHONE_START = re.compile(r"(?<![\w+.-])[\d+(]", re.ASCII)
_DATES = frozenset({"0000-00-00", "0000/00/00", "0000.00.00", "00-00-0000", "00/00/0000", "00.00.0000",
                    "0-00-0000", "0/00/0000", "0.00.0000", "00/0/0000", "0/0/0000", "00.0.0000"})
_PHONE_DIGITS = 7
_LONG_DIGITS = 8
_IBAN_BEFORE, _IBAN_AFTER = 12, 26
_CUE_WINDOW = 40


def zero_digits(text: str) -> str:
    """``text`` with every ASCII digit turned into ``0`` (same length, same offsets)."""
    # bytes.translate works through a 256-byte table: several times faster than
    # str.translate. ASCII digits never occur inside a multi-byte UTF-8 sequence,
    # so decoding gives back the same characters, digits zeroed, at the same offsets.
    return text.encode("utf-8", "surrogatepass").translate(_ZERO_BYTES).decode("utf-8", "surrogatepass")


def python_find_runs(text: str, iban_ends: Sequence[int] | None, cue_ends: Sequence[int] | None) -> list[Run]:
    """The runs of ``text`` with a mark in :data:`HOT` (see the module's docstring).

    >>> text = "call 030 1234567 or pay 4111 1111 1111 1111"
    >>> cue_ends = [5]  # where a phone cue's condition ends: just after "call"
    >>> [(text[start:end], bool(marks & CARD), bool(marks & CUE))
    ...  for start, end, _, marks in python_find_runs(text, [], cue_ends)]
    [('030 1234567 ', False, True), ('4111 1111 1111 1111', True, True)]
    """
    zeroed = zero_digits(text)
    if zeroed.count("0") < 2:
        return []
    size = len(text)
    found = []
    searched, line_start = 0, 0
    for candidate in _CANDIDATE.finditer(zeroed):
        first, last = candidate.span()
        newline = text.rfind("\n", searched, first)
        searched = first
        if newline != -1:
            line_start = newline + 1
        start = first - 1 if first and text[first - 1] in "+(" else first
        end = last + 1 if last < size else last
        run = zeroed[start:end]
        digits = run.count("0")
        marks = 0
        if "000-00-0000" in run or "000 00 0000" in run or (digits == 9 and last - first == 9):
            marks |= SSN
        if run.count(".") >= 3:
            marks |= DOTS
        if zeroed[start:last] in _DATES:  # whatever follows it ("2024-03-15;", "2024-03-15T10:30")
            marks |= DATE
        if digits >= 12 and _holds_card(text, first, last):
            marks |= CARD
        # The marks that send a run to the phone check, only where a phone number can be in it.
        phone = digits >= _PHONE_DIGITS and not marks & DATE and _PHONE_START.search(text, start, end) is not None
        if phone and _phone_shaped(text, start, first, last, digits):
            marks |= PHONE
        if digits >= _LONG_DIGITS:
            lead = _LINE_LEAD.match(text, line_start, first) if phone else None
            if lead is not None and lead.end() == first:
                marks |= ALONE
            if iban_ends is None or ends_between(iban_ends, start - _IBAN_BEFORE, end + _IBAN_AFTER):
                marks |= IBAN
            if phone and (cue_ends is None or ends_between(cue_ends, start - _CUE_WINDOW, start + 1)):
                marks |= CUE
        if marks & HOT:
            found.append((start, end, digits, marks))
    return found


def _phone_shaped(text: str, start: int, first: int, last: int, digits: int) -> bool:
    """Whether a run could be a phone number with no word before it: international (``+``), a trunk
    prefix (``0``) or parentheses, or digits in groups. Digits alone are an id as likely as a phone."""
    return text[start] in "+(" or text[first] == "0" or last - first > digits


def _holds_card(text: str, first: int, last: int) -> bool:
    for chain in _CHAIN.finditer(text, first, last):
        groups = chain.group().replace("-", " ").split(" ")
        for index, group in enumerate(groups):
            if group[0] not in FIRST_DIGITS:  # no issuer's range starts otherwise
                continue
            digits = ""
            for following in range(index, len(groups)):  # (slicing groups would copy the rest each time)
                digits += groups[following]
                if len(digits) > 19:
                    break
                if len(digits) >= 12 and known_card_prefix(digits) and luhn_valid(digits):
                    return True
    return False


def _accelerated() -> RunFinder | None:
    try:
        from engine.guardrails import _digit_runs  # type: ignore[attr-defined]
    except ImportError:  # built without a C compiler: the Python version finds the same runs
        return None
    finder: RunFinder = _digit_runs.find_runs
    return finder


#: The C version of :func:`python_find_runs`, where it was built; None elsewhere.
ACCELERATED: RunFinder | None = _accelerated()

_finder: RunFinder = ACCELERATED or python_find_runs


def find_runs(text: str, iban_ends: Sequence[int] | None, cue_ends: Sequence[int] | None) -> list[Run]:
    """:func:`python_find_runs`, in C where it was built."""
    return _finder(text, iban_ends, cue_ends)


@contextmanager
def python_only() -> Iterator[None]:
    """Use the Python version inside the block (tests and benchmarks compare both)."""
    global _finder
    before, _finder = _finder, python_find_runs
    try:
        yield
    finally:
        _finder = before
