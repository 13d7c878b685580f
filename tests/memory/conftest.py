from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from tests.memory.postgres_support import DSN, DSN_ENV, Schemas, pg_schemas

__all__ = ["pg_schemas"]


@pytest.fixture(params=["memory", "sqlite", "postgres", "sealed-memory", "sealed-sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseStore]:
    """Every isolation test runs against LangGraph's in-memory, real SQLite and real PostgreSQL stores, and
    against the same stores sealed (tenant values encrypted at rest, engine.memory.sealed_store)."""
    if request.param.startswith("sealed-"):
        from engine.memory.key_providers import LocalKeyFile
        from engine.memory.keyring import Keyring
        from engine.memory.sealed_store import SealedStore

        inner_kind = request.param.removeprefix("sealed-")
        if inner_kind == "memory":
            inner: BaseStore = InMemoryStore()
            yield SealedStore(inner, Keyring(inner, LocalKeyFile(tmp_path / "keys" / "master.key")))
            return
        async with AsyncSqliteStore.from_conn_string(str(tmp_path / "memory.sqlite")) as sqlite_store:
            await sqlite_store.setup()
            yield SealedStore(sqlite_store, Keyring(sqlite_store, LocalKeyFile(tmp_path / "keys" / "master.key")))
        return
    if request.param == "memory":
        yield InMemoryStore()
        return
    if request.param == "postgres":
        from engine.memory.postgres import open_schema
        from engine.spec.project import PoolSpec

        schemas: Schemas = request.getfixturevalue("pg_schemas")
        pool, _, pg_store = await open_schema(DSN, DSN_ENV, schemas.shared, PoolSpec(min_size=1, max_size=2),
                                              name="test", checkpoints=False, memory=True)
        try:
            yield pg_store
        finally:
            await pool.close()
        return
    async with AsyncSqliteStore.from_conn_string(str(tmp_path / "memory.sqlite")) as sqlite_store:
        await sqlite_store.setup()
        yield sqlite_store
