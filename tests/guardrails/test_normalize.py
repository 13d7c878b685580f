"""The three ways normalisation runs (one-for-one in C, character by character, beyond the BMP) agree."""

from __future__ import annotations

import pytest

from engine.guardrails.normalize import normalize
from engine.guardrails.pii import PiiDetector


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("card ４１１１\u00a0１１１１ 1111 1111 é", "card 4111 1111 1111 1111 é"),  # one for one only
        ("card 4111\u200b 1111 1111 1111 é", "card 4111 1111 1111 1111 é"),  # a character removed
        ("card 4111\U000e0020 1111 1111 1111 é", "card 4111 1111 1111 1111 é"),  # beyond the BMP
        ("ﬁle 4111 1111 1111 1111 é", "file 4111 1111 1111 1111 é"),  # a character expanded
    ],
)
def test_normal_form_and_redaction_span(text: str, normal: str) -> None:
    normalized = normalize(text)
    assert normalized is not None and normalized.text == normal
    [finding] = PiiDetector(["payment_card"]).scan(text)
    # Redaction masks the characters typed: from the card's first digit to its last, in the original.
    assert (finding.start, finding.end) == (text.index(" ") + 1, len(text) - len(" é"))


def test_already_normal_text_is_left_alone_and_the_answer_reused() -> None:
    text = "Grüße, 4111 1111 1111 1111"
    assert normalize(text) is None
    assert normalize(text) is None  # the second detector of a chain gets the first one's answer
