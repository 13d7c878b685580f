"""Denied topics: built-in and custom, the topic's name as the finding type."""

from __future__ import annotations

import pytest

from engine.guardrails.chain import GuardChain
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.topics import BUILTIN_TOPICS, DeniedTopicsDetector


def test_builtin_and_custom_topics() -> None:
    detector = DeniedTopicsDetector({"investment_advice": [], "competitors": ["Acme Rival", "rivalsoft"]})
    text = "Any STOCK TIPS? Or is Acme  Rival better than us?"
    assert [(f.type, text[f.start : f.end]) for f in detector.scan(text)] == [
        ("investment_advice", "STOCK TIPS"),
        ("competitors", "Acme  Rival"),
    ]
    assert detector.topics == ("competitors", "investment_advice")


def test_unknown_builtin_topic_is_refused() -> None:
    with pytest.raises(ValueError, match="topic 'astrology' has no phrases and is not built in"):
        DeniedTopicsDetector({"astrology": []})
    assert set(BUILTIN_TOPICS) == {"investment_advice", "legal_advice", "medical_diagnosis", "politics", "gambling"}


def test_the_chain_blocks_a_denied_topic_on_both_stages() -> None:
    chain = GuardChain(GuardrailsConfig.model_validate({"denied_topics": {"legal_advice": []}}))
    result = chain.check("Should I sue my landlord?", "input", "ticket")
    assert result.message == "Your message was blocked by the input guardrail (legal_advice)."
    assert result.records[0]["category"] == "denied_topic"
    flagged = GuardChain(GuardrailsConfig.model_validate(
        {"denied_topics": {"legal_advice": []}, "denied_topics_action": "flag"}))
    assert flagged.check("you can sue them", "output").blocked is False
