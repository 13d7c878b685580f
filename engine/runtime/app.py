"""The ASGI app: ``POST /invocations``, ``GET /ping``, ``/ws`` and ``GET /openapi.json``, with the engine's
backends opened for its lifetime.

>>> app = create_app(RuntimeConfig(root=Path("."), tenant="acme"))    # doctest: +SKIP
>>> uvicorn.run(app, port=8080)                                       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.engine import open_ledger, seed_month_spend
from engine.errors import CompileError, render_problems
from engine.expiry import sweep_expired
from engine.knowledge.stores import open_knowledge
from engine.memory.backends import StoresConfig, data_path, open_backends
from engine.project import Project
from engine.runtime import logs
from engine.runtime.config import RuntimeConfig, check_config
from engine.runtime.contract import header_bytes
from engine.runtime.health import Health
from engine.runtime.invocations import invocations
from engine.runtime.openapi import openapi
from engine.runtime.reload import EngineHolder, Watcher, build_engine, load, prewarm
from engine.runtime.service import Service
from engine.runtime.websocket import websocket_endpoint
from engine.telemetry.exporters import install
from engine.usage import LocalMeter, Meter


async def ping(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    return JSONResponse(service.health.ping())


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405 (unknown path or method), as JSON like every other answer."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error"
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    return JSONResponse({"error": detail}, status_code=status, headers=headers)


class HeaderLimit:
    """431 for a request whose header block is larger than ``max_bytes`` (AgentCore allows 20 headers of 4 KB)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if header_bytes(scope["headers"]) > self.max_bytes:
                response = JSONResponse({"error": "Request header fields too large", "max_bytes": self.max_bytes},
                                        status_code=431)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def open_meter(config: RuntimeConfig) -> Meter:
    """The usage meter the limiter and the policies read: in Redis with ``redis_url`` (every worker's and replica's
    counts), else in this process. Raises LimiterUnavailable if that Redis does not answer."""
    if config.redis_url:
        from engine.usage.redis import RedisMeter

        meter = RedisMeter.from_url(config.redis_url, prefix=config.redis_prefix)
        try:
            await meter.ping()
        except BaseException:
            await meter.close()
            raise
        return meter
    return LocalMeter()


