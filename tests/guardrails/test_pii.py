"""PII detectors: each type found where it is, and not where it only looks alike."""

from __future__ import annotations

import pytest

from engine.guardrails.base import Finding
from engine.guardrails.cards import known_card_prefix, luhn_valid
from engine.guardrails.phones import CUE, find_phones
from engine.guardrails.pii import PII_TYPES, PiiDetector

ALL = PiiDetector(PII_TYPES)


def found(text: str) -> list[tuple[str, str]]:
    """(type, matched text) for every finding, in order."""
    return [(f.type, text[f.start : f.end]) for f in ALL.scan(text)]


def test_finding_fields_are_exact() -> None:
    assert ALL.scan("write to ann@example.com today") == [Finding("pii", "email", 9, 24, 0.95)]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("write to ann.lee+billing@mail.example.co.uk.", "ann.lee+billing@mail.example.co.uk"),
        ("<bob_99@example.org>", "bob_99@example.org"),
        ("x@y@z.com", "y@z.com"),
    ],
)
def test_email_found(text: str, match: str) -> None:
    assert found(text) == [("email", match)]


@pytest.mark.parametrize("text", ["a@b", "foo @ bar.com", "x@@y.com", "user@host", "ann@example.c0m", "no at sign"])
def test_email_not_found(text: str) -> None:
    assert found(text) == []


def test_several_emails_and_many_at_signs() -> None:
    assert found("a@b.io,c@d.io @@ e@f.io") == [("email", "a@b.io"), ("email", "c@d.io"), ("email", "e@f.io")]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("call +1 415-555-0100 now", "+1 415-555-0100"),
        ("office +44 20 7946 0958.", "+44 20 7946 0958"),
        ("paris +33 1 23 45 67 89", "+33 1 23 45 67 89"),
        ("cell (415) 555-0100, thanks", "(415) 555-0100"),
        ("at 415.555.0100.", "415.555.0100"),
        ("dial 1-800-555-0199", "1-800-555-0199"),
        ("e164 +14155550100", "+14155550100"),
    ],
)
def test_phone_found(text: str, match: str) -> None:
    assert found(text) == [("phone", match)]


@pytest.mark.parametrize(
    "text",
    [
        "order ORDER-2024-000123 shipped",
        "ORDER-415-555-0100",
        "in 2024 we grew",
        "ticket 48213 and 77120",
        "on 2024-03-15 at 10:30",
        "on 15.03.2024",
        "on 03/15/2024",
        "bare 4155550100",
        "area code 123-456-7890",
        "too short +12 34",
        "version 3.14.159265",
    ],
)
def test_phone_not_found(text: str) -> None:
    assert found(text) == []


def test_numbers_in_non_ascii_text() -> None:
    # Non-ASCII text takes another route to the zeroed copy; offsets must match.
    text = "Größe: ruf 415-555-0100 an, SSN 123-45-6789 😀 Karte 4111111111111111"
    assert found(text) == [("phone", "415-555-0100"), ("us_ssn", "123-45-6789"), ("payment_card", "4111111111111111")]


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("shipped 030 1234567 ok", ["030 1234567"]),  # a trunk prefix: a phone with no word before it
        ("Order 030 1234567 shipped", []),  # an id word: only an international number counts
        ("Order 20 7946 0958", []),
        ("Order +49 30 1234567 shipped", ["+49 30 1234567"]),
        ("Order no. 0049 30 1234567", ["0049 30 1234567"]),
        ("phone 2079460958", ["2079460958"]),  # digits alone count after a phone word only
        ("Ticket 2079460958", []),
        ("ref 2079460958 and 2079460959", []),
    ],
)
def test_what_stands_before_a_number_decides_what_counts(text: str, phones: list[str]) -> None:
    assert [text[f.start : f.end] for f in PiiDetector(["phone"]).scan(text)] == phones


def test_numbers_only_a_phone_word_makes_count_are_not_looked_up_where_none_can_stand() -> None:
    text = "at 2079460958 or 030 1234567"
    for cue_possible in (True, False):
        found = [text[s:e] for s, e, _ in find_phones(text, 3, len(text), lambda: CUE, cue_possible=cue_possible)]
        assert found == (["2079460958", "030 1234567"] if cue_possible else ["030 1234567"])


def test_international_phone_stops_at_15_digits() -> None:
    assert found("+44 20 7946 0958 1234 5") == [("phone", "+44 20 7946 0958")]
    assert found("+1234567890123456") == []  # 16 digits, no separator to stop at


def test_ssn_found() -> None:
    assert found("SSN: 123-45-6789.") == [("us_ssn", "123-45-6789")]


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",  # area 000
        "666-12-3456",  # area 666
        "912-34-5678",  # area 9xx
        "123-00-4567",  # group 00
        "123-45-0000",  # serial 0000
        "123456789",  # no dashes
        "1123-45-6789",  # part of a longer number
        "REF-123-45-6789",  # part of an id
    ],
)
def test_invalid_ssn_not_found(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("visa 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("visa 4111-1111-1111-1111.", "4111-1111-1111-1111"),
        ("visa13 4000000000006", "4000000000006"),
        ("mc 5555555555554444", "5555555555554444"),
        ("mc2 2223003122003222", "2223003122003222"),
        ("amex 3782 822463 10005", "3782 822463 10005"),
        ("discover 6011111111111117", "6011111111111117"),
        ("exp 4111 1111 1111 1111 12/25", "4111 1111 1111 1111"),
        ("qty 2 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ],
)
def test_card_found(text: str, match: str) -> None:
    assert found(text) == [("payment_card", match)]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "9123456789012348",  # Luhn passes, no known issuer
        "1234567812345670",  # Luhn passes, no known issuer
        "41111111111111111234",  # 20 digits
        "x4111111111111111",  # glued to a word
    ],
)
def test_card_not_found(text: str) -> None:
    assert found(text) == []


def test_phone_digits_are_not_a_card() -> None:
    # 4420794609582 passes Luhn as a 13-digit Visa; the "+" says it is no card (and, one digit too many
    # for a London number, no phone either); a valid number with the "+" is a phone.
    assert found("+4420794609582") == []
    assert found("+442079460958") == [("phone", "+442079460958")]


def test_two_cards_in_one_run() -> None:
    text = "4111 1111 1111 1111 5555 5555 5555 4444"
    assert found(text) == [("payment_card", "4111 1111 1111 1111"), ("payment_card", "5555 5555 5555 4444")]


def test_luhn_and_prefix_helpers() -> None:
    assert (luhn_valid("4111111111111111"), luhn_valid("4111111111111112")) == (True, False)
    assert known_card_prefix("378282246310005") is True
    assert known_card_prefix("4111111111111") is True  # Visa, 13 digits
    assert known_card_prefix("411111111111111") is False  # Visa never has 15
    assert known_card_prefix("2721000000000000") is False  # past the Mastercard 2-series


def test_only_configured_types_are_scanned() -> None:
    text = "ann@example.com 415-555-0100 123-45-6789 4111111111111111"
    assert [f.type for f in PiiDetector(["us_ssn"]).scan(text)] == ["us_ssn"]
    assert [f.type for f in PiiDetector(["email", "payment_card"]).scan(text)] == ["email", "payment_card"]


def test_findings_are_in_text_order() -> None:
    text = "card 4111111111111111 or mail ann@example.com or ssn 123-45-6789"
    assert [t for t, _ in found(text)] == ["payment_card", "email", "us_ssn"]


def test_unknown_type_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown PII type\(s\) ssn; known: email, phone, us_ssn, payment_card"):
        PiiDetector(["ssn"])
