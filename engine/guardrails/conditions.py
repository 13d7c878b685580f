"""Writing compiled conditions over a text's UTF-8 bytes: words, caseless phrases, separators.

The PII and secrets gates (:mod:`~engine.guardrails.prefilter`) scan the
text as it is, in UTF-8: no lower-casing, no splitting into words, which
cost as much in Python as the whole scan. The conditions here say in bytes
what the Python checks say in characters:

* :func:`caseless` matches every spelling that lower-cases to a phrase
  (Hyperscan's caseless flag covers ASCII letters; the other letters' cases
  are spelled out);
* :data:`SEPARATOR` is one character :class:`~engine.guardrails.text.Words`
  splits at (ASCII punctuation, any whitespace), so :func:`word` matches
  exactly where a word of the text is the given word. Its alternations of
  multi-byte sequences are slow to compile: a few groups of words are fine,
  a vocabulary of a hundred is not (see
  :mod:`~engine.guardrails.vocabulary`).

Two characters lower-case to ASCII letters (``"\\u0130".lower()`` is
``"i\\u0307"``, ``"\\u212a".lower()`` is ``"k"``): no byte condition sees
what they become, so a text holding one takes the Python path
(:func:`lowers_to_ascii`).
"""

from __future__ import annotations

from engine.guardrails.text import PUNCT, WIDE_SPACES

# Characters whose lower case is a single other character that is neither the upper nor the
# title case of that character (tests check this table against all of Unicode).
_OTHER_CASES = {"θ": "\u03f4", "ß": "\u1e9e", "ω": "\u2126", "å": "\u212b", "k": "\u212a"}


def lowers_to_ascii(text: str) -> bool:
    """Whether ``text`` holds a character beyond ASCII whose lower case holds ASCII letters."""
    return not text.isascii() and ("\u0130" in text or "\u212a" in text)


def _bytes(text: str) -> str:
    return "".join(f"\\x{byte:02x}" for byte in text.encode("utf-8", "surrogatepass"))


def caseless(phrase: str) -> str:
    """A condition on UTF-8 bytes matching every text that lower-cases to ``phrase``, compiled caseless.

    ``phrase`` is lower case. ASCII letters are left to the caseless flag;
    each other letter lists every character that lower-cases to it.
    """
    parts = []
    for char in phrase:
        if char.isascii():
            parts.append(_bytes(char))
            continue
        sources = sorted({c for c in (char, char.upper(), char.title(), _OTHER_CASES.get(char, char))
                          if len(c) == 1 and c.lower() == char})
        alternatives = [_bytes(source) for source in sources]
        parts.append(alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")")
    return "".join(parts)


def _ascii_class(chars: str) -> str:
    return "[" + "".join(f"\\x{ord(char):02x}" for char in sorted(set(chars))) + "]"


#: One separator between words: ASCII punctuation or whitespace, or whitespace beyond ASCII.
SEPARATOR = "(?:" + "|".join([
    _ascii_class(PUNCT + "".join(c for c in map(chr, range(128)) if c.isspace())),
    *(_bytes(space) for space in WIDE_SPACES),
]) + ")"


def word(*lowered: str) -> str:
    """A caseless condition matching where one of ``lowered`` is one of the text's words (see Words).

    For text between two newlines (``Words.padded``), as compiled conditions scan it.
    """
    return f"{SEPARATOR}(?:{'|'.join(map(caseless, lowered))}){SEPARATOR}"


#: Not an ASCII letter: the edge of a cue word, loosely (bytes of letters beyond ASCII pass, so
#: the condition stays necessary for checks that test ``str.isalpha``). Compiled conditions see
#: the text between newlines, so it also matches at the text's edges.
NOT_A_LETTER = "[^A-Za-z]"
