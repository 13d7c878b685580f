"""One spelling for text that can be written many ways, with the way back to the original offsets.

A card number with no-break spaces between its groups (``4111\u00a01111...``),
an SSN with zero-width spaces in it, full-width digits (``４１１１``) or a
phone number with en dashes all read to a person as the plain ASCII form,
and must read so to the detectors. :func:`normalize` gives that form:

* every character put in NFKC compatibility form on its own (full-width and
  half-width forms, superscripts, ligatures, circled digits become plain ones);
* format characters removed (Unicode category Cf: zero-width spaces and
  joiners, soft hyphen, bidi controls, the tag block) and the other
  characters that render as nothing (:data:`engine.guardrails.text.INVISIBLE`);
* every Unicode space (category Zs) made an ASCII space, line and paragraph
  separators a newline;
* every dash (category Pd, the minus sign, small and full-width hyphen-minus)
  made ``-``;
* every decimal digit of another script (category Nd: Arabic-Indic ``٤``,
  Devanagari ``४``, Bengali ``৪``, ...) made its ASCII digit, so a card number
  or a phone written in them reads as one.

Characters are mapped one by one (not whole-text NFKC), so each character of
the result comes from exactly one character of the original:
:meth:`Normalized.span` maps a finding back, and redaction masks the
characters the person typed, separators and invisible ones included.

ASCII text (nearly all of it) costs one ``str.isascii`` call; other text
that is already in this form, a search of its few characters beyond ASCII;
the rest one replacing pass in C, and character by character only where a
character changes length (removed or expanded) or beyond the Basic
Multilingual Plane.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace

from engine.guardrails.base import Finding
from engine.guardrails.text import INVISIBLE, words_of

# Category Cf (format), as of Unicode 15, plus the other invisible characters.
_FORMAT_BMP = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb"
    + "".join(c for c in INVISIBLE if ord(c) < 0x10000 and c not in "\u00ad\u180e\ufeff"
             and not 0x200B <= ord(c) < 0x2070)
)
_FORMAT = (_FORMAT_BMP + "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
           "\U000e0001\U000e0020-\U000e007f")
# Category Zs beyond ASCII, and the line and paragraph separators (Zl, Zp).
_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_LINES = "\u2028\u2029"
# Category Pd beyond ASCII, the minus sign, and the hyphens NFKC leaves alone.
_DASHES = ("\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0"
           "\ufe31\ufe32\ufe58\ufe63\uff0d\u2212\u2043\u02d7\U00010ead")
_IS_FORMAT = re.compile(f"[{_FORMAT}]")
_IS_SPACE = re.compile(f"[{_SPACES}]")
_IS_DASH = re.compile(f"[{_DASHES}]")


@functools.lru_cache(maxsize=8192)
def normal_char(char: str) -> str:
    """What one character becomes (see the module's docstring).

    >>> [normal_char(c) for c in ("\uff14", "\u00a0", "\u200b", "\u2013", "\u0664")]
    ['4', ' ', '', '-', '4']
    """
    out = []
    for part in unicodedata.normalize("NFKC", char):
        if _IS_FORMAT.match(part) or part in INVISIBLE:
            continue
        if _IS_SPACE.match(part):
            out.append(" ")
        elif part in _LINES:
            out.append("\n")
        elif _IS_DASH.match(part):
            out.append("-")
        elif not part.isascii() and part.isdecimal():
            out.append(str(unicodedata.decimal(part)))
        else:
            out.append(part)
    return "".join(out)


class Normalized:
    """A text's normal form and the way back to the original offsets.

    Only the characters that changed length are remembered (where each
    starts in both texts, and how long it is in each); between them the
    texts match one for one.

    >>> n = normalize("card 4111\u00a01111\u200b 1111 １１１１")
    >>> n.text
    'card 4111 1111 1111 1111'
    >>> n.span(5, 24)
    (5, 25)
    """

    __slots__ = ("_changes", "_starts", "original", "text")

    def __init__(self, original: str, text: str, changes: list[tuple[int, int, int, int]]):
        self.original = original
        self.text = text
        #: (start in text, start in the original, length in text, length in the original) per changed character.
        self._changes = changes
        self._starts = [change[0] for change in changes]

    def _start(self, index: int) -> int:
        """Where the character at ``index`` of the normal form starts in the original."""
        k = bisect_right(self._starts, index) - 1
        if k < 0:
            return index
        start, origin, length, original_length = self._changes[k]
        if index < start + length:
            return origin
        return origin + original_length + index - start - length

    def _end(self, index: int) -> int:
        """Where the character at ``index`` of the normal form ends in the original."""
        k = bisect_right(self._starts, index) - 1
        if k >= 0:
            start, origin, length, original_length = self._changes[k]
            if index < start + length:
                return origin + original_length
        return self._start(index) + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]``: from its first character's origin to its last's."""
        if end <= start:
            origin = self._start(start) if start < len(self.text) else len(self.original)
            return origin, origin
        return self._start(start), self._end(end - 1)

    def finding(self, finding: Finding) -> Finding:
        """``finding`` (found in :attr:`text`) with its span in the original text."""
        start, end = self.span(finding.start, finding.end)
        return replace(finding, start=start, end=end)




def _beyond_bmp(text: str) -> bool:
    """Whether ``text`` has a character beyond the Basic Multilingual Plane (format characters of the tag
    block, ...): then it encodes to more than two bytes a character in UTF-16. About 1 µs on 2 KB, several
    times less than searching for them with a pattern or UTF-8 lead bytes."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)

_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_BYTES = bytes(range(0x80))


@functools.cache
def _changing_bmp() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Classes of the characters of the Basic Multilingual Plane that :func:`normal_char` changes, and of
    those it makes other than one character long (removes or expands).

    Worked out once (about 20 ms): only characters with a decomposition or of a folded category can
    change. As ranges, they are searched about as fast as a short class.
    """
    changing: list[list[int]] = []
    resizing: list[list[int]] = []
    for code in range(0x80, 0x10000):
        char = chr(code)
        if 0xD800 <= code < 0xE000:
            continue  # surrogates
        if (unicodedata.decomposition(char) or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp", "Pd", "Nd")
                or char in INVISIBLE or _IS_DASH.match(char)) and normal_char(char) != char:
            for spans in (changing, resizing) if len(normal_char(char)) != 1 else (changing,):
                if spans and code == spans[-1][1] + 1:
                    spans[-1][1] = code
                else:
                    spans.append([code, code])
    return _character_class(changing), _character_class(resizing)


def _character_class(spans: list[list[int]]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                                    for a, b in spans) + "]")


