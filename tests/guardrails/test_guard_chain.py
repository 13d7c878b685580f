"""GuardChain: actions per finding, safe records and messages, shared chains."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.errors import GuardrailBlocked
from engine.guardrails.chain import GuardChain, GuardRecord, chain_for, clear_chain_cache
from engine.guardrails.config import GuardrailsConfig

EMAIL, PHONE, SSN, CARD = "ann@example.com", "(415) 555-0100", "123-45-6789", "4111 1111 1111 1111"


def chain(**config: object) -> GuardChain:
    return GuardChain(GuardrailsConfig.model_validate(config))


def record(
    *,
    type: str,
    action: str,
    start: int,
    end: int,
    stage: str = "input",
    field: str = "ticket",
    category: str = "pii",
    confidence: float = 0.95,
    detector: str = "pii",
) -> GuardRecord:
    return GuardRecord(
        stage=stage,
        field=field,
        category=category,
        type=type,
        action=action,
        start=start,
        end=end,
        confidence=confidence,
        detector=detector,
    )


def test_redaction_placeholders_and_offsets() -> None:
    text = f"Mail {EMAIL}, call {PHONE}, SSN {SSN}."
    result = chain().check(text, "input", "ticket")
    assert result.text == "Mail [EMAIL], call [PHONE], SSN [US_SSN]."
    assert (result.blocked, result.message, result.stage) == (False, "", "input")
    assert result.records == [
        record(type="email", action="redact", start=5, end=20),
        record(type="phone", action="redact", start=27, end=41, confidence=0.75),
        record(type="us_ssn", action="redact", start=47, end=58, confidence=0.85),
    ]
    # Offsets point into the original text.
    assert [text[r["start"] : r["end"]] for r in result.records] == [EMAIL, PHONE, SSN]


def test_block_is_safe_and_masks_the_value() -> None:
    text = f"my card is {CARD} and mail {EMAIL}"
    result = chain().check(text, "input", "ticket")
    assert result.blocked is True
    assert result.message == "Your message was blocked by the input guardrail (payment_card)."
    assert result.text == "my card is [PAYMENT_CARD] and mail [EMAIL]"
    assert [(r["type"], r["action"]) for r in result.records] == [("payment_card", "block"), ("email", "redact")]


def test_output_block_message_names_every_blocking_type() -> None:
    result = chain(profile="strict").check(f"{SSN} / {CARD} / {PHONE}", "output", "reply")
    assert result.message == "The response was blocked by the output guardrail (payment_card, phone, us_ssn)."


def test_records_and_messages_never_hold_the_raw_values() -> None:
    secrets = [EMAIL, PHONE, SSN, CARD, "bluebook"]
    text = " ; ".join(secrets)
    result = chain(profile="strict", denied_terms=["bluebook"]).check(text, "input", "ticket")
    dumped = json.dumps(result.records)
    assert len(result.records) == 5
    for secret in secrets:
        assert secret not in dumped
        assert secret not in result.message
        assert secret not in result.text


def test_raise_if_blocked() -> None:
    result = chain().check(CARD, "input", "ticket")
    with pytest.raises(GuardrailBlocked) as caught:
        result.raise_if_blocked()
    assert (caught.value.stage, str(caught.value)) == (
        "input",
        "Your message was blocked by the input guardrail (payment_card).",
    )
    assert caught.value.records == result.records
    chain().check("hello", "input").raise_if_blocked()


def test_flag_records_without_changing_text() -> None:
    result = chain(pii={"email": "flag"}).check(f"to {EMAIL}", "output", "reply")
    assert (result.text, result.blocked) == (f"to {EMAIL}", False)
    assert result.records == [record(stage="output", field="reply", type="email", action="flag", start=3, end=18)]


def test_off_is_not_scanned() -> None:
    off = {"email": "off", "phone": "off", "us_ssn": "off", "payment_card": "off"}
    result = chain(pii=off).check(f"{EMAIL} {CARD}", "input", "ticket")
    assert (result.text, result.records, result.blocked) == (f"{EMAIL} {CARD}", [], False)


def test_denied_terms_block_whole_words_only() -> None:
    guard = chain(denied_terms=["Project Bluebook"])
    assert guard.check("the bluebook project", "input").blocked is False
    result = guard.check("status of project  BLUEBOOK?", "output", "reply")
    assert result.message == "The response was blocked by the output guardrail (denied_term)."
    assert result.text == "status of [DENIED_TERM]?"
    assert result.records[0] == GuardRecord(
        stage="output",
        field="reply",
        category="denied_term",
        type="denied_term",
        action="block",
        start=10,
        end=27,
        confidence=1.0,
        detector="denied_terms",
    )


def test_denied_terms_redact() -> None:
    result = chain(denied_terms=["bitcoin"], denied_terms_action="redact").check("Pay in Bitcoin.", "input")
    assert (result.text, result.blocked) == ("Pay in [DENIED_TERM].", False)


def test_length_limit_is_per_stage() -> None:
    guard = chain(max_input_chars=10, max_output_chars=20)
    text = "x" * 15
    assert guard.check(text, "output", "reply").blocked is False
    result = guard.check(text, "input", "ticket")
    assert result.message == "Your message was blocked by the input guardrail (max_chars)."
    assert result.text == text
    assert result.records == [
        record(category="length", type="max_chars", action="block", start=10, end=15, confidence=1.0, detector="length")
    ]


def test_over_length_text_is_not_scanned_further() -> None:
    result = chain(max_input_chars=10).check(f"mail {EMAIL}", "input", "ticket")
    assert [r["type"] for r in result.records] == ["max_chars"]


def test_overlapping_spans_merge_without_leaking() -> None:
    # The phone pattern and the denied term overlap; no digit of either survives.
    result = chain(denied_terms=["0100 call"], denied_terms_action="redact").check("call 415-555-0100 call me", "input")
    assert result.text == "call [PHONE] me"


def test_check_value_walks_json_with_dotted_paths() -> None:
    value: dict[str, Any] = {
        "ticket": f"from {EMAIL}",
        "items": [{"text": "ok"}, {"text": f"ssn {SSN}"}],
        "count": 2,
        "flag": None,
    }
    result = chain().check_value(value, "input")
    assert result.value == {
        "ticket": "from [EMAIL]",
        "items": [{"text": "ok"}, {"text": "ssn [US_SSN]"}],
        "count": 2,
        "flag": None,
    }
    assert [(r["field"], r["type"], r["start"], r["end"]) for r in result.records] == [
        ("ticket", "email", 5, 20),
        ("items.1.text", "us_ssn", 4, 15),
    ]
    assert value["ticket"] == f"from {EMAIL}"  # the input is not modified
    assert result.value["items"][0] is value["items"][0]  # untouched parts are shared


def test_check_value_with_a_path_prefix_and_tuples() -> None:
    result = chain().check_value((f"{CARD}", "fine"), "output", "steps.draft")
    assert result.value == ("[PAYMENT_CARD]", "fine")
    assert result.records[0]["field"] == "steps.draft.0"
    assert result.message == "The response was blocked by the output guardrail (payment_card)."


def test_check_value_on_clean_input_returns_it_unchanged() -> None:
    value = {"ticket": "hello", "items": ["a", "b"]}
    result = chain().check_value(value, "input")
    assert result.value is value
    assert (result.records, result.blocked) == ([], False)


def test_chain_cache_shares_equal_configs() -> None:
    clear_chain_cache()
    first = chain_for(GuardrailsConfig(denied_terms=["b", "a"], pii={"email": "block"}))
    same = chain_for(GuardrailsConfig.model_validate({"pii": {"email": "block"}, "denied_terms": ["A", "b"]}))
    other = chain_for(GuardrailsConfig(denied_terms=["a", "b"]))
    assert first is same
    assert other is not first
    assert first.config == GuardrailsConfig(denied_terms=["a", "b"], pii={"email": "block"})
    clear_chain_cache()
    assert chain_for(GuardrailsConfig(denied_terms=["a", "b"])) is not other
