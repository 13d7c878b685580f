"""The checkpointer and store a project runs on, opened from its config.

With no configuration both live in SQLite files under ``.tenantflow/`` in
the project folder: ``checkpoints.sqlite`` (LangGraph's AsyncSqliteSaver)
and ``memory.sqlite`` (LangGraph's AsyncSqliteStore). ``postgres`` selects
LangGraph's AsyncPostgresSaver / AsyncPostgresStore on a connection pool
(:mod:`engine.memory.postgres`), which many worker processes and replicas
share. ``memory`` selects LangGraph's in-process InMemorySaver /
InMemoryStore, for tests and throwaway runs. ``agentcore`` (checkpointer
only) keeps sessions in AgentCore Memory (:mod:`engine.memory.agentcore`).

A tenant whose memory is siloed (``isolation: {memory: silo}``) gets a
checkpointer and a store of its own, of the same kinds: its sessions'
checkpoints and its memory never share a file, schema or table with
another tenant's (see :class:`TenantStores`).

With ``stores.encryption`` on (the default), the persistent checkpointers and
stores come back sealed: checkpoints and tenant memory values encrypted with
the tenant's data key (:mod:`engine.memory.encryption`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from engine.ids import require_id
from engine.spec.project import StoresSpec

if TYPE_CHECKING:
    from engine.memory.keyring import Keyring
    from engine.memory.postgres import PostgresBackends

CHECKPOINTS_FILE = "checkpoints.sqlite"
MEMORY_FILE = "memory.sqlite"

#: The ``stores`` section of ``tenantflow.yaml``: ``data_dir`` (SQLite), ``checkpointer`` and ``store``
#: (``sqlite``, ``postgres`` or ``memory``; the checkpointer also ``agentcore``), ``postgres`` (where, and the pools)
#: and ``agentcore`` (the AgentCore Memory resources). It is the spec's own
#: model, so the YAML, its JSON Schema and the backends can never disagree.
StoresConfig = StoresSpec


@dataclass(frozen=True)
class Silo:
    """A silo tenant's own checkpointer and store."""

    checkpointer: BaseCheckpointSaver[Any]
    store: BaseStore
    #: The silo tenant's data keys, kept in its own store, when encryption is on.
    keyring: Keyring | None = None


class TenantStores:
    """The memory store of each tenant: the shared (pool) one, or a dedicated (silo) one.

    A silo tenant's memory and checkpoints live in a store and a checkpointer
    of its own, opened on first use and closed with the backends: its own
    SQLite files ``<data_dir>/tenants/<id>/memory.sqlite`` and
    ``checkpoints.sqlite``, or its own PostgreSQL schema
    ``<silo_schema_prefix><id>``. Pool tenants share one store and are kept
    apart by namespace prefixes (see :class:`engine.memory.scoped.ScopedStore`),
    and one checkpointer whose threads are theirs (see
    :class:`engine.memory.checkpoints.TenantCheckpointer`).
    """

    def __init__(self, shared: BaseStore, open_silo: Callable[[str], Awaitable[Silo]], *,
                 keyring: Keyring | None = None):
        self.shared, self._open_silo, self.shared_keyring = shared, open_silo, keyring
        self._silos: dict[str, Silo] = {}
        self._lock = asyncio.Lock()

    async def for_tenant(self, tenant_id: str, isolation: Literal["pool", "silo"]) -> BaseStore:
        if isolation == "pool":
            return self.shared
        return (await self.silo(tenant_id)).store

    async def silo(self, tenant_id: str) -> Silo:
        """The checkpointer and store of ``tenant_id``'s silo, opened on first use."""
        found = self._silos.get(tenant_id)
        if found is not None:
            return found
        async with self._lock:
            found = self._silos.get(tenant_id)
            if found is None:
                found = self._silos[tenant_id] = await self._open_silo(require_id("tenant id", tenant_id))
        return found

    def opened(self, tenant_id: str) -> Silo | None:
        """The silo of ``tenant_id`` if it is open already."""
        return self._silos.get(tenant_id)

    async def keyring(self, tenant_id: str, isolation: Literal["pool", "silo"]) -> Keyring | None:
        """The keyring holding ``tenant_id``'s data keys: the shared one, or its silo's; None without encryption."""
        return self.shared_keyring if isolation == "pool" else (await self.silo(tenant_id)).keyring


