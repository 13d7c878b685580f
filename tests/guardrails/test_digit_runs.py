"""The digit runs a PII number check looks at: what each mark means, and the C version against the Python one.

The C version (engine/guardrails/_digit_runs.c) is built with the package where a
compiler is present; CI sets TENANTFLOW_REQUIRE_ACCELERATED=1 so a broken
build fails there instead of silently taking the Python version.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.guardrails.cards import known_card_prefix, luhn_valid
from engine.guardrails.digit_runs import (
    ACCELERATED,
    ALONE,
    CARD,
    CUE,
    DATE,
    DOTS,
    HOT,
    IBAN,
    PHONE,
    SSN,
    RunFinder,
    python_find_runs,
    python_only,
)
from engine.guardrails.evaluate import load_corpus
from engine.guardrails.pii import PII_TYPES, PiiDetector

CORPUS = Path(__file__).resolve().parent.parent / "data" / "guardrails" / "corpus.jsonl"


def _accelerated() -> RunFinder:
    if ACCELERATED is None:
        if os.environ.get("TENANTFLOW_REQUIRE_ACCELERATED") == "1":
            pytest.fail("TENANTFLOW_REQUIRE_ACCELERATED=1 and engine.guardrails._digit_runs was not built")
        pytest.skip("engine.guardrails._digit_runs was not built (no C compiler at install); "
                    "set TENANTFLOW_REQUIRE_ACCELERATED=1 to fail instead")
    return ACCELERATED


FINDERS = pytest.mark.parametrize("finder", ["python", "c"])


def finder_for(name: str) -> RunFinder:
    return python_find_runs if name == "python" else _accelerated()


def marks_of(finder: RunFinder, text: str, iban: list[int] | None = None, cue: list[int] | None = None) -> int:
    """The marks of the one run of ``text`` (0 if it has none)."""
    found = finder(text, iban, cue)
    assert len(found) <= 1, found
    return found[0][3] if found else 0


@FINDERS
def test_a_run_spans_digit_to_digit_with_its_plus_or_parenthesis_and_one_character_after(finder: str) -> None:
    runs = finder_for(finder)
    assert runs("tel +49 30 1234567, ok", None, None) == [(4, 19, 11, PHONE | IBAN | CUE)]
    assert runs("+49 30 1234567", None, None) == [(0, 14, 11, PHONE | ALONE | IBAN | CUE)]
    assert runs("(415) 555-0100", None, None) == [(0, 14, 10, PHONE | ALONE | IBAN | CUE)]
    # Shorter than 7 characters from the first digit to the last: no run.
    assert runs("12-3456 and 123456", [], []) == []
    assert runs("", None, None) == [] and runs("no digits at all", None, None) == []


@FINDERS
def test_each_mark_says_what_the_run_can_hold(finder: str) -> None:
    runs = finder_for(finder)
    assert marks_of(runs, "ssn 123-45-6789 ok", [], []) == SSN | PHONE
    assert marks_of(runs, "host 10.1.2.3 up", [], []) == DOTS
    assert marks_of(runs, "paid 2024-03-15 12:00", [], []) == PHONE  # a date and more: the phone check decides
    assert marks_of(runs, "ids 2024-03-15 and 4", [], []) == 0
    assert marks_of(runs, "card 4111 1111 1111 1111 ok", [], []) == CARD | PHONE
    assert marks_of(runs, "card 4111 1111 1111 1112 ok", [], []) == PHONE  # the checksum fails
    assert marks_of(runs, "card 9111 1111 1111 1111 ok", [], []) == PHONE  # no issuer's range starts 9111
    assert marks_of(runs, "ref 4111--1111-1111-1111", [], []) == PHONE  # two dashes break a card
    assert marks_of(runs, "tel. 030.1234.5678", [], []) == PHONE  # two dots: not an IPv4 address
    # Seven digits or more, international, with a trunk prefix or parentheses, or in groups: the phone
    # check (libphonenumber's metadata) decides what is a phone number.
    for number in ("(415) 555-0100", "415.555.0100", "+44 20 7946 0958", "030 1234", "115-555-0100", "01234567"):
        assert marks_of(runs, f"call {number} now", [], []) == PHONE, number
    for number in ("030 123", "12-34-56", "1234567", "12345678"):
        assert marks_of(runs, f"id {number} now", [], []) == 0, number
    # A date alone is not sent to any check; with another mark it keeps DATE (it is never a phone number).
    assert marks_of(runs, "on 15.03.2024 at noon", [], []) == 0
    assert marks_of(runs, "since 15.03.2024.", [], []) == DOTS | DATE
    for text in ("due 2024-03-15; ok", "at 2024-03-15T10:30:00Z", "'2024-03-15'", "on 15/03/2024\nthanks"):
        assert marks_of(runs, text, [], []) == 0, text  # what follows a date does not make it a phone number


@FINDERS
def test_a_run_where_no_phone_number_can_start_is_not_sent_to_the_phone_check(finder: str) -> None:
    runs = finder_for(finder)
    # Every group glued to an id, a decimal or the group before it: no phone number starts in the run.
    for text in ("Invoice INV-2024-000123 was charged", "id CUST-88231-77 and", "ref ORDER-415-555-0100.",
                 "x.0301234567", "v2.0301234567", "n_030-1234567"):
        assert not marks_of(runs, text, None, None) & (PHONE | ALONE | CUE), text
    assert marks_of(runs, "ref ORDER-415-555-0100.", None, None) == IBAN  # the other marks stay
    # One group that nothing glues is enough: after a space, "(", "/" or ",", or a letter beyond ASCII.
    for text in ("id A1 030 1234567", "id A(030) 1234567", "tel./+49 30 1234567", "a,030 1234567",
                 "Tel№030 1234567"):
        assert marks_of(runs, text, [], []) & PHONE, text
    # A date is never a phone number, whatever marks its line or a cue would give it.
    assert marks_of(runs, "Dana\n2024-03-15\n", None, None) == IBAN | DATE


@FINDERS
def test_a_run_that_starts_its_line_is_marked_alone(finder: str) -> None:
    runs = finder_for(finder)
    assert marks_of(runs, "Dana\n  (030) 12345678\n", [], []) & ALONE
    assert marks_of(runs, "Dana\n\u2003030 12345678", [], []) & ALONE  # whitespace beyond ASCII
    assert marks_of(runs, "Dana\n+49 30 12345678", [], []) & ALONE
    assert not marks_of(runs, "Dana\n( 030) 12345678", [], []) & ALONE
    assert not marks_of(runs, "Dana: 030 12345678", [], []) & ALONE
    # The check decides whether the number fills its line.
    assert not marks_of(runs, "0 items, call 412 3456789", [], []) & ALONE
    # Fewer than 8 digits: too short to stand alone as a phone number.
    assert not marks_of(runs, "\n0301 234", [], []) & ALONE


@FINDERS
def test_iban_and_cue_marks_follow_where_their_conditions_end(finder: str) -> None:
    runs = finder_for(finder)
    text = "x" * 49 + " 12345678 " + "y" * 49  # the run is text[50:59] with the character after it
    start, end = 50, 59
    # Digits alone, no trunk prefix: not phone-shaped, so only the located conditions mark the run.
    assert marks_of(runs, text, [start - 11], []) == IBAN
    assert marks_of(runs, text, [start - 12], []) == 0
    assert marks_of(runs, text, [end + 26], []) == IBAN
    assert marks_of(runs, text, [end + 27], []) == 0
    assert marks_of(runs, text, [], [start - 39]) == CUE
    assert marks_of(runs, text, [], [start - 40]) == 0
    assert marks_of(runs, text, [], [start + 1]) == CUE
    assert marks_of(runs, text, [], [start + 2]) == 0
    assert marks_of(runs, text, [3, start - 12, end + 27, 120], [1, start - 40, start + 2, 90]) == 0
    assert marks_of(runs, text, None, None) == IBAN | CUE  # not located: they can be anywhere


def with_check_digit(body: str) -> str:
    """``body`` and the digit that makes it pass the Luhn checksum."""
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


@FINDERS
def test_the_card_mark_is_a_known_issuer_prefix_and_length_with_a_valid_checksum(finder: str) -> None:
    runs = finder_for(finder)
    for prefix in range(1000, 10000, 1 if finder == "c" else 7):
        for length in range(12, 20):
            number = with_check_digit(str(prefix).ljust(length - 1, "0"))
            expected = known_card_prefix(number)
            assert bool(marks_of(runs, f"card {number} ok", [], []) & CARD) == expected, number
    assert not marks_of(runs, "card 4111111111111112 ok", [], []) & CARD  # the checksum fails
    # Grouped: from the start of one group to the end of another, separators one wide.
    assert marks_of(runs, "qty 2 4111 1111 1111 1111 12/25", [], []) & CARD
    assert marks_of(runs, "ref 99-4111-1111-1111-1111-7", [], []) & CARD
    assert not marks_of(runs, "ref 4111  1111 1111 1111", [], []) & CARD
    assert not marks_of(runs, "id 94111111111111111", [], []) & CARD  # a card only inside a group


def test_the_c_version_rejects_what_is_not_a_list_of_ends() -> None:
    runs = _accelerated()
    with pytest.raises(TypeError):
        runs("call 030 1234567", (1, 2), None)
    with pytest.raises(TypeError):
        runs("call 030 1234567", ["a"], None)
    with pytest.raises(TypeError):
        runs(b"030 1234567", None, None)  # type: ignore[arg-type]


def random_texts(count: int, seed: int) -> Iterator[str]:
    """Texts dense in runs: digits, the run separators, "+", newlines, letters, wide spaces, emoji, a digit
    beyond ASCII (never part of a run), a lone surrogate."""
    pieces = [*"0123456789" * 6, *" .()/-" * 4, "+", "+", "\n", "\n", *"abcXY:#,", "\u00a0", "\u2003", "é",
              "\U0001f600", "\u0663", "\ud800", "0", "00", "000-00-0000", "415-555-0100", "4111 1111 1111 1111", "10.0.0.1",
              "2024-03-15", "\n  (0", "DE89 3704 0044 0532 0130 00"]
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))


def random_ends(rng: random.Random, size: int) -> list[int] | None:
    if rng.random() < 0.2:
        return None
    return sorted(rng.randint(-5, size + 40) for _ in range(rng.randint(0, 6)))


def test_the_c_version_finds_the_same_runs_as_the_python_one() -> None:
    runs = _accelerated()
    rng = random.Random(7)
    texts = [*random_texts(20_000, seed=11), *(str(case["text"]) for case in load_corpus(CORPUS))]
    for text in texts:
        iban, cue = random_ends(rng, len(text)), random_ends(rng, len(text))
        assert runs(text, iban, cue) == python_find_runs(text, iban, cue), (text, iban, cue)
    assert all(marks & HOT for text in texts for *_, marks in runs(text, None, None))


def test_the_detector_finds_the_same_with_either_version() -> None:
    _accelerated()
    detector = PiiDetector(PII_TYPES)
    texts = [*(str(case["text"]) for case in load_corpus(CORPUS)), *random_texts(3_000, seed=5)]
    with_c = [detector.scan(text) for text in texts]
    with python_only():
        assert [detector.scan(text) for text in texts] == with_c
    assert sum(map(len, with_c)) > 300  # the texts hold findings of every number type
    assert {f.type for found in with_c for f in found} >= {"payment_card", "iban", "us_ssn", "ip_address", "phone"}


def test_long_lines_full_of_numbers_are_read_in_one_pass() -> None:
    # A line is looked at once for all its runs, and a run's card groups once each: texts of 2 to 3 MB
    # like these take seconds in all. Read once per run (as a first version did), they took
    # minutes, so the subprocess's timeout fails the test rather than letting the suite hang.
    script = """
