"""ScriptedProvider: the offline test double answering from fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ModelError
from engine.models import ChatRequest, ScriptedProvider, ToolCall

MODEL = "amazon.nova-pro-v1:0"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def request(text: str = "Hello", **fields: Any) -> ChatRequest:
    routing = {"workflow": "support-triage", "step": "classify", "tenant_id": "acme"} | fields
    return ChatRequest(model_id=MODEL, messages=[user(text)], **routing)


async def answer(provider: ScriptedProvider, req: ChatRequest) -> str:
    return (await provider.converse(req)).text


async def test_first_matching_response_in_file_order_wins() -> None:
    provider = ScriptedProvider.from_dict(
        {
            "responses": [
                {"step": "draft", "text": "wrong step"},
                {"tenant": "globex", "text": "wrong tenant"},
                {"workflow": "onboarding", "text": "wrong workflow"},
                {"model": "anthropic.claude-3-haiku-20240307-v1:0", "text": "wrong model"},
                {"match": "(?i)refund", "step": "classify", "text": "refund"},
                {"step": "classify", "text": "any classify"},
                {"text": "catch-all"},
            ]
        }
    )

    assert await answer(provider, request("I want a REFUND")) == "refund"
    assert await answer(provider, request("Where is my parcel?")) == "any classify"
    assert await answer(provider, request("Hi", step="draft")) == "wrong step"
    assert await answer(provider, request("Hi", step="other", tenant_id="globex")) == "wrong tenant"
    assert await answer(provider, request("Hi", step="other")) == "catch-all"


async def test_json_response_is_compact_json_text_and_model_placeholder_is_filled() -> None:
    provider = ScriptedProvider.from_dict(
        {
            "responses": [
                {"step": "classify", "json": {"category": "billing", "priority": 1, "by": "{model}"}},
                {"step": "draft", "text": "Answered by {model}: {\"raw\": true}"},
            ]
        }
    )

    assert await answer(provider, request()) == '{"category":"billing","priority":1,"by":"amazon.nova-pro-v1:0"}'
    assert await answer(provider, request(step="draft")) == 'Answered by amazon.nova-pro-v1:0: {"raw": true}'


async def test_default_answers_when_nothing_matches() -> None:
    provider = ScriptedProvider.from_dict({"responses": [{"step": "draft", "text": "x"}], "default": "Hi from {model}."})

    response = await provider.converse(request())

    assert (response.text, response.stop_reason, response.provider) == (f"Hi from {MODEL}.", "end_turn", "scripted")
    assert response.message == {"role": "assistant", "content": [{"text": f"Hi from {MODEL}."}]}


async def test_no_match_and_no_default_is_a_non_retryable_error() -> None:
    provider = ScriptedProvider.from_dict({"responses": [{"step": "draft", "text": "x"}]})

    with pytest.raises(ModelError) as caught:
        await provider.converse(request())

    assert str(caught.value) == (f"no scripted response for workflow support-triage step classify (model {MODEL}); "
                                 "add one to the scripted fixture:\n  - step: classify\n    text: \"[{model}] ...\"")
    assert (caught.value.retryable, caught.value.provider) == (False, "scripted")


async def test_scripted_error_fails_the_first_n_matching_calls_then_falls_through() -> None:
    provider = ScriptedProvider.from_dict(
        {
            "responses": [
                {"step": "classify", "error": "ThrottlingException", "times": 2},
                {"step": "classify", "text": "recovered"},
            ]
        }
    )

    for _ in range(2):
        with pytest.raises(ModelError) as caught:
            await provider.converse(request())
        error = caught.value
        assert (error.retryable, error.provider, error.error_code) == (True, "scripted", "ThrottlingException")
        assert str(error) == f"scripted converse failed for model {MODEL}: ThrottlingException"
    assert await answer(provider, request()) == "recovered"
    assert await answer(provider, request()) == "recovered"


async def test_scripted_error_without_times_always_fails_and_follows_bedrock_retryability() -> None:
    provider = ScriptedProvider.from_dict({"responses": [{"error": "ValidationException"}], "default": "never"})

    for _ in range(3):
        with pytest.raises(ModelError) as caught:
            await provider.converse(request())
        assert (caught.value.retryable, caught.value.error_code) == (False, "ValidationException")


async def test_tool_use_loop_ends_with_after_tool() -> None:
    provider = ScriptedProvider.from_dict(
        {
            "responses": [
                {
                    "step": "lookup",
                    "after_tool": False,
                    "tool_calls": [{"name": "billing.get_invoices", "input": {"customer_id": "c1"}}],
                },
                {"step": "lookup", "after_tool": True, "match": "(?i)charged", "text": "You were charged once."},
            ]
        }
    )
    messages = [user("Why was I charged twice?")]

    first = await provider.converse(ChatRequest(model_id=MODEL, messages=messages, step="lookup"))

    assert first.stop_reason == "tool_use"
    assert first.text == ""
    assert first.tool_calls == [ToolCall(id="tooluse_0_0", name="billing.get_invoices", input={"customer_id": "c1"})]
    assert first.message == {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "tooluse_0_0", "name": "billing.get_invoices", "input": {"customer_id": "c1"}}}],
    }

    messages += [
        first.message,
        {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_0_0", "content": [{"json": {"invoices": 1}}]}}]},
    ]
    second = await provider.converse(ChatRequest(model_id=MODEL, messages=messages, step="lookup"))

    # `match` still sees the user's question: tool results carry no user text.
    assert (second.text, second.stop_reason, second.tool_calls) == ("You were charged once.", "end_turn", [])


async def test_tool_call_input_is_a_copy_of_the_fixture() -> None:
    provider = ScriptedProvider.from_dict({"responses": [{"tool_calls": [{"name": "t", "input": {"ids": [1]}}]}]})

    first = await provider.converse(request())
    first.tool_calls[0].input["ids"].append(2)

    assert (await provider.converse(request())).tool_calls[0].input == {"ids": [1]}


async def test_token_counts_are_exact_and_latency_is_measured() -> None:
    provider = ScriptedProvider.from_dict({"default": "Hi there!"})
    req = ChatRequest(model_id=MODEL, messages=[user("Hello, world!")], system="Be brief.")

    response = await provider.converse(req)

    # "Be brief." = Be|brief|. and "Hello, world!" = Hello|,|world|! ; "Hi there!" = Hi|there|!
    assert (response.input_tokens, response.output_tokens) == (7, 3)
    assert isinstance(response.latency_ms, float) and response.latency_ms >= 0.0


async def test_from_file(tmp_path: Path) -> None:
    fixture = tmp_path / "models.yaml"
    fixture.write_text(
        "responses:\n"
        "  - step: classify\n"
        "    match: '(?i)refund'\n"
        "    json: {category: billing}\n"
        "default: I can help with that.\n",
        encoding="utf-8",
    )
    provider = ScriptedProvider.from_file(fixture)

    assert await answer(provider, request("refund please")) == '{"category":"billing"}'
    assert await answer(provider, request("hello")) == "I can help with that."
