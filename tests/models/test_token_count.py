"""The deterministic token approximation of the scripted double."""

from __future__ import annotations

from engine.models import ChatRequest, ToolCall, ToolSpec
from engine.models.token_count import count_tokens, request_tokens, response_tokens


def test_words_and_punctuation_count_one_each() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("") == 0
    assert count_tokens("don't  stop\n") == 4  # don ' t stop
    assert count_tokens("café 42") == 2  # \w is Unicode-aware


def test_request_counts_system_messages_tool_blocks_and_tool_specs() -> None:
    request = ChatRequest(
        model_id="m",
        system="Be brief.",  # 3
        messages=[
            {"role": "user", "content": [{"text": "Hello, world!"}]},  # 4
            # name 1 + {"id":1} = { " id " : 1 } 7
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"id": 1}}}]},
            # ok 1 + {"n":2} 7
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}, {"json": {"n": 2}}]}}],
            },
        ],
        # lookup 1 + Find it. 3 + {"type":"object"} 9
        tools=[ToolSpec("lookup", "Find it.", {"type": "object"})],
    )

    assert request_tokens(request) == 3 + 4 + 8 + 8 + 13


def test_response_counts_text_and_tool_calls() -> None:
    assert response_tokens("Hi there!", [ToolCall("t1", "lookup", {"id": 1})]) == 3 + 8
