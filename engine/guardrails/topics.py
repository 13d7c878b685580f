"""Denied topics: subjects a tenant's agent must not engage with, each signalled by phrases.

A topic is a name and the phrases that signal it. Matching is the same as
for denied terms (whole words, any case, any whitespace between words),
and a finding's type is the topic's name, so records and metrics say
which topic triggered. A few topics are built in; a tenant names them with
an empty phrase list (``denied_topics: {investment_advice: []}``) or
defines its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from engine.guardrails.base import Finding
from engine.guardrails.terms import DeniedTermsDetector

BUILTIN_TOPICS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "investment_advice": (
            "investment advice", "stock tips", "stock tip", "which stocks", "what stocks", "best stocks",
            "should i invest", "should i buy shares", "buy crypto", "which crypto", "financial advice",
            "portfolio allocation", "day trading strategy", "guaranteed returns",
        ),
        "legal_advice": (
            "legal advice", "should i sue", "can i sue", "how do i sue", "file a lawsuit", "is it legal to",
            "represent me in court", "draft a contract for me", "my lawyer says", "legal opinion",
        ),
        "medical_diagnosis": (
            "diagnose me", "what disease do i have", "do i have cancer", "is it cancer", "what is my diagnosis",
            "diagnose my", "prescribe me", "what medication should i take", "how much should i take",
            "increase my dose", "stop taking my medication",
        ),
        "politics": (
            "who should i vote for", "which party", "vote for", "election fraud", "political party",
            "left wing", "right wing", "your political opinion", "democrats or republicans",
        ),
        "gambling": (
            "betting tips", "sure bet", "online casino", "sports betting", "how to win at poker",
            "slot machine", "place a bet",
        ),
    }
)  # fmt: skip


class DeniedTopicsDetector:
    """Finds the phrases of ``topics`` (name -> phrases; empty: the built-in topic of that name).

    >>> detector = DeniedTopicsDetector({"investment_advice": [], "competitors": ["acme rival"]})
    >>> [f.type for f in detector.scan("Any stock tips? Or is Acme Rival better?")]
    ['investment_advice', 'competitors']
    """

    name = "denied_topics"

    def __init__(self, topics: Mapping[str, Sequence[str]]):
        self._topic_of: dict[str, str] = {}
        for topic, phrases in topics.items():
            if not phrases and topic not in BUILTIN_TOPICS:
                raise ValueError(f"topic {topic!r} has no phrases and is not built in")
            for phrase in phrases or BUILTIN_TOPICS[topic]:
                # A phrase in two topics reports the first topic, by name order.
                self._topic_of.setdefault(" ".join(phrase.lower().split()), topic)
        if not self._topic_of:
            raise ValueError("a denied topics detector needs at least one topic")
        self.topics = tuple(sorted(set(self._topic_of.values())))
        self._casefolded = {phrase.casefold(): topic for phrase, topic in self._topic_of.items()}
        self._terms = DeniedTermsDetector(self._topic_of)

    def __repr__(self) -> str:
        return f"DeniedTopicsDetector({list(self.topics)!r})"

    def scan(self, text: str) -> list[Finding]:
        findings = []
        for found in self._terms.scan(text):
            phrase = " ".join(text[found.start : found.end].lower().split())
            # str.lower() and the regex's case folding differ for a few letters; casefold() settles them.
            topic = self._topic_of.get(phrase) or self._casefolded.get(phrase.casefold(), "denied_topic")
            findings.append(Finding("denied_topic", topic, found.start, found.end, 1.0))
        return findings
