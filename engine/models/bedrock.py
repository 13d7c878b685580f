"""Amazon Bedrock through the Converse API: the production model provider."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from engine.errors import ModelError
from engine.models.base import ChatRequest, ChatResponse, StreamItem, ToolCall
from engine.models.error_codes import is_retryable
from engine.models.tool_names import ToolNameCollision, ToolNames

PROVIDER = "bedrock"

# botocore would otherwise retry throttling and 5xx on its own, hidden from
# the step's retry policy, multiplying attempts and latency.
_RETRIES = {"mode": "standard", "total_max_attempts": 1}


class BedrockProvider:
    """Calls ``bedrock-runtime`` Converse; one instance is shared by all tenants.

    The boto3 client is created on the first call (not at construction or
    import), so building a provider needs neither credentials nor network,
    and a runtime whose tenants use no Bedrock model never imports boto3
    (a tenth of a second of every start). boto3 is blocking, so each call
    runs in a worker thread.

    >>> provider = BedrockProvider(region_name="us-east-1")
    >>> # response = await provider.converse(ChatRequest(model_id=..., messages=[...]))
    """

    name = PROVIDER

    def __init__(self, client: Any | None = None, *, region_name: str | None = None) -> None:
        self._client = client
        self._region_name = region_name
        # Concurrent first calls run in different worker threads.
        self._client_lock = threading.Lock()

    async def converse(self, request: ChatRequest) -> ChatResponse:
        """Run one Converse turn; failures raise ModelError with ``retryable`` set."""
        try:
            names = ToolNames(_tool_names_of(request))
        except ToolNameCollision as exc:
            raise _model_error(request.model_id, "ToolNameCollision", detail=str(exc)) from exc
        params = _converse_params(request, names)
        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError

        try:
            raw: dict[str, Any] = await asyncio.to_thread(self._call, params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            raise _model_error(request.model_id, code) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            # Connection refused, endpoint unreachable, read timeout: transient.
            raise _model_error(request.model_id, type(exc).__name__, retryable=True) from exc
        except BotoCoreError as exc:
            # No region, no credentials, invalid parameters: a retry cannot help.
            raise _model_error(request.model_id, type(exc).__name__, retryable=False) from exc
        return _parse_response(raw, request.model_id, names)

    async def converse_stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        """ConverseStream: text deltas as they arrive, then the same ChatResponse ``converse`` gives.

        The blocking event stream is read in a worker thread. An error before the stream or inside
        it (``throttlingException``, ``modelStreamErrorException``...) raises ModelError with
        ``retryable`` set, after the deltas already yielded: a caller that retries starts again.
        """
        try:
            names = ToolNames(_tool_names_of(request))
        except ToolNameCollision as exc:
            raise _model_error(request.model_id, "ToolNameCollision", detail=str(exc)) from exc
        params = _converse_params(request, names)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def read() -> None:
            try:
                for event in self._get_client().converse_stream(**params)["stream"]:
                    loop.call_soon_threadsafe(queue.put_nowait, ("event", event))
                loop.call_soon_threadsafe(queue.put_nowait, ("end", None))
            except Exception as exc:  # handed to the event loop, mapped there
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

        reader = loop.run_in_executor(None, read)
        stream = _StreamedTurn()
        try:
            while True:
                kind, item = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    raise _stream_error(request.model_id, item) from item
                failure = next((k for k in item if k.endswith("Exception")), None)
                if failure is not None:
                    raise _model_error(request.model_id, failure[0].upper() + failure[1:])
                delta = stream.add(item)
                if delta:
                    yield delta
        finally:
            await reader
        yield _parse_response(stream.raw(request.model_id), request.model_id, names)

    def _call(self, params: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self._get_client().converse(**params)
        return response

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                # A session of our own: boto3's default session is not safe
                # to create clients from in several threads at once.
                import boto3
                from botocore.config import Config

                session = boto3.session.Session()
                self._client = session.client("bedrock-runtime", region_name=self._region_name,
                                              config=Config(retries=_RETRIES))
            return self._client


class _StreamedTurn:
    """A ConverseStream turn put back together as the Converse response it stands for."""

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.stop_reason = "end_turn"
        self.usage: dict[str, Any] = {"inputTokens": 0, "outputTokens": 0}
        self.metrics: dict[str, Any] = {"latencyMs": 0}

    def add(self, event: dict[str, Any]) -> str:
        """Take one event; the text it adds, if any."""
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start.get("start", {}).get("toolUse")
            if use is not None:
                self.blocks[start["contentBlockIndex"]] = {"toolUse": {**use, "input": ""}}
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            block = self.blocks.setdefault(delta["contentBlockIndex"], {"text": ""})
            if "text" in delta["delta"]:
                block["text"] = block.get("text", "") + delta["delta"]["text"]
                return str(delta["delta"]["text"])
            if "toolUse" in delta["delta"]:
                block["toolUse"]["input"] += delta["delta"]["toolUse"]["input"]
        elif "messageStop" in event:
            self.stop_reason = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            self.usage = event["metadata"].get("usage", self.usage)
            self.metrics = event["metadata"].get("metrics", self.metrics)
        return ""

    def raw(self, model_id: str) -> dict[str, Any]:
        content = []
        for _, block in sorted(self.blocks.items()):
            if "toolUse" in block:
                try:
                    arguments = json.loads(block["toolUse"]["input"] or "{}")
                except json.JSONDecodeError as exc:
                    raise _model_error(model_id, "MalformedToolUse", retryable=True) from exc
                block = {"toolUse": {**block["toolUse"], "input": arguments}}
            content.append(block)
        return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": self.stop_reason,
                "usage": self.usage, "metrics": self.metrics}


def _stream_error(model_id: str, exc: BaseException) -> ModelError:
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, ClientError):  # EventStreamError too: an error event inside the stream
        return _model_error(model_id, str(exc.response.get("Error", {}).get("Code", "Unknown")))
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return _model_error(model_id, type(exc).__name__, retryable=True)
    if isinstance(exc, BotoCoreError):
        return _model_error(model_id, type(exc).__name__, retryable=False)
    return _model_error(model_id, type(exc).__name__, retryable=False)


def _model_error(model_id: str, code: str, *, retryable: bool | None = None, detail: str = "") -> ModelError:
    # The message names the model and the error code only: AWS messages can
    # echo request contents, which must not reach logs or users.
    message = f"bedrock converse failed for model {model_id}: {code}"
    return ModelError(
        f"{message} ({detail})" if detail else message,
        retryable=is_retryable(code) if retryable is None else retryable,
        provider=PROVIDER,
        error_code=code,
    )


def _tool_names_of(request: ChatRequest) -> list[str]:
    names = [tool.name for tool in request.tools]
    for message in request.messages:
        names.extend(block["toolUse"]["name"] for block in message["content"] if "toolUse" in block)
    return names


def _converse_params(request: ChatRequest, names: ToolNames) -> dict[str, Any]:
    params: dict[str, Any] = {
        "modelId": request.model_id,
        "messages": [_rename_tool_uses(message, names.to_wire) for message in request.messages],
    }
    if request.system:
        params["system"] = [{"text": request.system}]
    inference = {
        key: value
        for key, value in (
            ("maxTokens", request.max_tokens),
            ("temperature", request.temperature),
            ("topP", request.top_p),
            ("stopSequences", request.stop_sequences),
        )
        if value is not None
    }
    if inference:
        params["inferenceConfig"] = inference
    if request.tools:
        params["toolConfig"] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": names.to_wire(tool.name),
                        "description": tool.description,
                        "inputSchema": {"json": tool.input_schema},
                    }
                }
                for tool in request.tools
            ]
        }
    return params


def _rename_tool_uses(message: dict[str, Any], rename: Callable[[str], str]) -> dict[str, Any]:
    """A copy of ``message`` with every toolUse name passed through ``rename``;
    the caller's message is left untouched."""
    content = [
        {**block, "toolUse": {**block["toolUse"], "name": rename(block["toolUse"]["name"])}}
        if "toolUse" in block
        else block
        for block in message["content"]
    ]
    return {**message, "content": content}


def _parse_response(raw: dict[str, Any], model_id: str, names: ToolNames) -> ChatResponse:
    message = _rename_tool_uses(raw["output"]["message"], names.from_wire)
    content = message["content"]
    tool_calls = []
    for use in (block["toolUse"] for block in content if "toolUse" in block):
        if not isinstance(use["input"], dict):
            # Tool inputs are JSON Schema objects; anything else is a model
            # slip that another sample may not repeat.
            raise _model_error(model_id, "MalformedToolUse", retryable=True)
        tool_calls.append(ToolCall(id=use["toolUseId"], name=use["name"], input=dict(use["input"])))
    usage = raw["usage"]
    return ChatResponse(
        text="".join(block["text"] for block in content if "text" in block),
        tool_calls=tool_calls,
        stop_reason=str(raw["stopReason"]),
        input_tokens=int(usage["inputTokens"]),
        output_tokens=int(usage["outputTokens"]),
        latency_ms=float(raw["metrics"]["latencyMs"]),
        model_id=model_id,
        provider=PROVIDER,
        message=message,
    )
