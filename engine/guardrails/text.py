"""Text folding shared by detectors that must see through Unicode tricks.

Attackers hide words from filters with invisible characters
(``ig\u200bnore``), look-alike letters from other scripts (Cyrillic ``о``
for Latin ``o``) and full-width forms. :func:`fold` maps all of these to
plain lower-case ASCII so one set of patterns catches every spelling, and
:func:`origin` maps an offset in the folded text back to the original.

ASCII text (nearly all of it) takes the fast path: ``str.lower`` only.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

#: Characters that render as nothing: zero-width joiners and spaces, BOM,
#: soft hyphen, word joiner, bidi controls, and the Unicode tag block.
INVISIBLE: frozenset[str] = frozenset(
    [
        "\u00ad",
        "\u034f",
        "\u061c",
        "\u115f",
        "\u1160",
        "\u17b4",
        "\u17b5",
        "\u180e",
        *map(chr, range(0x200B, 0x2010)),
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2060, 0x2070)),
        "\u3164",
        "\ufeff",
        "\uffa0",
        *map(chr, range(0xE0000, 0xE0080)),
    ]
)

# Letters that look like Latin ones (the most used confusables of Unicode's
# confusables.txt for Cyrillic, Greek and a few symbols).
_CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h",
    "ԛ": "q", "ԝ": "w", "ү": "y", "ӏ": "l", "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h",
    "О": "o", "Р": "p", "С": "c", "Т": "t", "У": "y", "Х": "x", "І": "i", "Ј": "j", "Ѕ": "s",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "ℓ": "l", "ı": "i", "ȷ": "j",
}  # fmt: skip

_FOLD_TABLE: dict[int, str | None] = {ord(c): None for c in INVISIBLE}
_FOLD_TABLE.update({ord(c): a for c, a in _CONFUSABLES.items()})

_FOLD_RE = re.compile("[" + "".join(sorted(c for c in [*INVISIBLE, *_CONFUSABLES] if ord(c) < 0x10000))
                      + "\U000e0000-\U000e007f]")
_INVISIBLE_RE = re.compile("[" + "".join(sorted(c for c in INVISIBLE if ord(c) < 0x10000)) + "\U000e0000-\U000e007f]")
_CONFUSABLE_RE = re.compile("[" + "".join(sorted(_CONFUSABLES)) + "]")


def fold(text: str) -> str:
    """``text`` lower-cased, without invisible characters, look-alikes mapped to ASCII.

    >>> fold("IGN\u200bОRE previous")
    'ignore previous'
    """
    if text.isascii():
        return text.lower()
    # str.translate with a table is slow on non-ASCII text; a regex finds the few
    # characters to change. NFKC turns full-width and other compatibility forms
    # into plain ones. Both can change the length, which origin() accounts for.
    if _FOLD_RE.search(text):
        text = _FOLD_RE.sub(_fold_char, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
        if _FOLD_RE.search(text):
            text = _FOLD_RE.sub(_fold_char, text)
    return text.lower()


def _fold_char(match: re.Match[str]) -> str:
    return _FOLD_TABLE.get(ord(match.group())) or ""


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds characters that render as nothing."""
    return not text.isascii() and _INVISIBLE_RE.search(text) is not None


def has_confusables(text: str) -> bool:
    """Whether ``text`` holds letters from other scripts that imitate Latin ones."""
    return not text.isascii() and _CONFUSABLE_RE.search(text) is not None


def origin(text: str, folded: str, offsets: list[int]) -> list[int]:
    """Offsets into ``text`` for the given offsets into ``fold(text)``.

    Cheap when folding kept the length (the usual case); otherwise each
    character beyond ASCII is folded on its own to rebuild the mapping, once
    per text (:attr:`Words.origins`).
    """
    if len(folded) == len(text):
        return offsets
    positions = words_of(text).origins
    return [positions[min(o, len(positions) - 1)] for o in offsets]


def _origins(text: str) -> list[int]:
    """``positions[i]``: where the ``i``-th character of ``fold(text)`` came from in ``text``.

    An ASCII character folds to one character; only the others are folded on
    their own (and remembered: a text repeats its few such characters).
    """
    positions: list[int] = []
    done = 0
    for match in _BEYOND_ASCII.finditer(text):
        index = match.start()
        positions.extend(range(done, index))
        positions.extend([index] * _folded_length(match.group()))
        done = index + 1
    positions.extend(range(done, len(text)))
    positions.append(len(text))
    return positions


_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _folded_length(char: str) -> int:
    return len(fold(char))


