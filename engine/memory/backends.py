"""The checkpointer and store a project runs on, opened from its config.

With no configuration both live in SQLite files under ``.tenantflow/`` in
the project folder: ``checkpoints.sqlite`` (LangGraph's AsyncSqliteSaver)
and ``memory.sqlite`` (LangGraph's AsyncSqliteStore). ``memory`` selects
LangGraph's in-process InMemorySaver / InMemoryStore, for tests and
throwaway runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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
from pydantic import BaseModel, ConfigDict

from engine.ids import require_id

CHECKPOINTS_FILE = "checkpoints.sqlite"
MEMORY_FILE = "memory.sqlite"


class StoresConfig(BaseModel):
    """The ``stores`` section of ``tenantflow.yaml``."""

    model_config = ConfigDict(extra="forbid")

    #: Folder of the SQLite files; relative paths resolve against the project folder.
    data_dir: str = ".tenantflow"
    checkpointer: Literal["sqlite", "memory"] = "sqlite"
    store: Literal["sqlite", "memory"] = "sqlite"


class TenantStores:
    """The memory store of each tenant: the shared (pool) one, or a dedicated (silo) one.

    A silo tenant's memory lives in its own store (its own SQLite file
    ``<data_dir>/tenants/<id>/memory.sqlite``), opened on first use and
    closed with the backends; pool tenants share one store and are kept
    apart by namespace prefixes (see :class:`engine.memory.scoped.ScopedStore`).
    """

    def __init__(self, shared: BaseStore, kind: Literal["sqlite", "memory"], folder: Path, stack: AsyncExitStack):
        self.shared, self._kind, self._folder, self._stack = shared, kind, folder, stack
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
                found = self._silos[tenant_id] = await self._open(require_id("tenant id", tenant_id))
        return found

    async def _open(self, tenant_id: str) -> BaseStore:
        if self._kind == "memory":
            return InMemoryStore()
        folder = self._folder / "tenants" / tenant_id
        folder.mkdir(parents=True, exist_ok=True)
        store = await self._stack.enter_async_context(AsyncSqliteStore.from_conn_string(str(folder / MEMORY_FILE)))
        await store.setup()
        return store


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
    """Open the checkpointer and store ``config`` names; close both on exit.

    Example::

        async with open_backends(StoresConfig(), project_dir) as backends:
            graph = builder.compile(checkpointer=backends.checkpointer, store=backends.store)
    """
    folder = data_path(config, base_dir)
    if "sqlite" in (config.checkpointer, config.store):
        folder.mkdir(parents=True, exist_ok=True)
    async with AsyncExitStack() as stack:
        checkpointer: BaseCheckpointSaver[str]
        if config.checkpointer == "sqlite":
            # The saver creates its tables itself on first use.
            checkpointer = await stack.enter_async_context(
                AsyncSqliteSaver.from_conn_string(str(folder / CHECKPOINTS_FILE))
            )
        else:
            checkpointer = InMemorySaver()
        store: BaseStore
        if config.store == "sqlite":
            sqlite_store = await stack.enter_async_context(
                AsyncSqliteStore.from_conn_string(str(folder / MEMORY_FILE))
            )
            await sqlite_store.setup()
            store = sqlite_store
        else:
            store = InMemoryStore()
        yield Backends(checkpointer=checkpointer, store=store,
                       stores=TenantStores(store, config.store, folder, stack))
