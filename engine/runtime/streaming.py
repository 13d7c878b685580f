"""Server-sent events: ``data: <json>\\n\\n`` frames, as AgentCore Runtime streams them.

A streamed run sends one ``{"type": "step", ...}`` frame as each step
finishes, then one ``{"type": "result", ...}`` frame with the same body a
JSON answer has. An error after the stream has started cannot change the
status any more: it becomes one last frame, ``{"type": "error", "error":
..., "error_type": ..., "message": ...}`` (the keys of the SDK's error
event), and the stream ends.

:func:`run_messages` is the run as JSON messages, shared with the WebSocket
endpoint (:mod:`engine.runtime.websocket`), which sends the same messages
one per WebSocket message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from engine.context import TenantContext
from engine.engine import RunEvent, RunResult
from engine.runtime import logs
from engine.runtime.contract import INTERNAL_ERROR, HttpError, dumps, result_body, run_error
from engine.steps import Gate, step_gate

STREAM_ERROR_MESSAGE = "An error occurred during streaming"


def frame(data: Any) -> bytes:
    """One SSE event. JSON never contains a raw newline, so one ``data:`` line is always enough."""
    return b"data: " + dumps(data) + b"\n\n"


@dataclass
class Outcome:
    """What a stream ended with, for the request's log line."""

    status: str = "open"
    error_code: str = ""


class StreamFailed(Exception):
    """A run failed after its stream started. ``error`` is what the client may be told; None: an internal error
    (logged, never shown)."""

    def __init__(self, error: HttpError | None):
        self.error = error
        super().__init__(error.message if error is not None else INTERNAL_ERROR)


async def run_messages(events: AsyncIterator[RunEvent], ctx: TenantContext,
                       outcome: Outcome) -> AsyncIterator[dict[str, Any]]:
    """A run's events as JSON messages: ``{"type": "step", ...}`` per finished step, then ``{"type": "result",
    ...}``; an error of the run raises :class:`StreamFailed`. Closing this closes ``events`` (the run stops)."""
    try:
        async for event in events:
            if isinstance(event, RunResult):
                yield {"type": "result", **result_body(event, ctx)}
            else:
                yield event.to_json()
        outcome.status = "ok"
    except Exception as exc:
        mapped = run_error(exc)
        outcome.status = "error"
        if mapped is None:
            logs.failure("runtime.stream_failed", exc, **{"tenant.id": ctx.tenant_id, "request.id": ctx.request_id,
                                                          "session.id": ctx.session_id})
        outcome.error_code = "InternalError" if mapped is None else mapped.code or "error"
        raise StreamFailed(mapped) from exc
    finally:
        await close_iterator(events)


async def frames(events: AsyncIterator[RunEvent], ctx: TenantContext,
                 outcome: Outcome) -> AsyncIterator[bytes]:
    """The SSE frames of a run's events; an error becomes the last frame, never a broken stream."""
    messages = run_messages(events, ctx, outcome)
    try:
        async for message in messages:
            yield frame(message)
    except StreamFailed as failed:
        error = INTERNAL_ERROR if failed.error is None else failed.error.message
        yield frame({"type": "error", "error": error, "error_type": outcome.error_code,
                     "message": STREAM_ERROR_MESSAGE, "request_id": ctx.request_id})
    finally:
        await close_iterator(messages)
        await close_iterator(events)


async def close_iterator(iterator: object) -> None:
    """Close an async generator at once (its run task is cancelled) rather than whenever it is collected."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


class EventStream:
    """An ASGI response streaming ``body``; ``on_close`` runs whatever happens (client gone, server stopping)."""

    media_type = "text/event-stream"

    def __init__(self, body: AsyncIterator[bytes], *, headers: Mapping[str, str],
                 on_close: Callable[[], Awaitable[None]], gate: Gate | None = None):
        #: The fair-share gate the run's steps await (engine/steps.py): set where the body is iterated.
        self.body, self.on_close, self.gate = body, on_close, gate
        self.headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),
                        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.headers})
            with step_gate(self.gate):
                async for chunk in self.body:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            try:
                await close_iterator(self.body)
            finally:
                await self.on_close()
