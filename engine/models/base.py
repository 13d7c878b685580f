"""The provider-neutral chat interface every model provider implements.

Messages use the Bedrock Converse shape (``{"role": ..., "content": [blocks]}``
with ``text``, ``toolUse`` and ``toolResult`` blocks) because it already
carries tool use and tool results; other providers translate from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: its name, what it does, and its JSON Schema input."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for; ``id`` pairs it with its ``toolResult``."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ChatRequest:
    """One model turn.

    ``workflow``, ``step`` and ``tenant_id`` are routing metadata: only the
    scripted test double reads them (to pick a fixture); real providers
    never send them to the model.

    >>> ChatRequest(model_id="amazon.nova-pro-v1:0",
    ...             messages=[{"role": "user", "content": [{"text": "Hi"}]}],
    ...             system="Be brief.", max_tokens=256).temperature is None
    True
    """

    model_id: str
    messages: list[dict[str, Any]]
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    workflow: str = ""
    step: str = ""
    tenant_id: str = ""


@dataclass
class ChatResponse:
    """What a model turn produced.

    ``message`` is the assistant message in Converse shape: append it to the
    conversation, then a user message with the ``toolResult`` blocks, to run
    the next turn of a tool-use loop.
    """

    text: str
    tool_calls: list[ToolCall]
    stop_reason: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    model_id: str
    provider: str
    message: dict[str, Any]
    #: Set by the scripted test double when no entry of its fixture matched and it answered with the
    #: fixture's ``default``: a step expecting JSON can then say which entry to add.
    scripted_default: bool = False


#: What a streaming turn yields: text deltas as the model writes them, then the whole response.
StreamItem = str | ChatResponse


class StreamingProvider(Protocol):
    """A provider that can also stream a turn (``converse_stream``); one without it is called whole."""

    name: str

    def converse_stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        """Text deltas as they arrive, then the :class:`ChatResponse` (the same as ``converse`` returns)."""
        ...


class ModelProvider(Protocol):
    """A chat model backend, shared by all tenants (it holds no tenant state).

    ``converse`` raises :class:`engine.errors.ModelError` on failure, with
    ``retryable`` set; it never retries itself, the step's retry policy does.
    """

    name: str

    async def converse(self, request: ChatRequest) -> ChatResponse:
        """Run one model turn."""
        ...
