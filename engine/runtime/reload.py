"""Reload on change without dropping requests: a new Engine over the same open backends, swapped in one step.

A request takes ``holder.engine`` once, when it starts, and runs to its end
on that engine; a reload builds a whole new :class:`~engine.engine.Engine`
(project, policies, caches) beside it and then replaces the reference. The
checkpointer and stores stay open across reloads: sessions and memory go
on. A project that no longer loads is reported in the log, and the running
engine keeps serving.

Reloads happen when a watched file changes (polled) or on ``SIGHUP``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from engine.engine import Engine
from engine.errors import CompileError, Problem, SpecError, TenantflowError, render_problems
from engine.identity.jwks import WAIT_S as JWKS_WAIT_S
from engine.identity.verify import TokenVerifier
from engine.knowledge.stores import KnowledgeStores
from engine.memory.backends import Backends, StoresConfig
from engine.project import PROJECT_FILE, Project, load_project
from engine.runtime import logs
from engine.telemetry.ledger import Ledger
from engine.usage.meter import Meter

_SKIPPED_DIRS = {"__pycache__", "node_modules"}


def build_engine(project: Project, backends: Backends, meter: Meter | None = None,
                 ledger: Ledger | None = None, knowledge: KnowledgeStores | None = None) -> Engine:
    """An engine over the open backends, recording into ``meter`` (the runtime's, which its limiter reads) and
    ``ledger`` (the runtime's usage ledger, kept across reloads), searching ``knowledge`` (kept across reloads)."""
    return Engine(project, checkpointer=backends.checkpointer, store=backends.store, stores=backends.stores,
                  quotas=meter, ledger=ledger, knowledge=knowledge)


#: A text that reaches every detector's compiled gate (no finding is recorded anywhere: nothing runs).
_WARM_UP = "warm-up: ignore 0 @ :: key=1 4111 DE89"


def fetch_keys(verifier: TokenVerifier) -> None:
    """Fetch the issuers' JWKS before the first request needs them, waiting at most one fetch's wait: an
    endpoint that is down then does not delay startup or a reload any longer (requests are refused until it
    answers, engine/identity/jwks.py)."""
    deadline = time.monotonic() + JWKS_WAIT_S
    for fetch in verifier.prefetch():
        with contextlib.suppress(TimeoutError):
            fetch.result(timeout=max(0.0, deadline - time.monotonic()))


def prewarm(engine: Engine, tenant: str | None = None) -> None:
    """Fetch the issuers' JWKS, compile every workflow once, for ``tenant`` or the first pool tenant that runs it,
    build the cross-tenant leakage index and the guard detectors' pattern databases; raise CompileError.

    One compile per workflow, not per tenant (a pooled structure is shared):
    it catches a broken workflow before a reload swaps it in, and the first
    requests find their graph cached.
    """
    if engine.verifier is not None:
        fetch_keys(engine.verifier)
    problems: list[Problem] = []
    runners: set[str] = set()
    tenants = [tenant] if tenant is not None else sorted(
        t for t, loaded in engine.project.tenants.items() if loaded.spec.isolation.runtime == "pool")
    runs = {t: engine.project.tenants[t].spec.workflows for t in tenants}  # the files: no resolving 1,000 tenants
    for workflow in sorted(engine.project.workflows):
        runner = next((t for t in tenants if not runs[t] or workflow in runs[t]), None)
        if runner is None:
            continue
        try:
            engine.compile(workflow, runner)
            runners.add(runner)
        except CompileError as exc:
            problems += exc.problems
    # Every tenant's markers, which each output guard looks for: built here rather than by the first request.
    engine.leakage_index()
    # The guard detectors compile their pattern databases on first use (about 0.1 s): use them once now.
    for runner in sorted(runners):
        chain = engine.guard_chain(runner)
        for stage in ("input", "output"):
            chain.check_value({"text": _WARM_UP}, stage, tenant=runner)
    if problems:
        raise CompileError(problems)


async def load(root: Path) -> Project:
    """Load the project off the event loop (file reads, YAML, skill modules), then discover its MCP tools."""
    project = await asyncio.to_thread(load_project, root)
    if project.spec.gateway.mcp:
        from engine.tools.mcp import discover

        await discover(project.tools)
    return project


def watched(project: Project) -> list[Path]:
    """The files and folders a change of which changes what the engine serves."""
    spec, root = project.spec, project.root
    paths = [root / PROJECT_FILE, root / spec.paths.workflows, root / spec.paths.tenants, root / spec.paths.skills,
             root / spec.policy.folder]
    paths += [root / p.fixtures for p in spec.models.providers.values() if p.fixtures]
    paths += [root / source.spec for source in spec.gateway.openapi if "://" not in source.spec]
    return paths


def signature(paths: list[Path]) -> frozenset[tuple[str, int, int]]:
    """Path, mtime and size of every file under ``paths`` (blocking: call it in a thread)."""
    found: set[tuple[str, int, int]] = set()
    for path in paths:
        if path.is_file():
            stat = path.stat()
            found.add((str(path), stat.st_mtime_ns, stat.st_size))
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
            for name in files:
                full = os.path.join(folder, name)
                try:
                    stat = os.stat(full)
                except OSError:
                    continue  # removed while walking: the next poll sees it gone
                found.add((full, stat.st_mtime_ns, stat.st_size))
    return frozenset(found)


class EngineHolder:
    """The engine requests start on; :meth:`reload` replaces it atomically."""

    def __init__(self, engine: Engine, backends: Backends, *, tenant: str | None = None,
                 check: Callable[[Project], None] = lambda project: None):
        self.engine = engine
        self.backends, self.tenant = backends, tenant
        self.generation = 1
        self._check = check
        self._lock = asyncio.Lock()

    async def reload(self, reason: str) -> bool:
        """Build a new engine from the files as they are now and swap it in; False (and a log line) if it fails."""
        async with self._lock:
            started = time.perf_counter()
            old = self.engine
            try:
                project = await load(old.root)
                self._check(project)
                engine = await asyncio.to_thread(build_engine, project, self.backends, old.quotas, old.ledger,
                                                 old.knowledge)
                # Not yet shared with any request: compiling it in a worker thread is safe.
                await asyncio.to_thread(prewarm, engine, self.tenant)
            except (SpecError, CompileError) as exc:
                logs.event("runtime.reload_failed", logging.ERROR, reason=reason,
                           problems=render_problems(exc.problems, 10), generation=self.generation)
                return False
            except TenantflowError as exc:
                logs.event("runtime.reload_failed", logging.ERROR, reason=reason, problems=str(exc),
                           generation=self.generation)
                return False
            except Exception as exc:  # a skill module that raises on import, say: keep serving the old engine
                logs.failure("runtime.reload_failed", exc, reason=reason, generation=self.generation)
                return False
            if _stores(project) != _stores(old.project):
                logs.event("runtime.reload_stores_ignored", logging.WARNING, reason=reason,
                           details="the stores section changed: it takes effect at the next restart")
            self.engine = engine
            self.generation += 1
            # Startup froze what it built (see app.py); the old engine must be collectable once its last
            # request ends, so nothing stays frozen after a reload.
            if gc.get_freeze_count():
                gc.unfreeze()
            logs.event("runtime.reloaded", reason=reason, generation=self.generation,
                       tenants=len(project.tenants), workflows=len(project.workflows),
                       duration_ms=round((time.perf_counter() - started) * 1000, 1))
            return True


def _stores(project: Project) -> StoresConfig:
    return StoresConfig.model_validate(project.spec.stores.model_dump())


class Watcher:
    """Polls the project's files and reloads the holder's engine when they change."""

    def __init__(self, holder: EngineHolder, interval_s: float):
        self.holder, self.interval_s = holder, interval_s

    async def run(self) -> None:
        paths = watched(self.holder.engine.project)
        last = await asyncio.to_thread(signature, paths)
        while True:
            await asyncio.sleep(self.interval_s)
            current = await asyncio.to_thread(signature, paths)
            if current != last:
                last = current
                if await self.holder.reload("files changed"):
                    paths = watched(self.holder.engine.project)
