"""The ``echo`` model provider: answers with its prefix and the last user text (a test double)."""

from __future__ import annotations

import time

from engine.models import ChatRequest, ChatResponse, ProviderSettings


class EchoProvider:
    name = "echo"

    def __init__(self, prefix: str = "echo: "):
        self.prefix = prefix

    async def converse(self, request: ChatRequest) -> ChatResponse:
        started = time.perf_counter()
        text = self.prefix + request.messages[-1]["content"][0]["text"]
        return ChatResponse(text=text, tool_calls=[], stop_reason="end_turn",
                            input_tokens=len(request.messages[-1]["content"][0]["text"].split()),
                            output_tokens=len(text.split()), latency_ms=(time.perf_counter() - started) * 1000,
                            model_id=request.model_id, provider=self.name,
                            message={"role": "assistant", "content": [{"text": text}]})


def build(settings: ProviderSettings) -> EchoProvider:
    return EchoProvider(**settings.options)