#: ASCII punctuation: :class:`Words` splits text at it as at whitespace.
PUNCT = "\"'`.,;:!?()[]{}<>*#-_/\\|=~+&%$@^"
_PUNCT_TO_SPACE = str.maketrans(PUNCT, " " * len(PUNCT))
#: Whitespace beyond ASCII (what str.split() also splits at).
WIDE_SPACES = "\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_ASCII_SEPARATORS = PUNCT.encode() + bytes(c for c in range(128) if chr(c).isspace())
# ASCII bytes never occur inside a multi-byte UTF-8 sequence, so a bytes table
# (far faster than str.translate) is safe for any text.
_SEPARATORS_TO_SPACE = bytes.maketrans(_ASCII_SEPARATORS, b" " * len(_ASCII_SEPARATORS))
_WIDE_SPACE = re.compile(b"|".join(re.escape(c.encode()) for c in WIDE_SPACES))
# U+2000..U+200A, U+2028, U+2029, U+202F: the wide spaces that share their first two bytes with
# common punctuation (curly quotes, dashes); a literal prefix keeps the search fast.
_WIDE_SPACE_2000 = re.compile(rb"\xe2\x80[\x80-\x8a\xa8\xa9\xaf]")


class Words:
    """The words of a text, as keyword gates see them; every view is computed on first use, once.

    A word is what stands between whitespace and ASCII punctuation, lower-cased.
    ``present`` is the set of them; ``spaced`` the lower-cased text in UTF-8 with
    every separator turned into a space and a space at each end, so ``b" w "``
    occurs in it exactly when ``w`` is a word of the text (compiled gates scan it,
    see :mod:`engine.guardrails.vocabulary`). The ``folded`` views are the same
    after :func:`fold`, for detectors that must see through look-alike letters;
    for ASCII text they are the plain ones. Detectors of a chain share one
    :class:`Words` per text (see :func:`words_of`).
    """

    __slots__ = ("_folded", "_folded_present", "_folded_spaced", "_lowered", "_origins", "_padded", "_present",
                 "_spaced", "_utf8", "text")

    def __init__(self, text: str):
        self.text = text
        self._utf8: bytes | None = None
        self._padded: bytes | None = None
        self._lowered: str | None = None
        self._spaced: bytes | None = None
        self._present: frozenset[str] | None = None
        self._folded: str | None = None
        self._folded_spaced: bytes | None = None
        self._folded_present: frozenset[str] | None = None
        self._origins: list[int] | None = None

    @property
    def utf8(self) -> bytes:
        """The text in UTF-8 (lone surrogates kept)."""
        if self._utf8 is None:
            self._utf8 = self.text.encode("utf-8", "surrogatepass")
        return self._utf8

    @property
    def padded(self) -> bytes:
        """The UTF-8 text between two newlines, as compiled conditions scan it (see engine.guardrails.prefilter)."""
        if self._padded is None:
            self._padded = b"\n" + self.utf8 + b"\n"
        return self._padded

    @property
    def lowered(self) -> str:
        if self._lowered is None:
            self._lowered = self.text.lower()
        return self._lowered

    @property
    def spaced(self) -> bytes:
        if self._spaced is None:
            self._spaced = _spaced(self.lowered)
        return self._spaced

    @property
    def present(self) -> frozenset[str]:
        if self._present is None:
            self._present = _words(self.spaced)
        return self._present

    @property
    def folded(self) -> str:
        if self._folded is None:
            self._folded = self.lowered if self.text.isascii() else fold(self.text)
        return self._folded

    @property
    def origins(self) -> list[int]:
        """Where each character of :attr:`folded` came from (see :func:`origin`)."""
        if self._origins is None:
            self._origins = _origins(self.text)
        return self._origins

    @property
    def folded_spaced(self) -> bytes:
        if self._folded_spaced is None:
            self._folded_spaced = self.spaced if self.text.isascii() else _spaced(self.folded)
        return self._folded_spaced

    @property
    def folded_present(self) -> frozenset[str]:
        if self._folded_present is None:
            self._folded_present = self.present if self.text.isascii() else _words(self.folded_spaced)
        return self._folded_present


def _spaced(lowered: str) -> bytes:
    spaced = lowered.encode("utf-8", "surrogatepass").translate(_SEPARATORS_TO_SPACE)
    if not lowered.isascii() and _has_wide_space(spaced):
        spaced = _WIDE_SPACE.sub(b" ", spaced)
    return b" " + spaced + b" "


def _has_wide_space(utf8: bytes) -> bool:
    # Substring tests find a byte sequence at memchr speed, several times faster than the regex.
    return (b"\xc2\xa0" in utf8 or b"\xc2\x85" in utf8 or b"\xe3\x80\x80" in utf8 or b"\xe1\x9a\x80" in utf8
            or b"\xe2\x81\x9f" in utf8 or (b"\xe2\x80" in utf8 and _WIDE_SPACE_2000.search(utf8) is not None))


def _words(spaced: bytes) -> frozenset[str]:
    return frozenset(spaced.decode("utf-8", "surrogatepass").split())


_last = threading.local()


def words_of(text: str) -> Words:
    """The :class:`Words` of ``text``; the last one per thread is kept, as detectors of a chain share it."""
    found: Words | None = getattr(_last, "words", None)
    if found is None or found.text is not text:
        found = _last.words = Words(text)
    return found


def words_in(phrase: str) -> list[str]:
    """The words of ``phrase`` as :class:`Words` splits a text."""
    return fold(phrase).translate(_PUNCT_TO_SPACE).split()
