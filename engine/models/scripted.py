"""The scripted model: an offline test double answering from YAML fixtures."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.errors import ModelError
from engine.models.base import ChatRequest, ChatResponse, StreamItem, ToolCall
from engine.models.error_codes import is_retryable
from engine.models.scripted_fixture import ScriptedFixture, load_fixture, parse_fixture
from engine.models.token_count import request_tokens, response_tokens
from engine.spec.scripted import ScriptedResponse

PROVIDER = "scripted"
#: A streamed token: a word with the spaces before it, or one other character (token_count's split).
_DELTA = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$")
MODEL_PLACEHOLDER = "{model}"


class ScriptedProvider:
    """A TEST DOUBLE for demos and tests: it does not call any model.

    It answers from a fixture (format in :mod:`engine.models.scripted_fixture`):
    the first response, in file order, whose given filters (``step``,
    ``workflow``, ``tenant``, ``model``, ``match``, ``after_tool``) all match
    the request wins; otherwise ``default``; otherwise ModelError.

    - ``match`` is a regex searched in the latest user text (the newest user
      message that has text; tool results carry none).
    - ``after_tool: true`` only matches when the last user message carries a
      ``toolResult``, ``false`` only when it does not: script the tool call
      with ``after_tool: false`` and the answer after it with ``true``, so a
      tool-use loop ends.
    - ``json`` is answered as compact JSON text.
    - ``{model}`` in a text, json or default answer is replaced by the
      request's model id (plain replacement, no templating, so JSON braces
      are safe), to show in a demo which model answered.
    - ``error: Code`` raises ModelError with that code, retryable exactly as
      the Bedrock provider would; with ``times: N`` only the first N matching
      calls fail, later ones skip the entry. The count lives in this
      instance, which the registry shares across tenants and runs.

    Token counts are honest and deterministic (:mod:`engine.models.token_count`):
    input counts the system prompt, messages and tool definitions, output
    counts the answer text and tool calls. ``latency_ms`` is measured.

    >>> provider = ScriptedProvider.from_dict({"default": "Hello from {model}"})
    """

    name = PROVIDER

    def __init__(self, fixture: ScriptedFixture) -> None:
        self._fixture = fixture
        # Entry index -> scripted errors already raised, for ``times``.
        self._errors_raised: dict[int, int] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedProvider:
        """A provider answering from the fixture file at ``path`` (SpecError if bad)."""
        return cls(load_fixture(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "<dict>") -> ScriptedProvider:
        """A provider answering from fixture data already parsed (SpecError if bad)."""
        return cls(parse_fixture(data, source=source))

    async def converse(self, request: ChatRequest) -> ChatResponse:
        """Answer ``request`` from the fixture, or raise the scripted ModelError."""
        return (await self._answer(request))[0]

    async def converse_stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        """The same answer as :meth:`converse`, streamed: one delta per token (a word with the spaces before
        it, or a punctuation mark), ``token_delay_ms`` before each; then the response. With
        ``break_after: N`` the stream breaks after N tokens (ModelError ``ModelStreamErrorException``)."""
        response, entry = await self._answer(request)
        delay = (entry.token_delay_ms if entry is not None else 0) / 1000
        for count, match in enumerate(_DELTA.finditer(response.text)):
            if entry is not None and entry.break_after is not None and count >= entry.break_after:
                raise ModelError(f"scripted converse_stream broke for model {request.model_id}: "
                                 "ModelStreamErrorException", retryable=True, provider=PROVIDER,
                                 error_code="ModelStreamErrorException")
            if delay:
                await asyncio.sleep(delay)
            yield match.group(0)
        yield response

    async def _answer(self, request: ChatRequest) -> tuple[ChatResponse, ScriptedResponse | None]:
        started = time.perf_counter()
        user_text = _latest_user_text(request.messages)
        after_tool = _ends_with_tool_result(request.messages)
        for index, entry in enumerate(self._fixture.responses):
            if not _matches(entry, request, user_text, after_tool):
                continue
            if entry.error is not None:
                raised = self._errors_raised.get(index, 0)
                if entry.times is not None and raised >= entry.times:
                    continue
                self._errors_raised[index] = raised + 1
                raise ModelError(
                    f"scripted converse failed for model {request.model_id}: {entry.error}",
                    retryable=is_retryable(entry.error),
                    provider=PROVIDER,
                    error_code=entry.error,
                )
            return _respond(request, _answer_text(entry, request.model_id), _tool_calls(entry, request),
                            started), entry
        if self._fixture.default is not None:
            answer = _respond(request, _with_model(self._fixture.default, request.model_id), [], started)
            return replace(answer, scripted_default=True), None
        raise ModelError(
            f"no scripted response for workflow {request.workflow} step {request.step} (model {request.model_id}); "
            f"add one to the scripted fixture:\n  - step: {request.step}\n    text: \"[{{model}}] ...\"",
            retryable=False,
            provider=PROVIDER,
        )


def _matches(entry: ScriptedResponse, request: ChatRequest, user_text: str, after_tool: bool) -> bool:
    return (
        (entry.step is None or entry.step == request.step)
        and (entry.workflow is None or entry.workflow == request.workflow)
        and (entry.tenant is None or entry.tenant == request.tenant_id)
        and (entry.model is None or entry.model == request.model_id)
        and (entry.after_tool is None or entry.after_tool == after_tool)
        and (entry.match is None or re.search(entry.match, user_text) is not None)
    )


def _latest_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            texts = [block["text"] for block in message["content"] if "text" in block]
            if texts:
                return "\n".join(texts)
    return ""


def _ends_with_tool_result(messages: list[dict[str, Any]]) -> bool:
    for message in reversed(messages):
        if message["role"] == "user":
            return any("toolResult" in block for block in message["content"])
    return False


def _answer_text(entry: ScriptedResponse, model_id: str) -> str:
    if entry.has_json:
        # Escaped as a JSON string body, so any model id keeps the JSON valid.
        return json.dumps(entry.json_, separators=(",", ":"), ensure_ascii=False).replace(
            MODEL_PLACEHOLDER, json.dumps(model_id)[1:-1]
        )
    return _with_model(entry.text or "", model_id)


def _with_model(text: str, model_id: str) -> str:
    return text.replace(MODEL_PLACEHOLDER, model_id)


def _tool_calls(entry: ScriptedResponse, request: ChatRequest) -> list[ToolCall]:
    # Ids must be unique within a conversation (toolResults refer to them):
    # number them by the assistant turn they belong to.
    turn = sum(1 for message in request.messages if message["role"] == "assistant")
    return [
        # A deep copy: a caller editing the input must not edit the fixture.
        ToolCall(id=f"tooluse_{turn}_{k}", name=call.name, input=copy.deepcopy(call.input))
        for k, call in enumerate(entry.tool_calls)
    ]


def _respond(request: ChatRequest, text: str, tool_calls: list[ToolCall], started: float) -> ChatResponse:
    content: list[dict[str, Any]] = [{"text": text}] if text else []
    content += [{"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.input}} for c in tool_calls]
    return ChatResponse(
        text=text,
        tool_calls=tool_calls,
        stop_reason="tool_use" if tool_calls else "end_turn",
        input_tokens=request_tokens(request),
        output_tokens=response_tokens(text, tool_calls),
        latency_ms=(time.perf_counter() - started) * 1000.0,
        model_id=request.model_id,
        provider=PROVIDER,
        message={"role": "assistant", "content": content},
    )
