"""Maximum length: one finding over the excess, none at or under the limit."""

from __future__ import annotations

import pytest

from engine.guardrails.base import Finding
from engine.guardrails.length import MaxLengthDetector


def test_at_limit_passes() -> None:
    assert MaxLengthDetector(5).scan("abcde") == []


def test_over_limit_reports_the_excess() -> None:
    assert MaxLengthDetector(5).scan("abcdefgh") == [Finding("length", "max_chars", 5, 8, 1.0)]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1 character, got 0"):
        MaxLengthDetector(0)
