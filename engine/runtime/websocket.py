"""``/ws``: the AgentCore Runtime contract's WebSocket endpoint, one request per client message.

The handshake carries what a ``POST /invocations`` carries (``Authorization:
Bearer``, the session, request and custom headers) and passes the same checks,
in the same order and with the same functions: header size, session id,
token, headers against the token, silo/pool; then the tenant's open
connections in this process (at most ``max_ws_connections_per_tenant``, 32 by
default: an idle connection holds a socket and memory). A refused handshake is
accepted and then closed (1008, policy violation; 1013, try again later, for a
tenant at its connection limit; 1011 for an internal error) right after one
error message: a browser's WebSocket cannot read the HTTP status or body of a
refused upgrade (it only sees close 1006), so an error sent before the
handshake completes would reach most clients as an unexplained failure.

Then each client message (text or binary, UTF-8 JSON) is one request: the
body ``/invocations`` takes. Its answer is the messages the server-sent events
of ``/invocations`` carry, one per WebSocket message: a ``{"type": "step"}``
message as each step finishes, then ``{"type": "result", ...}`` with the JSON
answer of ``/invocations``. An error is one ``{"type": "error", "status": ...}``
message with the body ``/invocations`` would answer with that status. A bad
message (malformed JSON, a bad input, a limit) leaves the connection usable;
the next message is read once an answer is complete.

Every message is checked as a request of its own: the token again (a token
that expired since the handshake closes the connection, 1008), the tenant's
limits, the body, the workflow, the input. Every message runs on the engine of
the moment (a reload applies to the next message), with its own request id
(``<handshake request id>.<n>``) and log line, and the connection's session:
messages on one connection, and connections with the same session id, continue
one conversation. A client that leaves mid-run stops the run at its next step;
so does a shutdown, since uvicorn closes WebSockets (1012) before the runtime
drains.

A ``traceparent`` (and ``baggage``) in the handshake continues the caller's
trace: every message's run is a child of the caller's span, as a ``POST
/invocations`` with those headers is.

The ``bedrock-agentcore`` SDK's ``/ws`` reads the same headers into its request
context and hands the socket to the application's handler, closing with 1011
if it fails; this module is that handler, with a message protocol of its own.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from opentelemetry import context as otel_context
from starlette.websockets import WebSocket, WebSocketDisconnect

from engine.context import TenantContext
from engine.engine import RunEvent
from engine.runtime import logs
from engine.runtime.contract import (
    INTERNAL_ERROR,
    REQUEST_ID_HEADER,
    SESSION_HEADER,
    HttpError,
    RequestMeta,
    dumps,
    error_message,
    header_bytes,
    payload_too_large,
    read_meta,
)
from engine.runtime.invocations import (
    admit,
    authenticate_request,
    end_stream,
    log_request,
    parse_request,
    refusal,
    run_events,
)
from engine.runtime.service import Service
from engine.runtime.streaming import Outcome, StreamFailed, close_iterator, run_messages
from engine.steps import step_gate
from engine.telemetry.tracing import incoming
from engine.usage.meter import Lease

#: RFC 6455 close codes: the caller may not use this connection (its token, tenant or headers are refused).
POLICY_VIOLATION = 1008
#: The server failed; the error message carries the request id, the details are in the log.
INTERNAL_ERROR_CLOSE = 1011
#: The caller may retry later (its tenant holds as many connections as it may).
TRY_AGAIN_LATER = 1013


async def websocket_endpoint(websocket: WebSocket) -> None:
    """``/ws``: authenticate the handshake, then answer each message as ``POST /invocations`` would."""
    service: Service = websocket.app.state.service
    await _Connection(websocket, service, read_meta(websocket.headers)).serve()


class _Connection:
    def __init__(self, websocket: WebSocket, service: Service, meta: RequestMeta):
        self.websocket, self.service, self.meta = websocket, service, meta
        self.started = time.perf_counter()
        self.messages = 0
        self.close_code: int | None = None
        self.ids: dict[str, Any] = {"connection.id": meta.request_id, "session.id": meta.session_id}
        #: The tenant whose open connections count this one, once its handshake is accepted.
        self.counted: str | None = None
        #: The caller's trace context from the handshake: each message's run continues it.
        self.trace = incoming(websocket.headers)

    async def serve(self) -> None:
        try:
            if await self._handshake():
                while await self._next():
                    pass
        except WebSocketDisconnect as gone:
            self.close_code = self.close_code or gone.code
        except Exception as exc:  # a bug here must not leave the client hanging; the details go to the log
            logs.failure("runtime.request_failed", exc, **self.ids)
            await self._close(INTERNAL_ERROR_CLOSE, INTERNAL_ERROR)
        finally:
            if self.counted is not None:
                self.service.connection_closed(self.counted)
            if self.service.config.access_log:
                logs.event("runtime.ws_closed", **self.ids, messages=self.messages, close_code=self.close_code,
                           duration_ms=round((time.perf_counter() - self.started) * 1000, 2))

    async def _handshake(self) -> bool:
        """The checks ``/invocations`` runs before the tenant's limits; False if the connection was refused."""
        log: dict[str, Any] = {"request.id": self.meta.request_id, "session.id": self.meta.session_id,
                               "transport": "websocket"}
        try:
            if header_bytes(self.websocket.scope["headers"]) > self.service.config.max_header_bytes:
                raise HttpError(431, "Request header fields too large",
                                fields={"max_bytes": self.service.config.max_header_bytes})
            caller = await authenticate_request(self.service, self.service.holder.engine, self.meta, log)
            self.service.connection_opened(caller.context.tenant_id)
        except Exception as exc:
            error = refusal(exc, log)
            log_request(self.service, error.status, log, self.started)
            await self.websocket.accept(headers=[_header(REQUEST_ID_HEADER, self.meta.request_id)])
            await self._refuse(error, self.meta.request_id)
            return False
        ctx = caller.context
        self.counted = ctx.tenant_id
        self.ids.update({"tenant.id": ctx.tenant_id, "user.id": ctx.user_id, "session.id": ctx.session_id})
        await self.websocket.accept(headers=[_header(REQUEST_ID_HEADER, self.meta.request_id),
                                             _header(SESSION_HEADER, self.meta.session_id)])
        return True

    async def _next(self) -> bool:
        """Answer the next message; False once the connection is over."""
        received = await self.websocket.receive()
        if received["type"] == "websocket.disconnect":
            self.close_code = received.get("code")
            return False
        text = received.get("text")
        raw: bytes = text.encode("utf-8") if text is not None else received.get("bytes") or b""
        self.messages += 1
        return await self._request(raw)

    async def _request(self, raw: bytes) -> bool:
        """One message as one request, checked as ``/invocations`` checks one; False if the connection must close."""
        started = time.perf_counter()
        meta = replace(self.meta, request_id=f"{self.meta.request_id}.{self.messages}")
        engine = self.service.holder.engine  # this message runs to its end on this engine, whatever a reload does
        log: dict[str, Any] = {"request.id": meta.request_id, "session.id": meta.session_id,
                               "connection.id": self.meta.request_id, "transport": "websocket"}
        lease: Lease | None = None
        authenticated = False
        status = 200
        attached = otel_context.attach(self.trace) if self.trace is not None else None
        try:
            # Again for every message: the token may have expired, or a reload changed the tenant, since the last.
            caller = await authenticate_request(self.service, engine, meta, log)
            authenticated = True
            ctx = caller.context
            lease = await admit(self.service, engine, ctx)
            if len(raw) > self.service.config.max_body_bytes:
                raise payload_too_large(self.service.config.max_body_bytes)
            workflow, payload, resume = parse_request(self.service, engine, ctx, raw, log)
            events = run_events(engine, workflow, ctx, payload, resume, caller.credential)
            held, lease = lease, None
            status = await self._run(events, ctx, held, log)
        except WebSocketDisconnect:
            raise
        except Exception as exc:
            error = refusal(exc, log)
            status = error.status
            if not authenticated:
                await self._refuse(error, meta.request_id)
                return False
            await self._send(error_message(error, meta.request_id))
        finally:
            if lease is not None:
                await self.service.meter.leave(lease)
            log_request(self.service, status, log, started)
            if attached is not None:
                otel_context.detach(attached)
        return True

    async def _run(self, events: AsyncIterator[RunEvent], ctx: TenantContext, lease: Lease,
                   log: dict[str, Any]) -> int:
        """Send the run's messages as they come; the status its answer stands for. If the client leaves, the
        run stops at its next step, as a server-sent events stream does."""
        outcome = Outcome()
        fair = self.service.run_started(ctx.tenant_id)
        messages = run_messages(events, ctx, outcome)
        status = 200
        try:
            with step_gate(fair.gate):  # the run's steps are started from this task, as it iterates
                async for message in messages:
                    await self._send(message)
        except StreamFailed as failed:
            error = failed.error if failed.error is not None else HttpError(500, INTERNAL_ERROR)
            status = error.status
            await self._send(error_message(error, ctx.request_id))
        finally:
            await close_iterator(messages)
            await end_stream(self.service, lease, fair)
            log.update({"stream": outcome.status, "error.code": outcome.error_code or None})
        return status

    async def _send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(dumps(message).decode("utf-8"))

    async def _refuse(self, error: HttpError, request_id: str) -> None:
        """The connection may not go on: say why in one message, then close it."""
        await self._send(error_message(error, request_id))
        if error.status >= 500:
            code = INTERNAL_ERROR_CLOSE
        elif error.status == 429:
            code = TRY_AGAIN_LATER
        else:
            code = POLICY_VIOLATION
        await self._close(code, error.message)

    async def _close(self, code: int, reason: str) -> None:
        self.close_code = code
        try:
            await self.websocket.close(code, reason[:120])
        except (WebSocketDisconnect, RuntimeError):  # already gone, or already closed
            pass


def _header(name: str, value: str) -> tuple[bytes, bytes]:
    return name.lower().encode("latin-1"), value.encode("latin-1")