def _normal_match(match: re.Match[str]) -> str:
    return normal_char(match.group())


def normalize(text: str) -> Normalized | None:
    """The normal form of ``text`` with its offset map; None when it is already normal (then use ``text``)."""
    if text.isascii():
        return None
    # The PII and secrets detectors of a chain see the same text one after the other: the second one
    # gets the first one's answer, "already normal" included.
    last: tuple[str, Normalized | None] | None = getattr(_last, "answer", None)
    if last is not None and last[0] is text:
        return last[1]
    normalized = _normalize(text)
    _last.answer = (text, normalized)
    return normalized


def _normalize(text: str) -> Normalized | None:
    # Only characters beyond ASCII can change: the few a text holds, taken out of its UTF-8 in C (which
    # the detectors' compiled conditions scan too), are looked at first, several times faster than a
    # search of the whole text.
    beyond_ascii = words_of(text).utf8.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    if _beyond_bmp(beyond_ascii):
        return _normalize_each(text, _BEYOND_ASCII)  # rare: every character beyond ASCII is looked at
    changing, resizing = _changing_bmp()
    if changing.search(beyond_ascii) is None:
        return None
    if resizing.search(beyond_ascii) is None:  # all one for one: every offset kept
        return Normalized(text, changing.sub(_normal_match, text), [])
    # Replaced in C; only the characters that change length (zero-width ones, ligatures) need an entry
    # in the offset map, and a Python step each: a one-for-one replacement keeps every offset.
    parts: list[str] = []
    changes: list[tuple[int, int, int, int]] = []
    done = shift = 0
    for match in resizing.finditer(text):
        index = match.start()
        becomes = normal_char(match.group())
        parts.append(changing.sub(_normal_match, text[done:index]))
        parts.append(becomes)
        changes.append((index + shift, index, len(becomes), 1))
        shift += len(becomes) - 1
        done = index + 1
    parts.append(changing.sub(_normal_match, text[done:]))
    return Normalized(text, "".join(parts), changes)


def _normalize_each(text: str, candidates: re.Pattern[str]) -> Normalized | None:
    """``text`` normalised character by character where ``candidates`` match, with its offset map."""
    parts: list[str] = []
    changes: list[tuple[int, int, int, int]] = []
    done = shift = 0
    for match in candidates.finditer(text):
        index = match.start()
        char = match.group()
        becomes = normal_char(char)
        if becomes == char:
            continue
        parts.append(text[done:index])
        parts.append(becomes)
        if len(becomes) != 1:  # one character for one keeps every offset: nothing to map back
            changes.append((index + shift, index, len(becomes), 1))
            shift += len(becomes) - 1
        done = index + 1
    if not parts:
        return None
    parts.append(text[done:])
    return Normalized(text, "".join(parts), changes)


_last = threading.local()


def scan_normalized(scan: Callable[[str], list[Finding]], text: str) -> list[Finding]:
    """``scan`` run on the normal form of ``text``, its findings moved back to ``text``'s offsets."""
    normal = normalize(text)
    if normal is None:
        return scan(text)
    return [normal.finding(finding) for finding in scan(normal.text)]
