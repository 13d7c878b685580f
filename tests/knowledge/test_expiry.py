"""Memory expiry (issue 14): a sweep deletes an expired entry from the store and the index, pool and silo, on
SQLite and PostgreSQL; an unexpired entry of another tenant stays; an index row naming another tenant's namespace
deletes nothing of that tenant; `tenant memory sweep` prints the counts; the runtime sweeps on an interval."""

from __future__ import annotations

import asyncio
import json
import time
import types
from pathlib import Path
from typing import Any

import pytest

import engine.knowledge.index as index_module
from engine.engine import Engine
from engine.expiry import sweep_expired
from engine.knowledge.index import Row
from engine.runtime.app import sweep_memory_every
from tests.knowledge.support import KNOWLEDGE, NOTES, PROJECT, TENANTS, cli, stores_line
from tests.memory.postgres_support import Schemas
from tests.runtime.support import captured_logs

TTL_MINUTES = 0.005  # 0.3 s
USERS = {"alpha": "pool", "beta": "pool", "gamma": "silo"}


def _project(make_project: Any, backend: str, schemas: Schemas | None) -> Path:
    line = stores_line(backend, schemas).replace(
        KNOWLEDGE, KNOWLEDGE[:-1] + f", memory_ttl_minutes: {{user: {TTL_MINUTES}}}}}")
    return make_project({"tenantflow.yaml": PROJECT + line, "workflows/notes.yaml": NOTES}, tenants=TENANTS)


async def _items(engine: Engine, tenant: str) -> list[str]:
    assert engine.stores is not None
    store = await engine.stores.for_tenant(tenant, USERS[tenant])  # type: ignore[arg-type]
    raw = getattr(store, "inner", store)
    return sorted(f"{'/'.join(i.namespace)}#{i.key}" for i in await raw.asearch(("tenant", tenant), limit=100)
                  if i.namespace[:2] == ("tenant", tenant))


async def _index_rows(engine: Engine, tenant: str) -> list[str]:
    assert engine.knowledge is not None
    backend = await engine.knowledge.backend(tenant if USERS[tenant] == "silo" else None)
    return sorted(row.source for row in await backend.export(tenant) if row.collection == "memory")


async def _remember(engine: Engine, tenant: str) -> None:
    result = await engine.run("notes", engine.dev_context(tenant, "u1", "s1"),
                              {"note": f"{tenant} likes tea", "key": "drink", "query": "tea"})
    assert result.output["found"] == f"{tenant} likes tea"


async def _fill(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """alpha (pool) and gamma (silo) remember now; beta's entry is written an hour ahead, so it is not expired;
    and alpha's index gets an expired row that names beta's namespace (a forged row: it must delete nothing)."""
    async with Engine.open(root) as engine:
        await _remember(engine, "alpha")
        await _remember(engine, "gamma")
        with monkeypatch.context() as patch:
            ahead = time.time() + 3600
            patch.setattr(index_module, "time", types.SimpleNamespace(time=lambda: ahead))
            await _remember(engine, "beta")
        assert engine.knowledge is not None
        pool = await engine.knowledge.backend(None)
        forged = "tenant/beta/user/u1"
        await pool.replace_source("alpha", "memory", f"{forged}#drink", [Row(
            chunk_id="forged", scope=forged, source=f"{forged}#drink", text="x", tokens="x", metadata="{}",
            embedding=None, expires_at=time.time() - 1)], "")
    await asyncio.sleep(TTL_MINUTES * 60 + 0.2)


async def test_sweep_deletes_expired_entries_from_store_and_index_and_nothing_else(
        make_project: Any, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    schemas = request.getfixturevalue("pg_schemas") if backend == "postgres" else None
    root = _project(make_project, backend, schemas)
    await _fill(root, monkeypatch)
    async with Engine.open(root) as engine:
        for tenant in USERS:
            assert await _items(engine, tenant) == ["tenant/" + tenant + "/user/u1#drink"], tenant

    result = await asyncio.to_thread(cli, root, "memory", "sweep")
    # alpha's and gamma's rows and items; the forged row goes from the index, beta's item is refused to it.
    assert json.loads(result.output) == {"index_rows": 3, "memory_items": 2, "kept_newer": 0, "refused": 1}

    async with Engine.open(root) as engine:
        for tenant in ("alpha", "gamma"):
            assert await _items(engine, tenant) == [] and await _index_rows(engine, tenant) == [], tenant
        assert await _items(engine, "beta") == ["tenant/beta/user/u1#drink"]
        assert await _index_rows(engine, "beta") == ["tenant/beta/user/u1#drink"]
        again = await sweep_expired(engine)  # nothing left to do
        assert again.as_dict() == {"index_rows": 0, "memory_items": 0, "kept_newer": 0, "refused": 0}
        # alpha remembers again: a fresh entry, recalled as usual.
        await _remember(engine, "alpha")


async def test_an_item_written_again_after_its_row_expired_is_kept(make_project: Any, tmp_path: Path) -> None:
    root = _project(make_project, "sqlite", None)
    async with Engine.open(root) as engine:
        await _remember(engine, "alpha")
        assert engine.stores is not None
        store = engine.stores.shared
        item = await store.aget(("tenant", "alpha", "user", "u1"), "drink")
        assert item is not None
        later = time.time() + 120
        # Re-written in the store (its time moves past the row's expiry) without the index seeing it.
        await asyncio.sleep(TTL_MINUTES * 60 + 1.1)  # SQLite's store times items to the second
        await getattr(store, "inner", store).aput(("tenant", "alpha", "user", "u1"), "drink", {"sealed": "x"})
        counts = await sweep_expired(engine, now=later)
        assert counts.as_dict() == {"index_rows": 1, "memory_items": 0, "kept_newer": 1, "refused": 0}
        assert await _items(engine, "alpha") == ["tenant/alpha/user/u1#drink"]


class _Holder:
    def __init__(self, engine: Any):
        self.engine = engine


async def test_the_runtime_sweeps_on_its_interval_and_logs_counts_or_the_failure_type(
        make_project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(make_project, "sqlite", None)
    await _fill(root, monkeypatch)
    async with Engine.open(root) as engine:
        with captured_logs() as logs:
            task = asyncio.ensure_future(sweep_memory_every(_Holder(engine), 0.05))  # type: ignore[arg-type]
            deadline = time.monotonic() + 10
            while len(logs.records("runtime.memory_sweep")) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        first, second = logs.records("runtime.memory_sweep")[:2]
        assert (first["index_rows"], first["memory_items"], first["refused"]) == (3, 2, 1)
        assert (second["index_rows"], second["memory_items"]) == (0, 0)
        assert await _items(engine, "alpha") == [] and await _items(engine, "beta") != []

    class Broken:
        knowledge = property(lambda self: (_ for _ in ()).throw(RuntimeError("secret value 4111")))

    with captured_logs() as logs:
        task = asyncio.ensure_future(sweep_memory_every(_Holder(Broken()), 0.01))  # type: ignore[arg-type]
        deadline = time.monotonic() + 10
        while len(logs.records("runtime.memory_sweep_failed")) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    failed = logs.records("runtime.memory_sweep_failed")
    assert len(failed) >= 2 and failed[0]["error"] == "RuntimeError"  # it keeps trying
    assert all("4111" not in line for line in logs.lines)
