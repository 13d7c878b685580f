"""Streaming model turns: Bedrock ConverseStream (botocore Stubber, events checked against the service model)
and the scripted double."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.validate import validate_parameters

from engine.errors import ModelError
from engine.models.base import ChatRequest, ChatResponse
from engine.models.bedrock import BedrockProvider
from engine.models.scripted import ScriptedProvider

REQUEST = ChatRequest(model_id="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}])
PARAMS = {"modelId": "amazon.nova-lite-v1:0", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}


class Events(dict[str, Any]):
    """The ``stream`` of a stubbed ConverseStream answer.

    The Stubber validates a response against the output shape, where the stream is a structure; botocore
    gives callers an iterable of events. Each event is validated here against that structure (the real
    service model), then this object is handed over empty (so the Stubber's check passes) and iterates
    as the events once armed.
    """

    def __init__(self, client: Any, events: list[dict[str, Any]]):
        super().__init__()
        shape = client.meta.service_model.operation_model("ConverseStream").output_shape.members["stream"]
        for event in events:
            validate_parameters(event, shape)
        self.events, self.armed = events, False

    def __iter__(self) -> Any:
        return iter(self.events) if self.armed else super().__iter__()


def _stub(stubber: Any, client: Any, events: list[dict[str, Any]]) -> None:
    stream = Events(client, events)
    stubber.add_response("converse_stream", {"stream": stream}, PARAMS)
    stream.armed = True


def _text_events(*parts: str) -> list[dict[str, Any]]:
    return [{"messageStart": {"role": "assistant"}},
            *({"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}} for p in parts),
            {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
                          "metrics": {"latencyMs": 12}}}]


async def _collect(provider: Any, request: ChatRequest = REQUEST) -> list[Any]:
    return [item async for item in provider.converse_stream(request)]


async def test_bedrock_streams_deltas_then_the_response(bedrock_client, bedrock_stubber) -> None:
    _stub(bedrock_stubber, bedrock_client, _text_events("Hel", "lo there"))
    items = await _collect(BedrockProvider(bedrock_client))
    assert items[:2] == ["Hel", "lo there"]
    response = items[-1]
    assert isinstance(response, ChatResponse) and response.text == "Hello there"
    assert (response.input_tokens, response.output_tokens, response.stop_reason) == (3, 2, "end_turn")


async def test_bedrock_streams_a_tool_use_turn(bedrock_client, bedrock_stubber) -> None:
    _stub(bedrock_stubber, bedrock_client, [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "t1", "name": "lookup"}}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"key": '}}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '"a"}'}}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}, "metrics": {"latencyMs": 9}}},
    ])
    [response] = await _collect(BedrockProvider(bedrock_client))
    assert response.tool_calls[0].name == "lookup" and response.tool_calls[0].input == {"key": "a"}


async def test_a_throttled_stream_is_a_retryable_model_error(bedrock_client, bedrock_stubber) -> None:
    bedrock_stubber.add_client_error("converse_stream", service_error_code="ThrottlingException",
                                     service_message="Too many requests", http_status_code=429,
                                     expected_params=PARAMS)
    with pytest.raises(ModelError) as caught:
        await _collect(BedrockProvider(bedrock_client))
    assert caught.value.retryable and caught.value.error_code == "ThrottlingException"
    assert "Too many requests" not in str(caught.value)  # AWS messages can echo the request


async def test_a_stream_that_breaks_halfway_raises_after_its_first_deltas(bedrock_client, bedrock_stubber) -> None:
    events = _text_events("Hel", "lo")[:2] + [{"modelStreamErrorException": {"message": "broken",
                                                                              "originalStatusCode": 500}}]
    _stub(bedrock_stubber, bedrock_client, events)
    seen: list[Any] = []
    with pytest.raises(ModelError) as caught:
        async for item in BedrockProvider(bedrock_client).converse_stream(REQUEST):
            seen.append(item)
    assert seen == ["Hel"] and caught.value.retryable
    assert caught.value.error_code == "ModelStreamErrorException"


async def test_the_scripted_double_streams_its_answer_token_by_token() -> None:
    provider = ScriptedProvider.from_dict({"responses": [{"match": "hi", "text": "Hello, world. Bye!"},
                                                         {"match": "break", "text": "one two three",
                                                          "break_after": 2}]})
    items = await _collect(provider)
    assert items[:-1] == ["Hello", ",", " world", ".", " Bye", "!"]
    assert items[-1].text == "Hello, world. Bye!" and items[-1].output_tokens == 6
    broken = ChatRequest(model_id="m", messages=[{"role": "user", "content": [{"text": "break"}]}])
    seen: list[Any] = []
    with pytest.raises(ModelError, match="ModelStreamErrorException"):
        async for item in provider.converse_stream(broken):
            seen.append(item)
    assert seen == ["one", " two"]
