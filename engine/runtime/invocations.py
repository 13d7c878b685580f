"""``POST /invocations``: from the headers and body of one request to a run, and back.

In this order, each step refusing with its own status before any later one
costs anything: headers (400 repeated contract header, bad session id), the
token (401), headers that contradict it (403), whom this runtime serves (403
silo), the body's arrival (413, 408 after ``body_timeout_s``), the tenant's
limits (429, 503 if the shared meter is down), the body's JSON (400: also
too deep, too long a number, a lone surrogate), the workflow (404, 403 not
entitled), the input (400 with field paths); then the run, as JSON or as
server-sent events. The body is read before the limits, so a client still
sending holds none of its tenant's concurrency. Nothing before the token is believed, and
nothing in a header can change who the token says the caller is.

The steps are functions the WebSocket endpoint (:mod:`engine.runtime.websocket`)
shares: :func:`authenticate_request` (everything up to the limits),
:func:`admit` (the limits), :func:`parse_request` (body and workflow),
:func:`refusal` (an error as the client sees it, logged as here) and
:func:`log_request` (the request's log line).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from opentelemetry import context as otel_context
from starlette.requests import Request
from starlette.responses import Response

from engine.context import TenantContext
from engine.engine import Engine, RunEvent, RunResult
from engine.errors import AuthError
from engine.identity.authenticate import Caller
from engine.identity.jwks import WAIT_S as JWKS_WAIT_S
from engine.runtime import logs
from engine.runtime.contract import (
    INTERNAL_ERROR,
    REQUEST_ID_HEADER,
    SESSION_HEADER,
    HttpError,
    RequestMeta,
    Resume,
    authentication_error,
    check_headers_once,
    check_identity_headers,
    check_session_id,
    dumps,
    invocation,
    parse_json,
    payload_too_large,
    read_meta,
    result_body,
    resume_of,
    run_error,
    unauthorized,
)
from engine.runtime.fairness import FairRun
from engine.runtime.service import Service
from engine.runtime.streaming import EventStream, Outcome, frames
from engine.steps import step_gate
from engine.telemetry.instruments import active
from engine.telemetry.tracing import incoming
from engine.usage.meter import Lease, LimiterUnavailable, OverLimit


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, refused with 413 as soon as it is known to be larger than ``limit``, and with 408 if it has not
    all arrived within ``timeout_s`` (a client sending a byte a second)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise payload_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise payload_too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise HttpError(408, "Request timeout", code="body-timeout",
                        fields={"details": f"the body did not arrive within {timeout_s:g} s"}) from None
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
        log_request(service, response.status_code, log, started)
        return response

    # A caller's traceparent / baggage: the run's spans continue its trace (ids only; nothing in them is trusted).
    parent = incoming(request.headers)
    attached = otel_context.attach(parent) if parent is not None else None
    try:
        caller = await authenticate_request(service, engine, meta, log)
        ctx = caller.context
        # The body before the limits: a client still sending holds no concurrency slot of its tenant.
        body = await read_body(request, service.config.max_body_bytes, service.config.body_timeout_s)
        lease = await admit(service, engine, ctx)
        workflow, payload, resume = parse_request(service, engine, ctx, body, log)
        if meta.wants_stream:
            events = run_events(engine, workflow, ctx, payload, resume, caller.credential)
            response = _stream(service, events, ctx, meta, lease, log, started)
            streaming = True
            return response
        fair = service.run_started(ctx.tenant_id)
        try:
            with step_gate(fair.gate):
                result = await engine.run(workflow, ctx, payload, credential=caller.credential) if resume is None \
                    else await go_on(engine, workflow, ctx, resume, caller.credential)
        finally:
            service.run_ended(fair)
        await service.meter.leave(lease)
        lease = None
        log["blocked"] = bool(result.blocked) or None
        return done(json_response(200, result_body(result, ctx), meta))
    except Exception as exc:
        error = refusal(exc, log)
        return done(json_response(error.status, error.body(meta.request_id), meta, error.headers))
    finally:
        if lease is not None and not streaming:
            await service.meter.leave(lease)
        if attached is not None:
            otel_context.detach(attached)


async def authenticate_request(service: Service, engine: Engine, meta: RequestMeta, log: dict[str, Any]) -> Caller:
    """Who is calling, checked before anything else: the session id, the token, headers that contradict it, and
    whether this runtime serves the tenant. Adds the caller's ids to ``log``; raises an HttpError."""
    check_headers_once(meta)
    check_session_id(meta.session_id)
    if not meta.token:
        raise unauthorized("missing" if meta.token is None else "malformed")
    try:
        await keys_fetched(engine, meta.token)
        # On the event loop: a signature check costs about 0.1 ms, and nothing here waits for the network.
        caller = engine.authenticate(meta.token, session_id=meta.session_id, request_id=meta.request_id, wait=False)
    except AuthError as exc:
        log["auth.error"] = str(exc)
        raise authentication_error(exc) from None
    ctx = caller.context
    log.update({"tenant.id": ctx.tenant_id, "user.id": ctx.user_id, "session.id": ctx.session_id})
    if meta.custom:
        log["custom_headers"] = sorted(meta.custom)
    check_identity_headers(meta, ctx)
    service.check_tenant(engine, ctx.tenant_id)
    return caller


