"""GuardrailsConfig: profiles as the starting point, strict validation, clear errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.merge import merge_configs
from engine.guardrails.profiles import PROFILES, profile_layer


def error_of(data: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as caught:
        GuardrailsConfig.model_validate(data)
    errors = caught.value.errors()
    assert len(errors) == 1
    location = ".".join(map(str, errors[0]["loc"]))
    return f"{location}: {errors[0]['msg']}" if location else errors[0]["msg"]


def test_default_profile() -> None:
    config = GuardrailsConfig()
    assert config.pii == {"email": "redact", "phone": "redact", "us_ssn": "redact", "payment_card": "block"}
    assert (config.denied_terms, config.denied_terms_action, config.mandatory) == ([], "block", [])
    assert (config.max_input_chars, config.max_output_chars) == (None, None)


def test_profiles() -> None:
    assert sorted(PROFILES) == ["default", "hipaa", "pci", "strict"]
    strict = GuardrailsConfig(profile="strict")
    assert strict.pii == {"email": "redact", "phone": "block", "us_ssn": "block", "payment_card": "block"}
    assert strict.mandatory == []
    hipaa = GuardrailsConfig(profile="hipaa")
    assert hipaa.pii == strict.pii
    assert hipaa.mandatory == ["pii.email", "pii.payment_card", "pii.phone", "pii.us_ssn"]
    pci = GuardrailsConfig(profile="pci")
    assert pci.pii == GuardrailsConfig().pii
    assert pci.mandatory == ["pii.payment_card"]


def test_explicit_values_apply_on_top_of_the_profile() -> None:
    config = GuardrailsConfig.model_validate({"profile": "pci", "pii": {"email": "block", "phone": "off"}})
    assert config.pii == {"email": "block", "phone": "off", "us_ssn": "redact", "payment_card": "block"}


def test_profile_layer_is_a_fresh_copy() -> None:
    profile_layer("default")["pii"]["email"] = "off"
    assert GuardrailsConfig().pii["email"] == "redact"


def test_validating_again_changes_nothing() -> None:
    config = GuardrailsConfig.model_validate(
        {"profile": "hipaa", "denied_terms": ["Bitcoin"], "max_input_chars": 8000, "mandatory": ["max_input_chars"]}
    )
    assert GuardrailsConfig.model_validate(config.model_dump()) == config


def test_layers_from_the_demo_project() -> None:
    # platform -> standard tier -> tenant, as tenantflow.yaml and tenants/initech declare them.
    layers: list[dict[str, Any]] = [
        {"profile": "default"},
        {"profile": "default", "pii": {"us_ssn": "block"}},
        {"profile": "default", "denied_terms": ["project bluebook"]},
    ]
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = merge_configs(merged, layer)
    config = GuardrailsConfig.model_validate(merged)
    assert config.pii == {"email": "redact", "phone": "redact", "us_ssn": "block", "payment_card": "block"}
    assert config.denied_terms == ["project bluebook"]


def test_unknown_pii_type_lists_the_known_ones() -> None:
    assert error_of({"pii": {"ssn": "block"}}) == (
        "pii: Value error, unknown PII type 'ssn' (did you mean 'us_ssn'?); "
        "known: email, phone, us_ssn, payment_card"
    )


def test_unknown_action() -> None:
    assert error_of({"pii": {"email": "mask"}}) == "pii.email: Input should be 'block', 'redact', 'flag' or 'off'"


def test_unknown_profile() -> None:
    assert error_of({"profile": "hipa"}) == (
        "Value error, unknown guardrail profile 'hipa' (did you mean 'hipaa'? known: default, hipaa, pci, strict)"
    )


def test_profile_mandatory_rule_cannot_be_loosened() -> None:
    assert error_of({"profile": "pci", "pii": {"payment_card": "flag"}}) == (
        "Value error, profile 'pci': mandatory rule pii.payment_card is 'block'; an overlay may not loosen it "
        "to 'flag' (strictness: block > redact > flag > off)"
    )


def test_unknown_mandatory_rule() -> None:
    assert error_of({"mandatory": ["pii.ssn"]}) == (
        "mandatory: Value error, unknown mandatory rule 'pii.ssn' (did you mean 'pii.us_ssn'?); known: pii.email, "
        "pii.phone, pii.us_ssn, pii.payment_card, denied_terms, max_input_chars, max_output_chars"
    )


def test_mandatory_rule_needs_a_value() -> None:
    assert error_of({"mandatory": ["max_input_chars"]}) == (
        "Value error, mandatory rule max_input_chars has no value to protect (set max_input_chars or drop it)"
    )


def test_unknown_key_forbidden() -> None:
    assert error_of({"denied_topics": ["x"]}) == "denied_topics: Extra inputs are not permitted"


@pytest.mark.parametrize("value", [0, -5, "100", True])
def test_limits_are_positive_integers(value: object) -> None:
    assert error_of({"max_output_chars": value}).startswith("max_output_chars: ")


def test_denied_terms_normalised() -> None:
    config = GuardrailsConfig(denied_terms=["wire  transfer", "Bitcoin", "bitcoin", "Wire Transfer"])
    assert config.denied_terms == ["bitcoin", "wire transfer"]


def test_blank_denied_term_rejected() -> None:
    message = error_of({"denied_terms": ["ok", "  "]})
    assert message == "denied_terms: Value error, denied terms may not be empty or blank"
