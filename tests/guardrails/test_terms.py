"""Denied terms: case-insensitive, whole words, phrases across any whitespace."""

from __future__ import annotations

import pytest

from engine.guardrails.base import Finding
from engine.guardrails.terms import DeniedTermsDetector

DETECTOR = DeniedTermsDetector(["Bitcoin", "gift", "gift card", "project  bluebook", "c++"])


def found(text: str) -> list[str]:
    return [text[f.start : f.end] for f in DETECTOR.scan(text)]


def test_finding_fields_are_exact() -> None:
    assert DETECTOR.scan("Pay in BITCOIN.") == [Finding("denied_term", "denied_term", 7, 14, 1.0)]


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Pay in BITCOIN.", ["BITCOIN"]),
        ("about Project\nBlueBook!", ["Project\nBlueBook"]),
        ("a gift card, a gift", ["gift card", "gift"]),
        ("Buy GIFT CARDS", ["GIFT"]),  # "cards" is not "card"; "gift" alone still is
        ("learn c++ today", ["c++"]),
    ],
)
def test_terms_found(text: str, matches: list[str]) -> None:
    assert found(text) == matches


@pytest.mark.parametrize("text", ["bitcoins", "abitcoin", "giftcard", "regifted", "abc++", "bit coin"])
def test_terms_only_as_whole_words(text: str) -> None:
    assert found(text) == []


def test_offsets_hold_when_lowercasing_changes_length() -> None:
    # "İ".lower() is two characters; offsets must still point into the original.
    text = "İstanbul bitcoin"
    assert [(f.start, f.end) for f in DETECTOR.scan(text)] == [(9, 16)]


def test_terms_normalised_and_longest_first() -> None:
    assert DETECTOR.terms == ("project bluebook", "gift card", "bitcoin", "gift", "c++")


def test_blank_terms_rejected() -> None:
    with pytest.raises(ValueError, match="at least one non-blank term"):
        DeniedTermsDetector(["  ", ""])
