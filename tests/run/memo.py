"""A model double for conversation tests: it answers with everything the user said in what it was sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.models import register_provider, reset_providers
from engine.models.base import ChatRequest, ChatResponse

#: Every request the memo model received, in order.
REQUESTS: list[ChatRequest] = []


class Memo:
    """A model that answers with what the user said in the whole conversation it was sent."""

    name = "memo"

    async def converse(self, request: ChatRequest) -> ChatResponse:
        REQUESTS.append(request)
        said = [b["text"] for m in request.messages if m["role"] == "user" for b in m["content"] if "text" in b]
        last = said[-1]
        if last.startswith("echo "):
            text = last[5:]
        else:
            text = "heard: " + " | ".join(said)
        return ChatResponse(text=text, model_id=request.model_id, provider="memo", input_tokens=1, output_tokens=1,
                            tool_calls=[], stop_reason="end_turn", latency_ms=0.0,
                            message={"role": "assistant", "content": [{"text": text}]})


@pytest.fixture(autouse=True)
def memo_provider() -> Iterator[None]:
    register_provider("memo", lambda settings: Memo())  # type: ignore[arg-type,return-value]
    REQUESTS.clear()
    yield
    reset_providers()
