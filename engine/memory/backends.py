"""The checkpointer and store a project runs on, opened from its config.

With no configuration both live in SQLite files under ``.tenantflow/`` in
the project folder: ``checkpoints.sqlite`` (LangGraph's AsyncSqliteSaver)
and ``memory.sqlite`` (LangGraph's AsyncSqliteStore). ``postgres`` selects
LangGraph's AsyncPostgresSaver / AsyncPostgresStore on a connection pool
(:mod:`engine.memory.postgres`), which many worker processes and replicas
share. ``memory`` selects LangGraph's in-process InMemorySaver /
InMemoryStore, for tests and throwaway runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from engine.ids import require_id
from engine.spec.project import StoresSpec

CHECKPOINTS_FILE = "checkpoints.sqlite"
MEMORY_FILE = "memory.sqlite"

#: The ``stores`` section of ``tenantflow.yaml``: ``data_dir`` (SQLite), ``checkpointer`` and ``store``
#: (``sqlite``, ``postgres`` or ``memory``) and ``postgres`` (where, and the pools). It is the spec's own
#: model, so the YAML, its JSON Schema and the backends can never disagree.
StoresConfig = StoresSpec


class TenantStores:
    """The memory store of each tenant: the shared (pool) one, or a dedicated (silo) one.

    A silo tenant's memory lives in its own store, opened on first use and
    closed with the backends: its own SQLite file
    ``<data_dir>/tenants/<id>/memory.sqlite``, or its own PostgreSQL schema
    ``<silo_schema_prefix><id>``. Pool tenants share one store and are kept
    apart by namespace prefixes (see :class:`engine.memory.scoped.ScopedStore`).
    """

    def __init__(self, shared: BaseStore, open_silo: Callable[[str], Awaitable[BaseStore]]):
        self.shared, self._open_silo = shared, open_silo
        self._silos: dict[str, BaseStore] = {}
        self._lock = asyncio.Lock()

    async def for_tenant(self, tenant_id: str, isolation: Literal["pool", "silo"]) -> BaseStore:
        if isolation == "pool":
            return self.shared
        found = self._silos.get(tenant_id)
        if found is not None:
            return found
        async with self._lock:
            found = self._silos.get(tenant_id)
            if found is None:
                found = self._silos[tenant_id] = await self._open_silo(require_id("tenant id", tenant_id))
        return found


@dataclass(frozen=True)
class Backends:
    """An open checkpointer and stores, valid inside :func:`open_backends`."""

    checkpointer: BaseCheckpointSaver[str]
    store: BaseStore
    stores: TenantStores


def data_path(config: StoresConfig, base_dir: Path) -> Path:
    """The data folder of ``config``, resolved against the project folder ``base_dir``."""
    return base_dir / Path(config.data_dir).expanduser()


@asynccontextmanager
async def open_backends(config: StoresConfig, base_dir: Path) -> AsyncIterator[Backends]:
    """Open the checkpointer and store ``config`` names; close both (and every silo store) on exit.

    Example::

        async with open_backends(StoresConfig(), project_dir) as backends:
            graph = builder.compile(checkpointer=backends.checkpointer, store=backends.store)
    """
    folder = data_path(config, base_dir)
    if "sqlite" in (config.checkpointer, config.store):
        folder.mkdir(parents=True, exist_ok=True)
    async with AsyncExitStack() as stack:
        checkpointer: BaseCheckpointSaver[str]
        store: BaseStore
        open_silo: Callable[[str], Awaitable[BaseStore]]
        if "postgres" in (config.checkpointer, config.store):
            from engine.memory.postgres import PostgresBackends

            postgres = PostgresBackends(config.postgres, stack)
            saver, shared = await postgres.open_shared(checkpoints=config.checkpointer == "postgres",
                                                       memory=config.store == "postgres")
        if config.checkpointer == "postgres":
            checkpointer = saver
        elif config.checkpointer == "sqlite":
            # The saver creates its tables itself on first use.
            checkpointer = await stack.enter_async_context(
                AsyncSqliteSaver.from_conn_string(str(folder / CHECKPOINTS_FILE)))
        else:
            checkpointer = InMemorySaver()
        if config.store == "postgres":
            store, open_silo = shared, postgres.open_silo
        elif config.store == "sqlite":
            store = await _open_sqlite_store(stack, folder / MEMORY_FILE)

            async def open_silo(tenant_id: str) -> BaseStore:
                silo_folder = folder / "tenants" / tenant_id
                silo_folder.mkdir(parents=True, exist_ok=True)
                return await _open_sqlite_store(stack, silo_folder / MEMORY_FILE)
        else:
            store = InMemoryStore()

            async def open_silo(tenant_id: str) -> BaseStore:
                return InMemoryStore()
        yield Backends(checkpointer=checkpointer, store=store, stores=TenantStores(store, open_silo))


async def _open_sqlite_store(stack: AsyncExitStack, path: Path) -> BaseStore:
    store = await stack.enter_async_context(AsyncSqliteStore.from_conn_string(str(path)))
    await store.setup()
    return store
