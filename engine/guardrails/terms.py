"""Denied terms: words and phrases a tenant does not want to pass a guard.

Matching is case-insensitive and whole-word: ``"bitcoin"`` matches
``"Bitcoin!"`` but not ``"bitcoins"``; the words of a phrase may be separated
by any whitespace. All terms are compiled once into one alternation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.guardrails.base import Finding
from engine.guardrails.text import words_in
from engine.guardrails.vocabulary import Vocabulary


class DeniedTermsDetector:
    """Finds any of ``terms`` in a string, as whole words.

    >>> DeniedTermsDetector(["wire transfer"]).scan("Send a Wire  Transfer now")
    [Finding(category='denied_term', type='denied_term', start=7, end=21, confidence=1.0)]
    """

    name = "denied_terms"

    def __init__(self, terms: Iterable[str]):
        words = sorted({tuple(term.lower().split()) for term in terms} - {()}, key=lambda w: (-len(" ".join(w)), w))
        if not words:
            raise ValueError("a denied terms detector needs at least one non-blank term")
        self.terms: tuple[str, ...] = tuple(" ".join(w) for w in words)
        # Longest first, so that "gift card" wins over "gift" at the same place.
        alternatives = [r"\s+".join(map(re.escape, w)) for w in words]
        # The fast pattern runs on lower-cased text and starts with plain
        # literals, which lets the regex engine skip ahead to a possible first
        # character. The start boundary is checked in scan(): a look-behind
        # at the front would disable that skip.
        self._lowered = re.compile(f"(?:{'|'.join(alternatives)})(?!\\w)")
        # str.lower() lengthens one character (U+0130); text containing it
        # would shift offsets, so it takes the slower case-insensitive path.
        self._anycase = re.compile(f"(?<!\\w)(?:{'|'.join(alternatives)})(?!\\w)", re.IGNORECASE)
        # A term can only be there if all its words are among the text's words: set tests
        # that spare the regex pass on most texts.
        self._word_sets = tuple(frozenset(words_in(term)) for term in self.terms)
        self._words = Vocabulary(frozenset().union(*self._word_sets))

    def __repr__(self) -> str:
        return f"DeniedTermsDetector({list(self.terms)!r})"

    def scan(self, text: str) -> list[Finding]:
        if text.isascii():
            present = self._words.present(text)
            if not any(words <= present for words in self._word_sets):
                return []
        lowered = text.lower()
        if len(lowered) != len(text):
            return [_finding(m.start(), m.end()) for m in self._anycase.finditer(text)]
        findings: list[Finding] = []
        position = 0
        while match := self._lowered.search(lowered, position):
            start = match.start()
            if start and _is_word_char(lowered[start - 1]):
                # Inside a longer word; a term could still start at the next character.
                position = start + 1
                continue
            findings.append(_finding(start, match.end()))
            position = match.end()
        return findings


def _is_word_char(char: str) -> bool:
    # The same definition as the regex class \w for str patterns.
    return char.isalnum() or char == "_"


def _finding(start: int, end: int) -> Finding:
    return Finding("denied_term", "denied_term", start, end, 1.0)
