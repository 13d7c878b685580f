"""``POST /invocations``: from the headers and body of one request to a run, and back.

In this order, each step refusing with its own status before any later one
costs anything: headers (400 bad session id), the token (401), headers that
contradict it (403), whom this runtime serves (403 silo), the tenant's limits
(429, 503 if the shared limiter is down), the body (413, 400), the workflow
(404, 403 not entitled), the input (400 with field paths); then the run, as
JSON or as server-sent events. Nothing before the token is believed, and
nothing in a header can change who the token says the caller is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from engine.context import TenantContext
from engine.engine import RunResult, StepEvent
from engine.errors import AuthError
from engine.runtime import logs
from engine.runtime.contract import (
    INTERNAL_ERROR,
    REQUEST_ID_HEADER,
    SESSION_HEADER,
    HttpError,
    RequestMeta,
    authentication_error,
    check_identity_headers,
    check_session_id,
    dumps,
    invocation,
    parse_json,
    read_meta,
    result_body,
    run_error,
    unauthorized,
)
from engine.runtime.limits import Lease, LimiterUnavailable
from engine.runtime.service import Service
from engine.runtime.streaming import EventStream, Outcome, frames


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be larger than ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HttpError(413, "Payload too large", fields={"max_bytes": limit})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, "Payload too large", fields={"max_bytes": limit})
        chunks.append(chunk)
    return b"".join(chunks)


def json_response(status: int, data: Any, meta: RequestMeta, extra: dict[str, str] | None = None) -> Response:
    headers = {REQUEST_ID_HEADER: meta.request_id, **({SESSION_HEADER: meta.session_id} if status < 400 else {}),
               **(extra or {})}
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


async def invocations(request: Request) -> Response | EventStream:
    service: Service = request.app.state.service
    started = time.perf_counter()
    meta = read_meta(request.headers)
    engine = service.holder.engine  # this request runs to its end on this engine, whatever a reload does
    log: dict[str, Any] = {"request.id": meta.request_id, "session.id": meta.session_id}
    lease: Lease | None = None
    streaming = False

    def done(response: Response) -> Response:
        if service.config.access_log:
            _log(response.status_code, log, started)
        return response

    try:
        check_session_id(meta.session_id)
        if not meta.token:
            raise unauthorized("missing" if meta.token is None else "malformed")
        try:
            # In a worker thread: verifying may fetch an issuer's JWKS over the network.
            caller = await asyncio.to_thread(engine.authenticate, meta.token, session_id=meta.session_id,
                                             request_id=meta.request_id)
        except AuthError as exc:
            log["auth.error"] = str(exc)
            raise authentication_error(exc) from None
        ctx = caller.context
        log.update({"tenant.id": ctx.tenant_id, "user.id": ctx.user_id, "session.id": ctx.session_id})
        if meta.custom:
            log["custom_headers"] = sorted(meta.custom)
        check_identity_headers(meta, ctx)
        service.check_tenant(engine, ctx.tenant_id)
        lease = await service.limiter.enter(ctx.tenant_id, service.limits(engine, ctx.tenant_id))
        workflow, payload = invocation(parse_json(await read_body(request, service.config.max_body_bytes)),
                                       service.config.workflow)
        log["workflow"] = workflow
        service.check_workflow(engine, workflow, ctx.tenant_id)
        if meta.wants_stream:
            events = engine.stream(workflow, ctx, payload, credential=caller.credential)  # refusals raise here
            response = _stream(service, events, ctx, meta, lease, log, started)
            streaming = True
            return response
        service.health.started()
        try:
            result = await engine.run(workflow, ctx, payload, credential=caller.credential)
        finally:
            service.health.finished()
        await service.limiter.leave(lease, sum(u["input_tokens"] + u["output_tokens"] for u in result.usage))
        lease = None
        log["blocked"] = bool(result.blocked) or None
        return done(json_response(200, result_body(result, ctx), meta))
    except Exception as exc:
        mapped = run_error(exc)
        if mapped is None:
            logs.failure("runtime.request_failed", exc, **log)
            return done(json_response(500, {"error": INTERNAL_ERROR, "request_id": meta.request_id}, meta))
        log["error.code"] = mapped.code or None
        if isinstance(exc, LimiterUnavailable):
            logs.event("runtime.limiter_unavailable", logging.ERROR, **log, details=str(exc))
        elif not isinstance(exc, HttpError):
            log["error.detail"] = str(exc)[:500]
        return done(json_response(mapped.status, mapped.body(meta.request_id), meta, mapped.headers))
    finally:
        if lease is not None and not streaming:
            await service.limiter.leave(lease)


def _stream(service: Service, events: AsyncIterator[StepEvent | RunResult], ctx: TenantContext, meta: RequestMeta,
            lease: Lease, log: dict[str, Any], started: float) -> EventStream:
    outcome = Outcome()
    service.health.started()

    async def close() -> None:
        service.health.finished()
        await service.limiter.leave(lease, outcome.tokens)
        log.update({"stream": outcome.status, "error.code": outcome.error_code or None})
        if service.config.access_log:
            _log(200, log, started)

    headers = {REQUEST_ID_HEADER: meta.request_id, SESSION_HEADER: meta.session_id}
    return EventStream(frames(events, ctx, outcome), headers=headers, on_close=close)


def _log(status: int, log: dict[str, Any], started: float) -> None:
    logs.event("runtime.request", logging.WARNING if status >= 500 else logging.INFO, status=status,
               duration_ms=round((time.perf_counter() - started) * 1000, 2), **log)
