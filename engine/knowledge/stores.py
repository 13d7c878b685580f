"""The knowledge index of each tenant: the shared (pool) one, or its own (silo), opened from ``stores``.

Where it lives follows ``stores.store``: ``sqlite`` keeps the pool in
``<data_dir>/knowledge.sqlite`` and a silo tenant's in
``<data_dir>/tenants/<id>/knowledge.sqlite``; ``postgres`` uses tables in
``stores.postgres.schema`` and in the silo tenant's own schema; ``memory``
uses in-process SQLite databases. Documents follow the tenant's
``isolation.rag``, memory entries its ``isolation.memory``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from engine.ids import require_id
from engine.knowledge.codec import codec_for
from engine.knowledge.embeddings import Embedder, embedder_from
from engine.knowledge.index import DocumentSearch, IndexBackend, KnowledgeError, Mode, TenantKnowledge
from engine.spec.project import KnowledgeSpec, StoresSpec

if TYPE_CHECKING:
    from engine.memory.keyring import Keyring

Isolation = Literal["pool", "silo"]
KNOWLEDGE_FILE = "knowledge.sqlite"
KeyringFor = Callable[[str, Isolation], Awaitable["Keyring | None"]]


class KnowledgeStores:
    """Opens each index once, hands out :class:`TenantKnowledge` views, closes them all on exit."""

    def __init__(self, config: StoresSpec, folder: Path, keyring_for: KeyringFor | None,
                 embedder: Embedder | None = None):
        self.config, self.folder, self.keyring_for = config, folder, keyring_for
        spec: KnowledgeSpec = config.knowledge
        self.spec = spec
        self.embedder = embedder if embedder is not None else embedder_from(
            spec.embeddings.provider, model_id=spec.embeddings.model_id, dimensions=spec.embeddings.dimensions,
            region=spec.embeddings.region, factory=spec.embeddings.factory)
        self.mode: Mode | None = None if spec.search == "auto" else spec.search
        self.memory_ttl_minutes = {str(level): minutes for level, minutes in spec.memory_ttl_minutes.items()}
        self._open: dict[str, IndexBackend] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._lock = asyncio.Lock()
        self._kb_client: Any = None

    async def documents_for(self, tenant_id: str, isolation: Isolation) -> DocumentSearch:
        """Where ``tenant_id``'s ``retrieve`` steps search: its local index or its Bedrock knowledge base."""
        if self.spec.provider == "local":
            return await self.for_tenant(tenant_id, isolation)
        from engine.knowledge.bedrock_kb import TenantKnowledgeBase

        tenant_id = require_id("tenant id", tenant_id)
        kb = self.spec.bedrock_kb
        kb_id = kb.silo_knowledge_base_ids.get(tenant_id) if isolation == "silo" else kb.knowledge_base_id
        if kb_id is None:
            where = (f"stores.knowledge.bedrock_kb.silo_knowledge_base_ids has no entry for silo tenant '{tenant_id}'"
                     if isolation == "silo" else "stores.knowledge.bedrock_kb.knowledge_base_id is not set")
            raise KnowledgeError(f"tenant '{tenant_id}' has no Bedrock knowledge base: {where}")
        return TenantKnowledgeBase(self.kb_client, kb_id, tenant_id, kb.tenant_key, attempts=kb.attempts)

    async def for_tenant(self, tenant_id: str, isolation: Isolation) -> TenantKnowledge:
        tenant_id = require_id("tenant id", tenant_id)
        backend = await self.backend(tenant_id if isolation == "silo" else None)
        keyring = None if self.keyring_for is None else await self.keyring_for(tenant_id, isolation)
        return TenantKnowledge(backend, tenant_id, await codec_for(keyring, tenant_id), self.embedder,
                               default_mode=self.mode, memory_ttl_minutes=self.memory_ttl_minutes)

    @property
    def kb_client(self) -> Any:
        """The bedrock-agent-runtime client every tenant's :class:`TenantKnowledgeBase` shares, made on first use."""
        if self._kb_client is None:
            from engine.knowledge.bedrock_kb import bedrock_agent_runtime

            self._kb_client = bedrock_agent_runtime(self.spec.bedrock_kb.region)
        return self._kb_client

    async def backend(self, silo_tenant: str | None) -> IndexBackend:
        """The pool index (``None``) or ``silo_tenant``'s own, opened on first use."""
        name = "" if silo_tenant is None else silo_tenant
        found = self._open.get(name)
        if found is not None:
            return found
        async with self._lock:
            found = self._open.get(name)
            if found is None:
                found = self._open[name] = await self._make(silo_tenant)
        return found

    async def _make(self, silo_tenant: str | None) -> IndexBackend:
        if self.config.store == "postgres":
            from engine.knowledge.postgres_index import PostgresIndex
            from engine.memory.postgres import database_url

            settings = self.config.postgres
            schema = settings.db_schema if silo_tenant is None else settings.silo_schema_prefix + silo_tenant
            pg = await PostgresIndex.open(database_url(settings), schema, max_size=2)
            self._closers.append(pg.close)
            return pg
        from engine.knowledge.sqlite_index import SqliteIndex

        if self.config.store == "memory":
            path: Path | str = ":memory:"
        else:
            where = self.folder if silo_tenant is None else self.folder / "tenants" / silo_tenant
            where.mkdir(parents=True, exist_ok=True)
            path = where / KNOWLEDGE_FILE
        index = await SqliteIndex.open(path)
        self._closers.append(index.close)
        return index

    async def close(self) -> None:
        for close in reversed(self._closers):
            await close()
        self._closers.clear()
        self._open.clear()


@asynccontextmanager
async def open_knowledge(config: StoresSpec, folder: Path, keyring_for: KeyringFor | None,
                         embedder: Embedder | None = None) -> AsyncIterator[KnowledgeStores]:
    """Knowledge indexes for ``config``, opened lazily per pool or silo, closed on exit."""
    stores = KnowledgeStores(config, folder, keyring_for, embedder)
    try:
        yield stores
    finally:
        await stores.close()
