"""Any LangChain chat model as a model provider (``provider: langchain``).

The catalog entry names the class and its arguments; ``model_id`` becomes the
class's ``model`` argument::

    models:
      catalog:
        local-llama:
          provider: langchain
          model_id: meta-llama/Llama-3.1-8B-Instruct
          options:
            class: langchain_openai.ChatOpenAI
            kwargs: {base_url: "http://127.0.0.1:8000/v1"}

The engine's step contract is kept: the Converse-shaped messages, system
prompt and tools of a :class:`ChatRequest` become LangChain messages and
``bind_tools``; the answer (text, tool calls, token usage) becomes a
:class:`ChatResponse`; ``converse_stream`` streams the text deltas of
``astream``. An llm step's ``output:`` fields are parsed from the answer's
JSON by the step, as for every provider. Tier rules, pins, prices and
guardrails are the engine's and apply unchanged.

Secrets never go in the project file: an argument named like one
(``api_key``, ``*token*``, ``*secret*``, ``*password*``) is refused; the
class reads its own environment variable (``OPENAI_API_KEY``...).
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from engine.errors import MissingExtra, ModelError
from engine.models.base import ChatRequest, ChatResponse, StreamItem, ToolCall
from engine.models.token_count import request_tokens, response_tokens
from engine.models.tool_names import ToolNameCollision, ToolNames

PROVIDER = "langchain"

_SECRET_WORDS = ("key", "token", "secret", "password", "credential")
#: Exception classes a retry may cure, by name (an error's own class or a base): langchain-core's common
#: ones, then those of the client libraries under the chat model classes.
_RETRYABLE_NAMES = frozenset({
    "ModelConnectionError", "ModelRateLimitError", "ModelTimeoutError",
    "RateLimitError", "APIConnectionError", "APITimeoutError", "InternalServerError", "ServiceUnavailableError",
    "ConnectError", "ConnectTimeout", "ReadTimeout", "TimeoutException", "RemoteProtocolError",
    "ThrottlingException", "OverloadedError",
})
_STOP_REASONS = {"tool_calls": "tool_use", "function_call": "tool_use", "stop": "end_turn", "end_turn": "end_turn",
                 "length": "max_tokens", "max_tokens": "max_tokens", "tool_use": "tool_use"}


class LangChainProvider:
    """One LangChain chat model class with its arguments; a model instance per ``model_id``, shared by all tenants.

    >>> LangChainProvider("langchain_openai.ChatOpenAI", {"api_key": "sk-..."})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: provider langchain: argument 'api_key' looks like a secret; the project file holds none ...
    """

    name = PROVIDER

    def __init__(self, class_path: str, kwargs: Mapping[str, Any] | None = None) -> None:
        module, _, attribute = class_path.rpartition(".")
        if not module or not attribute:
            raise ValueError(f"provider langchain: options.class must be 'package.module.ClassName', "
                             f"got {class_path!r}")
        for argument in kwargs or {}:
            if any(word in argument.lower() for word in _SECRET_WORDS):
                raise ValueError(f"provider langchain: argument {argument!r} looks like a secret; the project file "
                                 "holds none (the class reads its own environment variable, e.g. OPENAI_API_KEY)")
        self.class_path, self._kwargs = class_path, dict(kwargs or {})
        self._class: Any = None
        self._models: dict[str, Any] = {}

    def _model(self, model_id: str) -> Any:
        found = self._models.get(model_id)
        if found is None:
            cls = self.load()
            fields = getattr(cls, "model_fields", {})
            arguments: dict[str, Any] = {"model": model_id, **self._kwargs}
            # The step's retry policy decides retries: a client retrying on its own would hide them.
            if "max_retries" in fields:
                arguments.setdefault("max_retries", 0)
            # Token usage of a streamed turn: prices and quotas count it.
            if "stream_usage" in fields:
                arguments.setdefault("stream_usage", True)
            found = self._models[model_id] = cls(**arguments)
        return found

    def load(self) -> Any:
        """The chat model class (imported once); MissingExtra or ModelError saying what is missing."""
        if self._class is None:
            missing = missing_package(self.class_path)
            if isinstance(missing, MissingExtra):
                raise missing
            if missing is not None:
                raise ModelError(missing, provider=PROVIDER)
            module, _, attribute = self.class_path.rpartition(".")
            loaded = getattr(importlib.import_module(module), attribute, None)
            if loaded is None:
                raise ModelError(f"provider langchain: {module} has no {attribute!r}", provider=PROVIDER)
            from langchain_core.language_models.chat_models import BaseChatModel

            if not (isinstance(loaded, type) and issubclass(loaded, BaseChatModel)):
                raise ModelError(f"provider langchain: {self.class_path} is not a LangChain chat model class",
                                 provider=PROVIDER)
            self._class = loaded
        return self._class

    def _prepare(self, request: ChatRequest) -> tuple[Any, list[Any], dict[str, Any], ToolNames]:
        try:
            names = ToolNames(_tool_names_of(request))
        except ToolNameCollision as exc:
            raise _model_error(request.model_id, "ToolNameCollision", detail=str(exc)) from exc
        model = self._model(request.model_id)
        if request.tools:
            model = model.bind_tools([
                {"type": "function", "function": {"name": names.to_wire(tool.name), "description": tool.description,
                                                  "parameters": tool.input_schema}}
                for tool in request.tools
            ])
        call = {key: value for key, value in (("max_tokens", request.max_tokens), ("temperature", request.temperature),
                                              ("top_p", request.top_p), ("stop", request.stop_sequences))
                if value is not None}
        return model, _messages(request, names), call, names

    async def converse(self, request: ChatRequest) -> ChatResponse:
        """One turn through ``ainvoke``; failures raise ModelError with ``retryable`` set."""
        model, messages, call, names = self._prepare(request)
        started = time.perf_counter()
        try:
            message = await model.ainvoke(messages, **call)
        except Exception as exc:
            raise _failure(request.model_id, exc) from exc
        return _response(message, request, names, started)

    async def converse_stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        """Text deltas of ``astream`` as they arrive, then the ChatResponse of the whole turn."""
        model, messages, call, names = self._prepare(request)
        started = time.perf_counter()
        whole: Any = None
        try:
            async for chunk in model.astream(messages, **call):
                whole = chunk if whole is None else whole + chunk
                delta = _text(chunk.content)
                if delta:
                    yield delta
        except Exception as exc:
            raise _failure(request.model_id, exc) from exc
        if whole is None:
            raise _model_error(request.model_id, "EmptyStream", retryable=True)
        yield _response(whole, request, names, started)


#: The class packages the [langchain] extra brings; another class's package is the project's to install.
_EXTRA_PACKAGES = frozenset({"langchain_openai"})


def missing_package(class_path: str) -> MissingExtra | str | None:
    """Why ``class_path``'s module cannot be imported (found without importing it), or None.

    >>> missing_package("no_such_pkg.Chat")  # doctest: +ELLIPSIS
    "provider langchain: module 'no_such_pkg' of no_such_pkg.Chat is not installed (pip install the package ..."
    """
    from importlib.util import find_spec

    module = class_path.rpartition(".")[0]
    try:
        if find_spec(module) is not None:
            return None
    except (ModuleNotFoundError, ValueError):  # a parent package is missing, or hidden
        pass
    root = module.split(".")[0]
    if root in _EXTRA_PACKAGES:
        return MissingExtra("langchain", f"provider: langchain with {class_path}", root)
    return (f"provider langchain: module {module!r} of {class_path} is not installed (pip install the package "
            "that provides it, e.g. langchain-anthropic)")


def _tool_names_of(request: ChatRequest) -> list[str]:
    names = [tool.name for tool in request.tools]
    for message in request.messages:
        names.extend(block["toolUse"]["name"] for block in message["content"] if "toolUse" in block)
    return names


def _messages(request: ChatRequest, names: ToolNames) -> list[Any]:
    """The request's Converse-shaped conversation as LangChain messages."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out: list[Any] = [SystemMessage(request.system)] if request.system else []
    for message in request.messages:
        content = message["content"]
        text = "".join(block["text"] for block in content if "text" in block)
        if message["role"] == "assistant":
            calls = [{"name": names.to_wire(b["toolUse"]["name"]), "args": b["toolUse"]["input"],
                      "id": b["toolUse"]["toolUseId"], "type": "tool_call"} for b in content if "toolUse" in b]
            out.append(AIMessage(content=text, tool_calls=calls))
            continue
        for block in (b["toolResult"] for b in content if "toolResult" in b):
            parts = [json.dumps(p["json"], sort_keys=True) if "json" in p else str(p.get("text", ""))
                     for p in block["content"]]
            out.append(ToolMessage(content="\n".join(parts), tool_call_id=block["toolUseId"],
                                   status="error" if block.get("status") == "error" else "success"))
        if text:
            out.append(HumanMessage(content=text))
    return out


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) and part.get("type") == "text" else
                   part if isinstance(part, str) else "" for part in content or [])


