"""Amazon Bedrock Guardrails through ApplyGuardrail, against botocore's Stubber.

The Stubber checks every request against the real bedrock-runtime service
model, and every canned response against its output shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from engine.engine import Engine
from engine.guardrails.base import Finding
from engine.guardrails.bedrock import PROVIDERS, BedrockGuardrail, BedrockGuardrailError, parse_response
from engine.guardrails.chain import GuardChain
from engine.guardrails.config import GuardrailsConfig
from engine.project import load_project
from tests.conftest import PROJECT_YAML, tenant_yaml

USAGE = {"topicPolicyUnits": 1, "contentPolicyUnits": 1, "wordPolicyUnits": 1, "sensitiveInformationPolicyUnits": 1,
         "sensitiveInformationPolicyFreeUnits": 0, "contextualGroundingPolicyUnits": 0}
TEXT = "Mail me at ann@example.com about crypto tips"


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield
    PROVIDERS.clear()


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def request(text: str, source: str = "INPUT", version: str = "3") -> dict[str, Any]:
    return {"guardrailIdentifier": "gr-abc123", "guardrailVersion": version, "source": source,
            "content": [{"text": {"text": text}}], "outputScope": "INTERVENTIONS"}


def response(assessments: list[dict[str, Any]], action: str = "GUARDRAIL_INTERVENED") -> dict[str, Any]:
    return {"usage": USAGE, "action": action, "outputs": [{"text": "[masked]"}], "assessments": assessments}


INTERVENED = [{
    "sensitiveInformationPolicy": {
        "piiEntities": [{"match": "ann@example.com", "type": "EMAIL", "action": "ANONYMIZED", "detected": True}],
        "regexes": [],
    },
    "topicPolicy": {"topics": [{"name": "Investment Advice", "type": "DENY", "action": "BLOCKED", "detected": True}]},
    "contentPolicy": {"filters": [{"type": "PROMPT_ATTACK", "confidence": "LOW", "action": "NONE",
                                   "detected": False}]},
}]


async def test_apply_sends_the_exact_request_and_maps_assessments(client: Any, stubber: Stubber) -> None:
    stubber.add_response("apply_guardrail", response(INTERVENED), request(TEXT))
    assessment = await BedrockGuardrail("gr-abc123", "3", client=client).apply(TEXT, "input")
    assert assessment.intervened is True
    assert assessment.findings == [
        (Finding("denied_topic", "investment_advice", 0, len(TEXT), 0.9), "block"),
        (Finding("pii", "email", 11, 26, 0.9), "redact"),
    ]  # the PROMPT_ATTACK filter was not detected, so it is no finding


def test_every_policy_maps_to_a_category() -> None:
    text = "damn, my password is hunter2 and call 555-0100"
    assessment = parse_response(response([{
        "wordPolicy": {"customWords": [], "managedWordLists": [{"match": "damn", "type": "PROFANITY",
                                                                 "action": "BLOCKED"}]},
        "sensitiveInformationPolicy": {
            "piiEntities": [{"match": "hunter2", "type": "PASSWORD", "action": "BLOCKED"},
                            {"match": "not in the text", "type": "NAME", "action": "NONE"}],
            "regexes": [{"name": "Short phone", "match": "555-0100", "regex": "\\d{3}-\\d{4}", "action": "ANONYMIZED"}],
        },
        "contentPolicy": {"filters": [{"type": "INSULTS", "confidence": "HIGH", "action": "BLOCKED"}]},
        "contextualGroundingPolicy": {"filters": [{"type": "GROUNDING", "threshold": 0.7, "score": 0.2,
                                                   "action": "BLOCKED"}]},
    }]), text)
    assert [(f.category, f.type, f.start, f.end, action) for f, action in assessment.findings] == [
        ("content", "insults", 0, len(text), "block"),
        ("denied_term", "profanity", 0, 4, "block"),
        ("secret", "password", 21, 28, "block"),
        ("pii", "name", 0, len(text), "flag"),  # the service's match is not in the text: the whole text
        ("pii", "short_phone", 38, 46, "redact"),
        ("grounding", "grounding", 0, len(text), "block"),
    ]


def chain(client: Any, **bedrock: Any) -> GuardChain:
    config = GuardrailsConfig.model_validate(
        {"pii": {"email": "off"}, "bedrock": {"guardrail_id": "gr-abc123", "guardrail_version": "3", **bedrock}})
    return GuardChain(config, bedrock=BedrockGuardrail("gr-abc123", "3", client=client))


async def test_the_chain_merges_bedrock_findings_into_its_records(client: Any, stubber: Stubber) -> None:
    stubber.add_response("apply_guardrail", response(INTERVENED), request(TEXT))
    result = await chain(client).acheck_value({"ticket": TEXT}, "input")
    assert [(r["detector"], r["category"], r["type"], r["action"], r["field"]) for r in result.records] == [
        ("bedrock", "denied_topic", "investment_advice", "block", "ticket"),
        ("bedrock", "pii", "email", "redact", "ticket"),
    ]
    assert result.message == "Your message was blocked by the input guardrail (investment_advice)."
    assert "ann@example.com" not in repr(result.records)


async def test_the_output_guard_sends_source_output(client: Any, stubber: Stubber) -> None:
    stubber.add_response("apply_guardrail", response([], action="NONE"), request("All good.", source="OUTPUT"))
    result = await chain(client).acheck_value({"reply": "All good."}, "output")
    assert (result.records, result.blocked) == ([], False)


async def test_a_stage_not_listed_does_not_call_the_service(client: Any, stubber: Stubber) -> None:
    result = await chain(client, stages=["output"]).acheck_value({"ticket": TEXT}, "input")
    assert result.records == []  # the stubber has no response queued: any call would fail


@pytest.mark.parametrize(("on_error", "action", "blocked"), [("block", "block", True), ("allow", "flag", False)])
async def test_a_service_failure_fails_closed_unless_told_otherwise(client: Any, stubber: Stubber, on_error: str,
                                                                   action: str, blocked: bool) -> None:
    stubber.add_client_error("apply_guardrail", service_error_code="ThrottlingException", http_status_code=429,
                             expected_params=request(TEXT))
    result = await chain(client, on_error=on_error).acheck_value({"ticket": TEXT}, "input")
    assert [(r["category"], r["type"], r["action"]) for r in result.records] == [
        ("provider", "bedrock_unavailable", action)]
    assert result.blocked is blocked


async def test_errors_never_carry_the_request(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("apply_guardrail", service_error_code="ValidationException",
                             service_message=f"bad input: {TEXT}")
    with pytest.raises(BedrockGuardrailError) as caught:
        await BedrockGuardrail("gr-abc123", "3", client=client).apply(TEXT, "input")
    assert str(caught.value) == "bedrock apply_guardrail failed: ValidationException"


async def test_a_tier_with_a_bedrock_guardrail_applies_it_in_both_guard_nodes(make_project, client: Any,
                                                                               stubber: Stubber) -> None:
    project = PROJECT_YAML.replace(
        "  premium: {model: large, allowed_models: [medium, small]}\n",
        "  premium:\n    model: large\n    allowed_models: [medium, small]\n"
        "    guardrails: {bedrock: {guardrail_id: gr-abc123, guardrail_version: '3', region: us-east-1}}\n")
    root = make_project({"tenantflow.yaml": project},
                        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "premium")})
    PROVIDERS.install(BedrockGuardrail("gr-abc123", "3", client=client), region_name="us-east-1")
    engine = Engine(load_project(root))
    topic = [{"topicPolicy": {"topics": [{"name": "Weather", "type": "DENY", "action": "NONE"}]}}]
    stubber.add_response("apply_guardrail", response(topic), request("hello there"))
    stubber.add_response("apply_guardrail", response([], action="NONE"),
                         request("[large-v1] answer", source="OUTPUT"))
    beta = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "hello there"})
    assert beta.blocked is None
    assert [(r["stage"], r["detector"], r["type"], r["action"]) for r in beta.guard] == [
        ("input", "bedrock", "weather", "flag")]
    # alpha's tier has no Bedrock guardrail: no call (none is queued).
    alpha = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hello there"})
    assert alpha.guard == []
