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


DEFAULT_PII = {
    "email": "redact", "phone": "redact", "us_ssn": "redact", "payment_card": "block", "iban": "redact",
    "ip_address": "flag", "date_of_birth": "redact", "medical_record_number": "redact",
}  # fmt: skip
SECRETS = {"aws_access_key": "block", "aws_secret_key": "block", "jwt": "block", "api_key": "block",
           "private_key": "block"}  # fmt: skip


def test_default_profile() -> None:
    config = GuardrailsConfig()
    assert config.pii == DEFAULT_PII
    assert config.secrets == SECRETS
    assert (config.denied_terms, config.denied_terms_action, config.mandatory) == ([], "block", [])
    assert (config.denied_topics, config.denied_topics_action) == ({}, "block")
    assert (config.injection.action, config.injection.threshold) == ("block", 0.5)
    assert (config.leakage.action, config.leakage.markers, config.leakage.canaries) == ("block", [], [])
    assert (config.output_format, config.bedrock) == ("flag", None)
    assert (config.max_input_chars, config.max_output_chars) == (None, None)


def test_profiles() -> None:
    assert sorted(PROFILES) == ["default", "hipaa", "pci", "strict"]
    strict = GuardrailsConfig(profile="strict")
    assert strict.pii == {**DEFAULT_PII, "phone": "block", "us_ssn": "block"}
    assert (strict.mandatory, strict.injection.threshold, strict.output_format) == ([], 0.4, "block")
    hipaa = GuardrailsConfig(profile="hipaa")
    assert hipaa.pii == strict.pii
    assert hipaa.mandatory == sorted([*(f"pii.{t}" for t in DEFAULT_PII), *(f"secrets.{t}" for t in SECRETS), "leakage"])
    pci = GuardrailsConfig(profile="pci")
    assert pci.pii == GuardrailsConfig().pii
    assert pci.mandatory == sorted(["pii.payment_card", *(f"secrets.{t}" for t in SECRETS), "leakage"])


def test_explicit_values_apply_on_top_of_the_profile() -> None:
    config = GuardrailsConfig.model_validate({"profile": "pci", "pii": {"email": "block", "phone": "off"}})
    assert config.pii == {**DEFAULT_PII, "email": "block", "phone": "off"}


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
    assert config.pii == {**DEFAULT_PII, "us_ssn": "block"}
    assert config.denied_terms == ["project bluebook"]


def test_unknown_pii_type_lists_the_known_ones() -> None:
    assert error_of({"pii": {"ssn": "block"}}) == (
        "pii: Value error, unknown PII type 'ssn' (did you mean 'us_ssn'?); "
        "known: email, phone, us_ssn, payment_card, iban, ip_address, date_of_birth, medical_record_number"
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
        "pii.phone, pii.us_ssn, pii.payment_card, pii.iban, pii.ip_address, pii.date_of_birth, "
        "pii.medical_record_number, secrets.aws_access_key, secrets.aws_secret_key, secrets.jwt, secrets.api_key, "
        "secrets.private_key, denied_terms, denied_topics, injection, leakage, output_format, max_input_chars, "
        "max_output_chars, bedrock"
    )


def test_mandatory_rule_needs_a_value() -> None:
    assert error_of({"mandatory": ["max_input_chars"]}) == (
        "Value error, mandatory rule max_input_chars has no value to protect (set max_input_chars or drop it)"
    )


def test_unknown_key_forbidden() -> None:
    assert error_of({"denied_topic": ["x"]}) == "denied_topic: Extra inputs are not permitted"
    assert error_of({"leakage": {"marker": ["x"]}}) == "leakage.marker: Extra inputs are not permitted"


def test_unknown_secret_type() -> None:
    assert error_of({"secrets": {"aws_access": "block"}}) == (
        "secrets: Value error, unknown secret type 'aws_access' (did you mean 'aws_access_key'?); "
        "known: aws_access_key, aws_secret_key, jwt, api_key, private_key"
    )


def test_denied_topics_builtin_or_with_phrases() -> None:
    config = GuardrailsConfig.model_validate({"denied_topics": {"legal_advice": [], "rivals": ["Acme  Rival"]}})
    assert config.denied_topics == {"legal_advice": [], "rivals": ["acme rival"]}
    assert error_of({"denied_topics": {"legal_advise": []}}) == (
        "denied_topics: Value error, topic 'legal_advise' has no phrases and is not a built-in topic (did you "
        "mean 'legal_advice'?); give it phrases or use one of: investment_advice, legal_advice, medical_diagnosis, "
        "politics, gambling"
    )


def test_injection_threshold_and_actions() -> None:
    assert GuardrailsConfig.model_validate({"injection": {"threshold": 0.3}}).injection.threshold == 0.3
    assert error_of({"injection": {"threshold": 0}}).startswith("injection.threshold: Input should be greater than 0")
    assert error_of({"injection": {"action": "redact"}}) == "injection.action: Input should be 'block', 'flag' or 'off'"
    assert error_of({"output_format": "redact"}) == "output_format: Input should be 'block', 'flag' or 'off'"


def test_mrn_pattern_must_compile_and_match_something() -> None:
    assert error_of({"mrn_pattern": "MRN-(\\d{7}"}).startswith(
        "mrn_pattern: Value error, mrn_pattern is not a valid regular expression: missing ), unterminated subpattern"
    )
    assert error_of({"mrn_pattern": "\\d*"}) == (
        "mrn_pattern: Value error, mrn_pattern matches the empty string; it would find a number everywhere"
    )


def test_leakage_marks_are_cleaned() -> None:
    config = GuardrailsConfig.model_validate({"leakage": {"markers": ["Acme  Health", "Acme Health"]}})
    assert config.leakage.markers == ["Acme Health"]
    assert error_of({"leakage": {"canaries": ["ab"]}}) == (
        "leakage.canaries: Value error, markers and canaries need at least 3 characters: 'ab'"
    )


def test_bedrock_section() -> None:
    config = GuardrailsConfig.model_validate({"bedrock": {"guardrail_id": "gr-1", "guardrail_version": "3"}})
    assert config.bedrock is not None
    assert (config.bedrock.stages, config.bedrock.on_error, config.bedrock.enabled) == (["input", "output"], "block", True)
    assert error_of({"bedrock": {"guardrail_id": "gr-1", "guardrail_version": "v3"}}) == (
        "bedrock.guardrail_version: String should match pattern '^(DRAFT|[1-9][0-9]{0,7})$'"
    )
    assert error_of({"bedrock": {"guardrail_version": "1"}}) == "bedrock.guardrail_id: Field required"


def test_chain_key_ignores_the_tenants_own_marks() -> None:
    plain = GuardrailsConfig()
    marked = GuardrailsConfig.model_validate({"leakage": {"markers": ["Acme"], "canaries": ["CANARY-1"]}})
    assert plain.chain_key() == marked.chain_key()
    assert plain.chain_key() != GuardrailsConfig.model_validate({"leakage": {"action": "redact"}}).chain_key()


@pytest.mark.parametrize("value", [0, -5, "100", True])
def test_limits_are_positive_integers(value: object) -> None:
    assert error_of({"max_output_chars": value}).startswith("max_output_chars: ")


def test_denied_terms_normalised() -> None:
    config = GuardrailsConfig(denied_terms=["wire  transfer", "Bitcoin", "bitcoin", "Wire Transfer"])
    assert config.denied_terms == ["bitcoin", "wire transfer"]


def test_blank_denied_term_rejected() -> None:
    message = error_of({"denied_terms": ["ok", "  "]})
    assert message == "denied_terms: Value error, denied terms may not be empty or blank"