def _response(message: Any, request: ChatRequest, names: ToolNames, started: float) -> ChatResponse:
    if getattr(message, "invalid_tool_calls", None):
        # Arguments that are not JSON: a model slip that another sample may not repeat.
        raise _model_error(request.model_id, "MalformedToolUse", retryable=True)
    calls = []
    for call in message.tool_calls:
        if not isinstance(call.get("args"), dict):
            raise _model_error(request.model_id, "MalformedToolUse", retryable=True)
        calls.append(ToolCall(id=str(call["id"]), name=names.from_wire(call["name"]), input=dict(call["args"])))
    text = _text(message.content)
    usage = getattr(message, "usage_metadata", None) or {}
    metadata = getattr(message, "response_metadata", None) or {}
    reason = str(metadata.get("finish_reason") or metadata.get("stop_reason") or "")
    stop = "tool_use" if calls else _STOP_REASONS.get(reason, reason or "end_turn")
    content: list[dict[str, Any]] = [{"text": text}] if text else []
    content += [{"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.input}} for c in calls]
    return ChatResponse(
        text=text, tool_calls=calls, stop_reason=stop,
        # A server that reports no usage is counted the engine's way (engine.models.token_count), so
        # prices and quotas never read zero.
        input_tokens=int(usage.get("input_tokens", request_tokens(request))),
        output_tokens=int(usage.get("output_tokens", response_tokens(text, calls))),
        latency_ms=(time.perf_counter() - started) * 1000, model_id=request.model_id, provider=PROVIDER,
        message={"role": "assistant", "content": content},
    )


def _failure(model_id: str, exc: BaseException) -> ModelError:
    if isinstance(exc, ModelError):
        return exc
    status = getattr(exc, "status_code", None)
    by_class = any(cls.__name__ in _RETRYABLE_NAMES for cls in type(exc).__mro__)
    retryable = by_class or (isinstance(status, int) and (status in (408, 429) or status >= 500))
    return _model_error(model_id, type(exc).__name__, retryable=retryable)


def _model_error(model_id: str, code: str, *, retryable: bool = False, detail: str = "") -> ModelError:
    # The model and the error's class only: a client's message can echo the request's contents.
    message = f"langchain model {model_id} failed: {code}"
    return ModelError(f"{message} ({detail})" if detail else message, retryable=retryable, provider=PROVIDER,
                      error_code=code)
