"""merge_configs: overlays replace, lists union, mandatory rules only tighten."""

from __future__ import annotations

import copy

import pytest

from engine.guardrails.merge import Loosening, MandatoryRuleError, merge_configs

BASE = {
    "profile": "default",
    "pii": {"email": "redact", "us_ssn": "redact"},
    "denied_terms": ["bitcoin"],
    "max_input_chars": 4000,
    "mandatory": ["pii.us_ssn", "max_input_chars"],
}


def test_overlay_replaces_and_merges_pii_per_type() -> None:
    merged = merge_configs(BASE, {"profile": "strict", "pii": {"email": "flag"}, "max_output_chars": 500})
    assert merged == {
        "profile": "strict",
        "pii": {"email": "flag", "us_ssn": "redact"},
        "denied_terms": ["bitcoin"],
        "max_input_chars": 4000,
        "mandatory": ["pii.us_ssn", "max_input_chars"],
        "max_output_chars": 500,
    }


def test_lists_are_unioned() -> None:
    merged = merge_configs(BASE, {"denied_terms": ["BitCoin", "gift card"], "mandatory": ["pii.email"]})
    assert merged["denied_terms"] == ["bitcoin", "gift card"]
    assert merged["mandatory"] == ["pii.us_ssn", "max_input_chars", "pii.email"]


def test_inputs_are_not_modified() -> None:
    base, overlay = copy.deepcopy(BASE), {"pii": {"email": "block"}, "denied_terms": ["x"]}
    merge_configs(base, overlay)
    assert base == BASE
    assert overlay == {"pii": {"email": "block"}, "denied_terms": ["x"]}


def test_tenant_may_tighten_a_mandatory_rule() -> None:
    merged = merge_configs(BASE, {"pii": {"us_ssn": "block"}, "max_input_chars": 2000})
    assert (merged["pii"]["us_ssn"], merged["max_input_chars"]) == ("block", 2000)


def test_tenant_may_loosen_a_rule_that_is_not_mandatory() -> None:
    assert merge_configs(BASE, {"pii": {"email": "off"}})["pii"]["email"] == "off"


def test_tenant_may_not_loosen_a_mandatory_action() -> None:
    with pytest.raises(MandatoryRuleError) as caught:
        merge_configs(BASE, {"pii": {"us_ssn": "flag"}})
    assert caught.value.loosenings == (Loosening("pii.us_ssn", "redact", "flag"),)
    assert str(caught.value) == (
        "mandatory rule pii.us_ssn is 'redact'; an overlay may not loosen it to 'flag' "
        "(strictness: block > redact > flag > off)"
    )


def test_every_loosening_is_reported_together() -> None:
    with pytest.raises(MandatoryRuleError) as caught:
        merge_configs(BASE, {"pii": {"us_ssn": "off"}, "max_input_chars": 9000})
    assert str(caught.value) == (
        "mandatory rule pii.us_ssn is 'redact'; an overlay may not loosen it to 'off' "
        "(strictness: block > redact > flag > off); "
        "mandatory rule max_input_chars is 4000; an overlay may not raise it to 9000"
    )


def test_removing_a_mandatory_limit_is_loosening() -> None:
    with pytest.raises(ValueError, match="^mandatory rule max_input_chars is 4000; an overlay may not remove it$"):
        merge_configs(BASE, {"max_input_chars": None})


def test_mandatory_denied_terms_protects_the_default_action() -> None:
    expected = "mandatory rule denied_terms is 'block'; an overlay may not loosen it to 'flag'"
    with pytest.raises(ValueError, match=expected):
        merge_configs({"mandatory": ["denied_terms"]}, {"denied_terms_action": "flag"})


def test_mandatory_carries_through_later_layers() -> None:
    platform = {"pii": {"payment_card": "block"}, "mandatory": ["pii.payment_card"]}
    tier = merge_configs(platform, {"mandatory": []})
    with pytest.raises(MandatoryRuleError):
        merge_configs(tier, {"pii": {"payment_card": "redact"}})


def test_malformed_values_pass_through_for_the_model_to_report() -> None:
    assert merge_configs(BASE, {"pii": {"us_ssn": "blokc"}})["pii"]["us_ssn"] == "blokc"
    assert merge_configs(BASE, {"pii": "block"})["pii"] == "block"