@dataclass(frozen=True)
class Backends:
    """An open checkpointer and stores, valid inside :func:`open_backends`."""

    checkpointer: BaseCheckpointSaver[str]
    store: BaseStore
    stores: TenantStores
    #: The tenants' data keys, when ``stores.encryption`` seals anything.
    keyring: Keyring | None = None


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
        postgres: PostgresBackends | None = None
        if "postgres" in (config.checkpointer, config.store):
            from engine.memory.postgres import PostgresBackends

            postgres = PostgresBackends(config.postgres, stack)
            saver, shared = await postgres.open_shared(checkpoints=config.checkpointer == "postgres",
                                                       memory=config.store == "postgres")
        if config.checkpointer == "postgres":
            checkpointer = saver
        elif config.checkpointer == "agentcore":
            checkpointer = _open_agentcore(config, None)
        elif config.checkpointer == "sqlite":
            checkpointer = await _open_sqlite_saver(stack, folder / CHECKPOINTS_FILE)
        else:
            checkpointer = InMemorySaver()
        if config.store == "postgres":
            store = shared
        elif config.store == "sqlite":
            store = await _open_sqlite_store(stack, folder / MEMORY_FILE)
        else:
            store = InMemoryStore()
        seal = _sealer(config, store, base_dir, folder)
        checkpointer, store = seal.checkpointer(checkpointer), seal.store(store)

        async def open_silo(tenant_id: str) -> Silo:
            """The tenant's own checkpointer and store, of the configured kinds."""
            silo_saver: BaseCheckpointSaver[Any] | None = None
            silo_store: BaseStore | None = None
            if postgres is not None:
                silo_saver, silo_store = await postgres.open_silo(
                    tenant_id, checkpoints=config.checkpointer == "postgres", memory=config.store == "postgres")
            silo_folder = folder / "tenants" / tenant_id
            if "sqlite" in (config.checkpointer, config.store):
                silo_folder.mkdir(parents=True, exist_ok=True)
            if config.checkpointer == "sqlite":
                silo_saver = await _open_sqlite_saver(stack, silo_folder / CHECKPOINTS_FILE)
            elif config.checkpointer == "agentcore":
                silo_saver = _open_agentcore(config, tenant_id)
            elif config.checkpointer == "memory":
                silo_saver = InMemorySaver()
            if config.store == "sqlite":
                silo_store = await _open_sqlite_store(stack, silo_folder / MEMORY_FILE)
            elif config.store == "memory":
                silo_store = InMemoryStore()
            assert silo_saver is not None and silo_store is not None  # every kind is covered above
            # A silo's data keys live in its own store, beside what they seal: nothing of it in the shared tables.
            sealed = seal.apart(silo_store)
            return Silo(sealed.checkpointer(silo_saver), sealed.store(silo_store), sealed.keyring)

        yield Backends(checkpointer=checkpointer, store=store,
                       stores=TenantStores(store, open_silo, keyring=seal.keyring), keyring=seal.keyring)


def _open_agentcore(config: StoresConfig, silo_tenant: str | None) -> BaseCheckpointSaver[str]:
    """The AgentCore Memory checkpointer of the pool tenants, or of the silo tenant ``silo_tenant`` (its own memory
    resource, named in ``stores.agentcore.silo_memory_ids``; there is no other way to keep it apart)."""
    from engine.memory.agentcore import AgentCoreError, open_saver

    spec = config.agentcore
    memory_id = spec.memory_id if silo_tenant is None else spec.silo_memory_ids.get(silo_tenant)
    if memory_id is None:
        raise AgentCoreError(f"tenant '{silo_tenant}' keeps its memory apart (isolation.memory: silo) and the "
                             "checkpointer is agentcore: give it an AgentCore Memory resource of its own in "
                             f"stores.agentcore.silo_memory_ids ({silo_tenant}: <memory id>)")
    return open_saver(spec, memory_id)


async def _open_sqlite_saver(stack: AsyncExitStack, path: Path) -> BaseCheckpointSaver[str]:
    # The saver creates its tables itself on first use.
    return await stack.enter_async_context(AsyncSqliteSaver.from_conn_string(str(path)))


async def _open_sqlite_store(stack: AsyncExitStack, path: Path) -> BaseStore:
    store = await stack.enter_async_context(AsyncSqliteStore.from_conn_string(str(path)))
    await store.setup()
    return store


class _Sealer:
    """Seals checkpointers and stores with ``keyring``, or passes them through when it is None."""

    def __init__(self, config: StoresConfig, keyring: Keyring | None):
        self.config, self.keyring = config, keyring

    def checkpointer(self, saver: Any) -> Any:
        from engine.memory.encryption import seal_checkpointer

        return saver if self.keyring is None else seal_checkpointer(saver, self.keyring, self.config)

    def store(self, store: BaseStore) -> BaseStore:
        from engine.memory.encryption import seal_store

        return store if self.keyring is None else seal_store(store, self.keyring, self.config)

    def apart(self, raw_store: BaseStore) -> _Sealer:
        """The same sealing with a keyring of its own in ``raw_store`` (a silo's), wrapped by the same provider."""
        from engine.memory.keyring import Keyring

        if self.keyring is None:
            return self
        return _Sealer(self.config, Keyring(raw_store, self.keyring.provider, refresh_s=self.keyring.refresh_s))


def _sealer(config: StoresConfig, raw_store: BaseStore, base_dir: Path, folder: Path) -> _Sealer:
    """What ``stores.encryption`` asks for; the wrapped data keys live in the (unsealed) shared store."""
    from engine.memory.encryption import encrypts, open_keyring

    return _Sealer(config, open_keyring(config, raw_store, base_dir, folder) if encrypts(config) else None)
