"""BedrockProvider against botocore's Stubber, which validates every request
against the real bedrock-runtime service model."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from engine.errors import ModelError
from engine.models import BedrockProvider, ChatRequest, ChatResponse, ToolCall, ToolSpec

MODEL = "amazon.nova-pro-v1:0"
INVOICE_SCHEMA = {"type": "object", "properties": {"customer_id": {"type": "string"}}, "required": ["customer_id"]}


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Fake credentials, and no user config file: nothing real is ever used.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def converse_response(content: list[dict[str, Any]], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 42, "outputTokens": 7, "totalTokens": 49},
        "metrics": {"latencyMs": 321},
    }


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


async def test_text_turn_sends_exact_params_and_maps_response(client: Any, stubber: Stubber) -> None:
    stubber.add_response(
        "converse",
        converse_response([{"text": "Your refund "}, {"text": "is on its way."}]),
        expected_params={
            "modelId": MODEL,
            "messages": [user("Where is my refund?")],
            "system": [{"text": "You are a support agent."}],
            "inferenceConfig": {"maxTokens": 256, "temperature": 0.2, "stopSequences": ["END"]},
        },
    )
    request = ChatRequest(
        model_id=MODEL,
        messages=[user("Where is my refund?")],
        system="You are a support agent.",
        max_tokens=256,
        temperature=0.2,
        stop_sequences=["END"],
        workflow="support-triage",
        step="draft",
        tenant_id="acme",
    )

    response = await BedrockProvider(client).converse(request)

    assert response == ChatResponse(
        text="Your refund is on its way.",
        tool_calls=[],
        stop_reason="end_turn",
        input_tokens=42,
        output_tokens=7,
        latency_ms=321.0,
        model_id=MODEL,
        provider="bedrock",
        message={"role": "assistant", "content": [{"text": "Your refund "}, {"text": "is on its way."}]},
    )


async def test_unset_options_are_not_sent(client: Any, stubber: Stubber) -> None:
    stubber.add_response(
        "converse",
        converse_response([{"text": "Hi"}]),
        expected_params={"modelId": MODEL, "messages": [user("Hello")]},
    )
    response = await BedrockProvider(client).converse(ChatRequest(model_id=MODEL, messages=[user("Hello")], system=""))
    assert response.text == "Hi"


async def test_tool_use_turn_sends_tool_config_and_parses_tool_calls(client: Any, stubber: Stubber) -> None:
    tool_use = {"toolUseId": "tooluse_abc123", "name": "billing_get_invoices", "input": {"customer_id": "c1"}}
    stubber.add_response(
        "converse",
        converse_response([{"text": "Let me check."}, {"toolUse": tool_use}], stop_reason="tool_use"),
        expected_params={
            "modelId": MODEL,
            "messages": [user("Why was I charged twice?")],
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            # Bedrock rejects '.' in tool names: sent as a wire name.
                            "name": "billing_get_invoices",
                            "description": "List a customer's invoices.",
                            "inputSchema": {"json": INVOICE_SCHEMA},
                        }
                    }
                ]
            },
        },
    )
    request = ChatRequest(
        model_id=MODEL,
        messages=[user("Why was I charged twice?")],
        tools=[ToolSpec("billing.get_invoices", "List a customer's invoices.", INVOICE_SCHEMA)],
    )

    response = await BedrockProvider(client).converse(request)

    assert response.tool_calls == [ToolCall(id="tooluse_abc123", name="billing.get_invoices", input={"customer_id": "c1"})]
    assert response.stop_reason == "tool_use"
    assert response.text == "Let me check."
    assert (response.input_tokens, response.output_tokens) == (42, 7)
    # The caller's names come back, ready to append to the conversation.
    assert response.message["content"][1] == {"toolUse": {**tool_use, "name": "billing.get_invoices"}}


async def test_tool_result_turn_renames_history_without_touching_callers_messages(client: Any, stubber: Stubber) -> None:
    messages = [
        user("Why was I charged twice?"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "billing.get_invoices", "input": {"customer_id": "c1"}}}],
        },
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"invoices": 2}}]}}]},
    ]
    original = copy.deepcopy(messages)
    wire_messages = copy.deepcopy(messages)
    wire_messages[1]["content"][0]["toolUse"]["name"] = "billing_get_invoices"
    stubber.add_response(
        "converse",
        converse_response([{"text": "You have two invoices."}]),
        expected_params={
            "modelId": MODEL,
            "messages": wire_messages,
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": "billing_get_invoices",
                            "description": "List invoices.",
                            "inputSchema": {"json": INVOICE_SCHEMA},
                        }
                    }
                ]
            },
        },
    )
    request = ChatRequest(
        model_id=MODEL, messages=messages, tools=[ToolSpec("billing.get_invoices", "List invoices.", INVOICE_SCHEMA)]
    )

    response = await BedrockProvider(client).converse(request)

    assert response.text == "You have two invoices."
    assert messages == original


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("ThrottlingException", 429, True),
        ("ServiceUnavailableException", 503, True),
        ("ModelNotReadyException", 429, True),
        ("InternalServerException", 500, True),
        ("ModelTimeoutException", 408, True),
        ("ValidationException", 400, False),
        ("AccessDeniedException", 403, False),
        ("ResourceNotFoundException", 404, False),
        ("ModelErrorException", 424, False),
    ],
)
async def test_client_errors_map_to_model_error(
    client: Any, stubber: Stubber, code: str, status: int, retryable: bool
) -> None:
    stubber.add_client_error(
        "converse",
        service_error_code=code,
        service_message="prompt 'my secret ticket' is invalid",
        http_status_code=status,
    )

    with pytest.raises(ModelError) as caught:
        await BedrockProvider(client).converse(ChatRequest(model_id=MODEL, messages=[user("my secret ticket")]))

    error = caught.value
    assert (error.retryable, error.provider, error.error_code) == (retryable, "bedrock", code)
    # Safe to show: no request contents, no AWS message echoing them.
    assert str(error) == f"bedrock converse failed for model {MODEL}: {code}"


async def test_connection_error_is_retryable() -> None:
    class Unreachable:
        def converse(self, **params: Any) -> dict[str, Any]:
            raise EndpointConnectionError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    with pytest.raises(ModelError) as caught:
        await BedrockProvider(Unreachable()).converse(ChatRequest(model_id=MODEL, messages=[user("Hi")]))

    assert (caught.value.retryable, caught.value.error_code) == (True, "EndpointConnectionError")


async def test_client_is_created_on_first_call_not_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)

    provider = BedrockProvider()  # no region anywhere: creating a client now would fail

    with pytest.raises(ModelError) as caught:
        await provider.converse(ChatRequest(model_id=MODEL, messages=[user("Hi")]))
    assert (caught.value.retryable, caught.value.error_code) == (False, "NoRegionError")
    assert str(caught.value) == f"bedrock converse failed for model {MODEL}: NoRegionError"


async def test_tool_names_colliding_on_the_wire_fail_before_calling(client: Any, stubber: Stubber) -> None:
    tools = [ToolSpec("billing.get", "a", {"type": "object"}), ToolSpec("billing_get", "b", {"type": "object"})]

    with pytest.raises(ModelError) as caught:
        await BedrockProvider(client).converse(ChatRequest(model_id=MODEL, messages=[user("Hi")], tools=tools))

    assert (caught.value.retryable, caught.value.error_code) == (False, "ToolNameCollision")
    assert str(caught.value) == (
        f"bedrock converse failed for model {MODEL}: ToolNameCollision "
        "(tool names 'billing.get' and 'billing_get' both become 'billing_get' for Bedrock; rename one)"
    )