async def keys_fetched(engine: Engine, token: str) -> None:
    """Wait for the JWKS fetch that verifying ``token`` needs, if one is in flight (its issuer's keys are not
    known yet, or not its ``kid``), at most the fetch's wait; awaited on the event loop, so a flood of forged
    tokens against a slow or failing JWKS endpoint holds no thread (engine/identity/jwks.py)."""
    pending = engine.verifier.pending(token) if engine.verifier is not None else None
    if pending is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending)), JWKS_WAIT_S)


async def admit(service: Service, engine: Engine, ctx: TenantContext) -> Lease:
    """The tenant's limits: a lease to give back when the run ends, or OverLimit (LimiterUnavailable).

    While the runtime drains for shutdown, every new run is refused (503). A refusal for a limit also marks
    the tenant as over its limits for the fair-share scheduler: its runs still in
    flight step aside for other tenants' runs for a while (:mod:`engine.runtime.fairness`).
    """
    if service.draining:
        raise HttpError(503, "Shutting down", code="draining", headers={"Retry-After": "1"})
    try:
        return await service.meter.enter(ctx.tenant_id, service.limits(engine, ctx.tenant_id))
    except OverLimit as exc:
        service.fairness.refused(ctx.tenant_id)
        telemetry = active()
        if telemetry is not None:
            telemetry.quota_refused(ctx, exc.reason)
        raise


def parse_request(service: Service, engine: Engine, ctx: TenantContext, raw: bytes,
                  log: dict[str, Any]) -> tuple[str, Any, Resume | None]:
    """The workflow, input and resume of a request body, refused if the tenant may not run that workflow here."""
    body = parse_json(raw)
    workflow, payload = invocation(body, service.config.workflow)
    resume = resume_of(body) if service.config.workflow is None or isinstance(body, dict) and "workflow" in body \
        else None
    log["workflow"] = workflow
    service.check_workflow(engine, workflow, ctx.tenant_id)
    return workflow, payload, resume


def run_events(engine: Engine, workflow: str, ctx: TenantContext, payload: Any, resume: Resume | None,
               credential: Any) -> AsyncIterator[RunEvent]:
    """The events of the request's run: a new run's steps, or a resumed or answered run's result alone."""
    if resume is None:
        return engine.stream(workflow, ctx, payload, credential=credential)  # refusals raise here

    async def resumed() -> AsyncIterator[RunEvent]:
        yield await go_on(engine, workflow, ctx, resume, credential)

    return resumed()


async def go_on(engine: Engine, workflow: str, ctx: TenantContext, resume: Resume, credential: Any) -> RunResult:
    if resume.answers:
        return await engine.answer(workflow, ctx, resume.user or ctx.user_id, resume.answer, credential=credential)
    return await engine.resume(workflow, ctx, credential=credential)


def refusal(exc: Exception, log: dict[str, Any]) -> HttpError:
    """What an error of a request becomes for the client, logged on the way; anything unknown is a 500 whose
    details go to the log line ``runtime.request_failed`` only."""
    mapped = run_error(exc)
    if mapped is None:
        logs.failure("runtime.request_failed", exc, **log)
        return HttpError(500, INTERNAL_ERROR)
    log["error.code"] = mapped.code or None
    if isinstance(exc, LimiterUnavailable):
        logs.event("runtime.limiter_unavailable", logging.ERROR, **log, details=str(exc))
    elif not isinstance(exc, HttpError):
        log["error.detail"] = str(exc)[:500]
    return mapped


def _stream(service: Service, events: AsyncIterator[RunEvent], ctx: TenantContext, meta: RequestMeta,
            lease: Lease, log: dict[str, Any], started: float) -> EventStream:
    outcome = Outcome()
    fair = service.run_started(ctx.tenant_id)

    async def close() -> None:
        await end_stream(service, lease, fair)
        log.update({"stream": outcome.status, "error.code": outcome.error_code or None})
        log_request(service, 200, log, started)

    headers = {REQUEST_ID_HEADER: meta.request_id, SESSION_HEADER: meta.session_id}
    return EventStream(frames(events, ctx, outcome), headers=headers, on_close=close, gate=fair.gate)


async def end_stream(service: Service, lease: Lease, fair: FairRun) -> None:
    """A streamed run has ended (done, failed, or its client left): /ping may say Healthy again, and the tenant
    gets its concurrency slot back (the engine recorded the tokens the run used)."""
    service.run_ended(fair)
    await service.meter.leave(lease)


def log_request(service: Service, status: int, log: dict[str, Any], started: float) -> None:
    """The request's one log line (unless the access log is off): ids, status and duration, never a token."""
    if not service.config.access_log:
        return
    logs.event("runtime.request", logging.WARNING if status >= 500 else logging.INFO, status=status,
               duration_ms=round((time.perf_counter() - started) * 1000, 2), **log)
