"""Phone numbers of every region, validated with libphonenumber's metadata (the ``phonenumbers`` package).

The PII detector hands this module only *candidates*: digit runs of seven
digits or more that its compiled prefilter and run finder marked
(:mod:`engine.guardrails.digit_runs`). For each, :func:`find_phones` reads the
number-shaped stretches (groups of digits with the separators people write,
a ``+`` or ``00`` before an international number, a trunk prefix in
parentheses, an extension ``x874`` / ``ext. 12`` / ``#12`` after it) and keeps
the ones libphonenumber's metadata says are a valid number:

* international (``+44 20 7946 0958``, ``0044 20 7946 0958``): valid for a
  region of its country calling code; nothing else is asked;
* national with a trunk prefix (``030 1234567``, ``(0121) 496 0075``,
  ``8 (301) 123-45-67``): valid for a region whose national prefix it starts
  with;
* national without one (``(415) 555-0100``, ``2123 4567``): valid for a
  region and grouped the way that region writes its numbers;
* any valid number that a phone word introduces or that fills its line.

A number that an id word introduces (``order``, ``invoice``, ``ticket``,
...), a date and anything another check claimed (a card, an SSN, an IBAN) is
not a phone. Regions' patterns are checked through one combined regular
expression per national prefix and length, compiled on first use, so a
candidate that is valid nowhere costs one regex match; one region's validity
(general pattern and number types) and one calling code's are one regex too,
compiled once, never per number or per shape of number; the library's own
``parse`` (about 50 µs) would cost too much per candidate at guard-node rates.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata

#: Separators between the groups of a number, a group in parentheses, and an extension.
_CANDIDATE = re.compile(
    r"""
    (?:(?<![\w+/.,-])|(?<=[,/])(?=[+(]\d)|(?<=[^\d,],)(?=\d))
    # (a "+" or "(" after a comma or slash, "tel./+49 ..."; a field after a comma that follows no digit: a
    # CSV row, not the digit groups of "1,234,567")
    (?P<international>\+[ ]?|00)?
    # A country code wrapped with its "+": "(+358) 9 7543 2319" (and "+(370) 5749 1186", a group in parentheses).
    (?P<number>(?:(?<=\(\+)\d{1,3}\)[ ]?)?
               (?:\(\d{1,5}\)|\d{1,6})(?:(?:[ ]?[/-][ ]?|\.|[ ])?(?:\(\d{1,5}\)|\d{1,6})){0,7})
    (?P<extension>[ ]?(?:x|ext\.?|\#)[ ]?\d{1,6})?
    (?![\w-]|[.,/]\d)
    """,
    re.VERBOSE | re.ASCII,
)
_GROUP = re.compile(r"\d+", re.ASCII)
# A North American number with its separators: unmistakable whatever the area code (Faker's and people's
# numbers do not always use assigned ones).
_NANP = re.compile(
    r"(?:(?:1[ .-]?)?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .-])[2-9]\d\d[ .-]"
    # The two shapes nothing but a phone number takes, whatever digits they hold: "(547) 017-4681", "1-061-231-0077".
    r"|(?:1[ ]?)?\(\d{3}\)[ ]?\d{3}-|1-\d{3}-\d{3}-)\d{4}(?:[ ]?(?:x|ext\.?|\#)[ ]?\d{1,6})?", re.ASCII)
# A date, alone or followed by a time ("2024-03-15 12:00").
_DATE_SHAPE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}(?:$| )", re.ASCII)
_MIN_DIGITS, _MAX_DIGITS = 7, 15


@dataclass(frozen=True)
class _Region:
    code: str
    prefix: str
    general: re.Pattern[str]
    #: The region's number types (fixed line, mobile, ...) as one alternation that captures nothing.
    types: str
    #: A valid number of the region in one match: its general pattern (a lookahead to the end) and a type,
    #: so a check costs one call into the regex engine, not one per type.
    number: re.Pattern[str]
    #: The region's national formats: (leading digits, pattern whose groups are the written groups).
    formats: tuple[tuple[re.Pattern[str] | None, re.Pattern[str]], ...]

    def valid(self, national: str) -> bool:
        """Whether ``national`` (the national significant number) is a number of one of the region's types."""
        return self.number.fullmatch(national) is not None

    def groups(self, national: str) -> list[int] | None:
        """The sizes of the digit groups the region writes ``national`` in (its national format)."""
        for leading, pattern in self.formats:
            if leading is not None and leading.match(national) is None:
                continue
            match = pattern.fullmatch(national)
            if match is not None:
                return [len(group) for group in match.groups()]
        return None


_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip", "pager",
          "uan", "voicemail")


@functools.cache
def _regions() -> dict[str, _Region]:
    regions = {}
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = PhoneMetadata.metadata_for_region(code)
        if metadata is None:
            continue
        types = []
        for name in _TYPES:
            desc = getattr(metadata, name, None)
            if desc is not None and desc.national_number_pattern:
                types.append(f"(?:{desc.national_number_pattern})")
        formats = tuple(
            (re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None, re.compile(f.pattern))
            for f in metadata.number_format if f.pattern
        )
        general = metadata.general_desc.national_number_pattern if metadata.general_desc else None
        general = general or "(?!)"
        either = "|".join(types) or "(?!)"
        regions[code] = _Region(code, metadata.national_prefix or "", re.compile(general), either,
                                re.compile(f"(?=(?:{general})\\Z)(?:{either})"), formats)
    return regions


@functools.cache
def _general(prefix: str, length: int) -> tuple[re.Pattern[str] | None, tuple[_Region, ...]]:
    """One pattern for the numbers of every region with national prefix ``prefix`` whose numbers have ``length``.

    ``prefix`` "" stands for every region (a number written without its trunk prefix).
    """
    members = []
    patterns = []
    for code, region in _regions().items():
        if prefix and region.prefix != prefix:
            continue
        metadata = PhoneMetadata.metadata_for_region(code)
        general = metadata.general_desc if metadata is not None else None
        if general is None or not general.national_number_pattern or length not in (general.possible_length or ()):
            continue
        members.append(region)
        # The region's number types (fixed line, mobile, ...): a match is a valid number of the region.
        patterns.append(region.types)
    if not patterns:
        return None, ()
    # One capturing group per region (their own patterns capture nothing): the match says which region.
    return re.compile("|".join(f"({p})" for p in patterns)), tuple(members)


def valid_national(digits: str, prefix: str) -> _Region | None:
    """A region where ``digits`` (written with trunk prefix ``prefix``, or none for "") is a valid number.

    One combined pattern of every region's number types decides in one match (the regions one by one
    only in the rare case the first region's general pattern refuses the length).
    """
    national = digits[len(prefix):]
    pattern, members = _general(prefix, len(national))
    return _valid_in(pattern.fullmatch(national) if pattern is not None else None, members, national)


def _valid_in(match: re.Match[str] | None, members: tuple[_Region, ...], national: str) -> _Region | None:
    """The region where ``national`` is valid, given the match of the combined pattern of ``members``."""
    if match is None or match.lastindex is None:
        return None
    # The first region whose number types take it; its general pattern says whether the length is its.
    first = members[match.lastindex - 1]
    if first.general.fullmatch(national):
        return first
    return next((region for region in members[match.lastindex:] if region.valid(national)), None)


def valid_international(digits: str, *, grouped: bool) -> bool:
    """Whether ``digits`` (after the ``+``) is a country calling code and a number of one of its regions.

    A number written in groups (``+46 8 123 456 78``) need only have a possible length for its country:
    the ``+`` and the grouping say phone as clearly as the metadata would, and numbers people give are
    not always ones the metadata knows. Digits alone must be valid.
    """
    for size in (1, 2, 3):
        codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
        if codes:
            national = digits[size:]
            pattern = _calling(codes)
            if pattern is not None and pattern.fullmatch(national) is not None:
                return True
            return grouped and _possible(codes[0], len(national))
    return False


def possible_international(digits: str) -> bool:
    """Whether ``digits`` (after the ``+``) is a country calling code and a possible length for its number."""
    for size in (1, 2, 3):
        codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
        if codes:
            return _possible(codes[0], len(digits) - size)
    return False


@functools.cache
def _calling(codes: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern of the valid numbers of the regions of one country calling code (25 share "+1")."""
    regions = _regions()
    numbers = [regions[code].number.pattern for code in codes if code in regions]
    return re.compile("|".join(f"(?:{number})" for number in numbers)) if numbers else None


@functools.cache
def _possible(region: str, length: int) -> bool:
    metadata = PhoneMetadata.metadata_for_region(region) or PhoneMetadata.metadata_for_nongeo_region(
        phonenumbers.country_code_for_region(region))
    general = metadata.general_desc if metadata is not None else None
    return general is not None and length in (general.possible_length or ())


def _trunk_prefixes() -> tuple[str, ...]:
    return tuple(sorted({region.prefix for region in _regions().values() if region.prefix}, key=len, reverse=True))


_trunk = functools.cache(_trunk_prefixes)


@functools.cache
def _trunk_starts() -> frozenset[str]:
    """The first digits of the trunk prefixes: a number starting otherwise has none (one set lookup)."""
    return frozenset(prefix[0] for prefix in _trunk())


_SIZE = re.compile(r"\(\\d(?:\{(\d+)(?:,(\d+))?\})?\)")


def _size_ranges(pattern: str) -> list[tuple[int, int]] | None:
    """The (fewest, most) digits of each group of a format pattern like ``(\\d{3})(\\d{2,4})``; None if other."""
    ranges = []
    position = 0
    for match in _SIZE.finditer(pattern):
        if match.start() != position:
            return None
        low = int(match.group(1) or 1)
        ranges.append((low, int(match.group(2) or low)))
        position = match.end()
    return ranges if position == len(pattern) and ranges else None


@functools.cache
def _writing(sizes: tuple[int, ...]) -> tuple[_Region, ...]:
    """The regions with a national format whose groups can have these sizes (a format not of simple digit
    groups can have any)."""
    found = []
    for code, region in _regions().items():
        metadata = PhoneMetadata.metadata_for_region(code)
        for number_format in metadata.number_format if metadata is not None else ():
            ranges = _size_ranges(number_format.pattern or "")
            if ranges is None or (len(ranges) == len(sizes) and all(
                    low <= size <= high for (low, high), size in zip(ranges, sizes, strict=True))):
                found.append(region)
                break
    return tuple(found)


_TRUNK_IN_PARENTHESES = re.compile(r"\(0\)")


#: How sure each kind of evidence makes a phone finding.
INTERNATIONAL, NATIONAL, INTRODUCED = 0.8, 0.75, 0.6


#: What stands before a number (see :func:`find_phones`).
CUE, ID = "cue", "id"


def find_phones(text: str, start: int, end: int, context: Callable[[], str | None], *,
                cue_possible: bool = True) -> Iterator[tuple[int, int, float]]:
    """(start, end, confidence) of the valid phone numbers in ``text[start:end]``.

    ``context()`` says what stands before the stretch, asked only for a
    national number that is valid somewhere: :data:`CUE` (a phone word, or the
    number fills its line: any valid number counts), :data:`ID` (an id word:
    only an international number counts) or None. ``cue_possible`` False says
    it never answers :data:`CUE` (no phone word near, not alone on its line):
    then the numbers only a phone word would make count are not looked up.

    >>> [text[s:e] for text in ["Call +44 20 7946 0958 x12 today"] for s, e, _ in find_phones(text, 5, 26,
    ...                                                                                       lambda: None)]
    ['+44 20 7946 0958 x12']
    """
    # "(+358) ..." and "+(370) ...": a stretch that starts at the "+" or the "(" has the other just before it.
    wrapped = start > 0 and text[start - 1] in "(+" and text[start] in "(+"
    for match in _CANDIDATE.finditer(text, start - wrapped, end):
        found = _phone(match, context, cue_possible)
        if found is not None:
            begin, stop, confidence = found
            # Masked from the parenthesis, which belongs to the country code.
            yield begin - (begin > 0 and text[begin - 1 : begin + 1] == "(+"), stop, confidence


def _phone(match: re.Match[str], context: Callable[[], str | None],
           cue_possible: bool) -> tuple[int, int, float] | None:
    verdict = _verdict(match.group(), len(match.group("international") or ""), len(match.group("number")),
                       cue_possible)
    if verdict is None:
        return None
    confidence, length = verdict
    if confidence == INTERNATIONAL:
        return match.start(), match.start() + length, INTERNATIONAL
    # What stands before the number is asked only now, for a national number valid somewhere.
    answer = context()
    if answer == ID or (confidence == INTRODUCED and answer != CUE):
        return None
    return match.start(), match.start() + length, confidence


# Support text repeats its numbers (a hotline in every signature, the same order ids): what the metadata
# says of one written number is worked out once. Bounded, and keyed by the number's text alone.
@functools.lru_cache(maxsize=4096)
def _verdict(written: str, lead: int, size: int, introduced: bool) -> tuple[float, int] | None:
    """What the metadata says of one candidate, whatever stands before it: (confidence, length) or None.

    ``written`` is the candidate's text, its number ``written[lead:lead + size]`` after the ``+`` or
    ``00`` of an international one. :data:`INTERNATIONAL` needs nothing more; :data:`NATIONAL` holds
    unless an id word introduces the number; :data:`INTRODUCED` only after a phone word, so it is
    worked out only where ``introduced`` says one can stand (it is None otherwise).
    """
    number = written[lead : lead + size]
    if _DATE_SHAPE.match(number):
        return None
    groups = _GROUP.findall(number)
    if lead:
        # An international number can run into the next number ("+44 20 7946 0958 1234"): drop groups from
        # the end until it is one. A national one must be valid as written.
        ends = [group.end() for group in _GROUP.finditer(number)]
        for keep in range(len(groups), max(0, len(groups) - 3), -1):
            end = lead + ends[keep - 1] if keep < len(groups) else len(written)
            # "+44 (0)20 ...": the trunk prefix in parentheses is not dialled from abroad.
            dialled = "".join(_GROUP.findall(_TRUNK_IN_PARENTHESES.sub("", number[: end - lead])))
            if _MIN_DIGITS <= len(dialled) <= _MAX_DIGITS + 3 and valid_international(dialled, grouped=keep > 1):
                return INTERNATIONAL, end
        # "+4725150951" after "my phone": international digits of a possible length that the metadata does not
        # know as valid (new ranges, generated numbers) are a phone where a phone word says so.
        dialled = "".join(groups)
        if (introduced and len(groups) == 1 and _MIN_DIGITS <= len(dialled) <= _MAX_DIGITS
                and possible_international(dialled)):
            return INTRODUCED, len(written)
        return None
    digits = "".join(groups)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        return None
    trunk = digits[0] in _trunk_starts() and any(
        digits.startswith(prefix) and (len(groups) > 1 or prefix == "0") and valid_national(digits, prefix)
        for prefix in _trunk())  # digits alone start with "1" or "8" too often to count those
    if trunk or _NANP.fullmatch(written):
        return NATIONAL, len(written)
    if len(groups) == 1 and not introduced:  # digits alone: an id as likely as a phone, unless a phone word
        return None
    # One combined match of every region's number types rules out most numbers before any region is
    # tried; valid_national(digits, "") asks the same pattern, so a number it refuses is no phone at all.
    pattern, members = _general("", len(digits))
    match = pattern.fullmatch(digits) if pattern is not None else None
    if match is None:
        return None
    # Valid in a region that writes its numbers in these groups.
    if len(groups) > 1:
        sizes = [len(group) for group in groups]
        if any(region.valid(digits) and region.groups(digits) == sizes for region in _writing(tuple(sizes))):
            return NATIONAL, len(written)
    # Otherwise (digits alone, no trunk prefix: an id as likely as a phone) only after a phone word.
    if introduced and _valid_in(match, members, digits) is not None:
        return INTRODUCED, len(written)
    return None
