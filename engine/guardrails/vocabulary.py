"""Keyword gates: which words of a fixed vocabulary a text holds.

Detectors look for a cue, a key prefix or an injection phrase only if the
text holds its word. A :class:`Vocabulary` answers that for one detector's
words, with the same answer on both paths:

* :meth:`~Vocabulary.present`: the vocabulary's words that are words of the
  text, ``words_of(text).present & vocabulary.words``;
* :meth:`~Vocabulary.present_folded`: the same after
  :func:`~engine.guardrails.text.fold` (look-alike letters undone).

Splitting a 2 KB message into a set of words costs about 40 µs in Python,
as much as a whole PII scan should. On the compiled path
(:mod:`~engine.guardrails.compiled`) the text's ``spaced`` bytes (lower-cased,
every separator a space, see :class:`~engine.guardrails.text.Words`) are
scanned once for all the words: ``b" w "`` occurs in them exactly when ``w``
is a word of the text.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.guardrails import compiled
from engine.guardrails.text import words_of


class Vocabulary:
    """A fixed set of lower-case words, each one word as :class:`~engine.guardrails.text.Words` splits text.

    >>> sorted(Vocabulary(["phone", "call", "book"]).present("Call me: PHONE-book"))
    ['book', 'call', 'phone']
    >>> Vocabulary(["phone"]).present("telephones")
    frozenset()
    """

    __slots__ = ("_as_words", "_order", "words")

    def __init__(self, words: Iterable[str]):
        self.words = frozenset(words)
        invalid = sorted(word for word in self.words if words_of(word).present != {word})
        if invalid:
            raise ValueError(f"not single lower-case words: {invalid!r}")
        self._order = sorted(self.words)
        encoded = [word.encode("utf-8", "surrogatepass") for word in self._order]
        self._as_words = compiled.Database([b" " + word + b" " for word in encoded], literal=True)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self.words)} words)"

    def present(self, text: str) -> frozenset[str]:
        """The words of the vocabulary that are words of ``text`` (in any case)."""
        if compiled.enabled():
            return self._named(self._as_words.matching(words_of(text).spaced))
        return words_of(text).present & self.words

    def present_folded(self, text: str) -> frozenset[str]:
        """The words of the vocabulary that are words of ``fold(text)``."""
        if compiled.enabled():
            return self._named(self._as_words.matching(words_of(text).folded_spaced))
        return words_of(text).folded_present & self.words

    def _named(self, indexes: list[int]) -> frozenset[str]:
        order = self._order
        return frozenset([order[index] for index in indexes])