from engine.guardrails.digit_runs import ACCELERATED, python_find_runs
from engine.guardrails.pii import PII_TYPES, PiiDetector
texts = [
    "Dana " + "y ".join(["0301 23456789 "] * 130_000),  # one line, many runs
    "0" + "y ".join(["0301 23456789 "] * 130_000),  # ... starting with 0: each run could fill it
    " ".join(["0301 23456789"] * 220_000),  # one run of 3 MB, full of card-like groups
]
finders = [python_find_runs, *([ACCELERATED] if ACCELERATED else [])]
for text in texts:
    counts = {len(find(text, [], [])) for find in finders}
    assert len(counts) == 1, counts
    PiiDetector(PII_TYPES).scan(text)
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_the_c_issuer_table_is_the_python_one() -> None:
    import re
    from pathlib import Path

    from engine.guardrails.cards import ISSUERS

    source = (Path(__file__).resolve().parents[2] / "engine" / "guardrails" / "_digit_runs.c").read_text()
    rows = re.findall(r"\{(\d+), (\d+), (\d+), 0x([0-9a-f]+)\},", source)
    assert [(int(low), int(high), int(digits), int(mask, 16)) for low, high, digits, mask in rows] == [
        (issuer.low, issuer.high, issuer.digits, sum(1 << n for n in issuer.lengths)) for issuer in ISSUERS]