def create_app(config: RuntimeConfig, project: Project | None = None, *, started: float | None = None) -> Starlette:
    """The runtime for ``config``; ``project`` saves loading it again when the caller already has.

    ``started`` (a ``time.perf_counter()``) is when the caller began: the startup time logged counts from there.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        began = started if started is not None else time.perf_counter()
        async with AsyncExitStack() as stack:
            loaded = project if project is not None else await load(config.root)
            check_config(config, loaded)
            stores = StoresConfig.model_validate(loaded.spec.stores.model_dump())
            memory = [name for name in ("checkpointer", "store") if getattr(stores, name) == "memory"]
            if memory:
                # LangGraph's in-memory saver and store keep everything until the process stops (about 10 KB
                # per request measured): fine for trying things, not for a server that stays up.
                logs.event("runtime.memory_stores", logging.WARNING, stores=memory,
                           details="the in-memory " + " and ".join(memory) + " keep every checkpoint and memory "
                           "item of every session until the process stops, without bound: for development "
                           "only; use sqlite or postgres under stores: in tenantflow.yaml for a server that "
                           "stays up (docs/deployment.md)")
            backends = await stack.enter_async_context(open_backends(stores, loaded.root))
            meter = await open_meter(config)
            stack.push_async_callback(meter.close)
            # Each worker process exports its own spans and metrics (and flushes them when it stops).
            telemetry = install(loaded.spec.telemetry)
            if telemetry is not None:
                stack.callback(telemetry.shutdown)
            ledger = await stack.enter_async_context(open_ledger(loaded))
            if ledger is not None:
                seed_month_spend(meter, ledger)
            knowledge = await stack.enter_async_context(
                open_knowledge(stores, data_path(stores, loaded.root), backends.stores.keyring))
            engine = build_engine(loaded, backends, meter, ledger, knowledge)
            try:
                await asyncio.to_thread(prewarm, engine, config.tenant)
            except CompileError as exc:  # serve the rest; requests of the broken pairs fail (500, logged)
                logs.event("runtime.compile_failed", logging.ERROR, problems=render_problems(exc.problems, 10))
            # What startup built lives as long as the process: keep it out of the cyclic GC's full passes,
            # which would otherwise walk all of it again and again while requests wait. (No gc.collect()
            # first: with 1,000 tenants it costs most of a second of startup, to free a bounded amount.)
            if config.freeze_gc:
                gc.freeze()
            gc.enable()  # `tenantflow serve` and worker processes start with it off (engine/startup.py)
            holder = EngineHolder(engine, backends, tenant=config.tenant, check=partial(check_config, config))
            service = app.state.service = Service(config, holder, meter, Health())
            if config.tenant is not None and engine.settings(config.tenant).isolation.runtime == "pool":
                logs.event("runtime.silo_for_pool_tenant", logging.WARNING, **{"tenant.id": config.tenant},
                           details="this tenant's isolation.runtime is pool: the pool runtime serves it too")
            tasks: set[asyncio.Task[object]] = set()

            def spawn(coro: Coroutine[Any, Any, object]) -> None:
                task = asyncio.ensure_future(coro)
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            if config.watch_interval_s > 0:
                spawn(Watcher(holder, config.watch_interval_s).run())
            if config.memory_sweep_interval_s > 0:
                spawn(sweep_memory_every(holder, config.memory_sweep_interval_s))
            spawn(meter.run())
            hangup = _on_sighup(lambda: spawn(holder.reload("SIGHUP")))
            terminate = _drain_on_sigterm(service, spawn)
            logs.event("runtime.started", mode="silo" if config.tenant else "pool", tenant=config.tenant,
                       workflow=config.workflow, tenants=len(loaded.tenants), workflows=len(loaded.workflows),
                       limiter="redis" if config.redis_url else "local",
                       startup_ms=round((time.perf_counter() - began) * 1000, 1))
            try:
                yield
            finally:
                if hangup:
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
                if terminate:
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
                in_flight = service.health.in_flight
                drained = await service.health.drained(config.drain_timeout_s)
                logs.event("runtime.stopped", logging.INFO if drained else logging.WARNING, drained=drained,
                           in_flight_at_stop=in_flight, abandoned=service.health.in_flight)
                for task in list(tasks):
                    task.cancel()
                for task in list(tasks):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    return Starlette(
        routes=[Route("/invocations", invocations, methods=["POST"]), Route("/ping", ping, methods=["GET"]),
                Route("/openapi.json", openapi, methods=["GET"]), WebSocketRoute("/ws", websocket_endpoint)],
        middleware=[Middleware(HeaderLimit, max_bytes=config.max_header_bytes)],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )


async def sweep_memory_every(holder: EngineHolder, interval_s: float) -> None:
    """Delete expired memory entries every ``interval_s`` seconds (the first sweep one interval after start, so
    startup stays fast), on the engine serving at the time; a failure is logged by its type only (a driver's
    message may quote a stored value) and the next interval tries again."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            counts = await sweep_expired(holder.engine)
        except Exception as exc:  # logged, retried next interval; the server stays up
            logs.event("runtime.memory_sweep_failed", logging.ERROR, error=type(exc).__name__)
            continue
        logs.event("runtime.memory_sweep", logging.INFO, **counts.as_dict())


def _on_signal(sig: signal.Signals, callback: Callable[[], None]) -> bool:
    """Call ``callback`` on ``sig``; False where this loop cannot take signals: only the main thread's can (a
    test's server thread cannot, nor can Windows' loop), and the runtime then goes without this handler."""
    try:
        asyncio.get_running_loop().add_signal_handler(sig, callback)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        return False
    return True


def _on_sighup(reload: Callable[[], None]) -> bool:
    """Reload on SIGHUP."""
    return _on_signal(signal.SIGHUP, reload)


def _drain_on_sigterm(service: Service, spawn: Callable[[Coroutine[Any, Any, object]], None]) -> bool:
    """On SIGTERM, let every run in flight finish first (up to the drain timeout), refusing new ones, and only
    then hand the signal to uvicorn's own handler, which closes the connections and stops.

    uvicorn would otherwise close WebSockets (1012) at once and cut their runs short; HTTP requests it waits for
    anyway. False where this thread cannot take signals (a test's server thread): uvicorn's handling stays.
    """
    original = signal.getsignal(signal.SIGTERM)
    if not callable(original):
        return False

    async def drain() -> None:
        if service.draining:
            return
        service.draining = True
        logs.event("runtime.draining", in_flight=service.health.in_flight)
        await service.health.drained(service.config.drain_timeout_s)
        original(signal.SIGTERM, None)

    return _on_signal(signal.SIGTERM, lambda: spawn(drain()))


def app_from_env() -> Starlette:
    """The factory uvicorn's worker processes call (``tenantflow serve --workers N``)."""
    gc.disable()  # until the app has started: see engine/startup.py
    config = RuntimeConfig.from_env()
    logs.configure(config.log_level)
    return create_app(config)
