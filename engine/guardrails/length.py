"""Maximum length: a string longer than the limit is reported once."""

from __future__ import annotations

from engine.guardrails.base import Finding


class MaxLengthDetector:
    """Reports a string longer than ``limit`` characters.

    The finding spans the excess, ``text[limit:]``.

    >>> MaxLengthDetector(5).scan("abcdefgh")
    [Finding(category='length', type='max_chars', start=5, end=8, confidence=1.0)]
    """

    name = "length"

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError(f"a length limit must be at least 1 character, got {limit}")
        self.limit = limit

    def __repr__(self) -> str:
        return f"MaxLengthDetector({self.limit})"

    def scan(self, text: str) -> list[Finding]:
        if len(text) <= self.limit:
            return []
        return [Finding("length", "max_chars", self.limit, len(text), 1.0)]
