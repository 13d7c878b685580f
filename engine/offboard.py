"""Tenant offboarding and erasure: export everything a tenant (or one of its users) owns, or delete it.

What a tenant owns, in every backend it uses (pool tables or its silo):

* sessions: every checkpoint thread whose id starts with ``<tenant>:`` (``<tenant>:<user>:`` for one user),
  with its writes and blobs (LangGraph's ``adelete_thread``);
* memory: every store item under ``("tenant", <tenant>)`` (``(..., "user", <user>)`` for one user);
* knowledge: every document chunk and memory index entry in its index, and the content hashes of its sources;
* keys: its data keys (whole-tenant delete only; with them gone, anything missed could not be read anyway);
* usage: its records in the usage ledger (a user's by the keyed hash the ledger keeps instead of its id).

Usage counts in the process (``LocalMeter``) or Redis windows expire by themselves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.store.base import BaseStore

from engine.ids import require_id
from engine.knowledge.index import TenantKnowledge
from engine.memory.keyring import KEYS_NAMESPACE
from engine.telemetry.users import user_hash

if TYPE_CHECKING:
    from engine.engine import Engine

_PAGE = 200


class Offboarding:
    """Export or delete what ``tenant`` (and, if given, only ``user``) owns, through one open engine."""

    def __init__(self, engine: Engine, tenant: str, user: str | None = None):
        self.engine, self.tenant = engine, require_id("tenant id", tenant)
        self.user = None if user is None else require_id("user id", user)
        self.isolation = engine.settings(self.tenant).isolation  # AuthError for an unknown tenant

    @property
    def _prefix(self) -> tuple[str, ...]:
        return ("tenant", self.tenant) if self.user is None else ("tenant", self.tenant, "user", self.user)

    async def export(self, out: Path) -> dict[str, int]:
        """Write the tenant's memory, knowledge and sessions as JSON files under ``out``; counts per kind."""
        out.mkdir(parents=True, exist_ok=True)
        memory = [{"namespace": list(item.namespace), "key": item.key, "value": item.value,
                   "updated_at": item.updated_at.isoformat()} async for item in self._items(opened=True)]
        chunks: list[dict[str, Any]] = []
        for knowledge in await self._knowledge():
            chunks += [c for c in await knowledge.export() if self._owned_chunk(c)]
        handle = self.engine.sessions(self.tenant)
        sessions = [{**info.to_json(), "messages": await handle.messages(info.user_id, info.session_id)}
                    for info in await handle.list(self.user)]
        ledger = self.engine.ledger
        usage = [] if ledger is None else [vars(row) for row in ledger.rows(self.tenant, user_hash=self._user_hash)]
        for name, rows in (("memory", memory), ("knowledge", chunks), ("sessions", sessions), ("usage", usage)):
            (out / f"{name}.json").write_text(json.dumps(rows, indent=2, default=str) + "\n", encoding="utf-8")
        return {"memory_items": len(memory), "knowledge_chunks": len(chunks), "sessions": len(sessions),
                "usage_rows": len(usage)}

    async def delete(self) -> dict[str, int]:
        """Delete what the tenant (or user) owns everywhere; counts of what was removed."""
        counts = {"sessions": await self._delete_threads()}
        store = await self._store()
        doomed = [(tuple(item.namespace), item.key) async for item in self._items(opened=False)]
        for namespace, key in doomed:
            await store.adelete(namespace, key)
        counts["memory_items"] = len(doomed)
        removed = 0
        for knowledge in await self._knowledge():
            if self.user is None:
                removed += await knowledge.delete()
            else:
                removed += await knowledge.delete(collection="memory", scope_prefix="/".join(self._prefix))
        counts["knowledge_chunks"] = removed
        counts["keys"] = await self._delete_keys() if self.user is None else 0
        ledger = self.engine.ledger
        counts["usage_records"] = 0 if ledger is None else await ledger.delete(self.tenant, self._user_hash)
        return counts

    @property
    def _user_hash(self) -> str | None:
        return None if self.user is None else user_hash(self.tenant, self.user)

    async def _store(self) -> BaseStore:
        assert self.engine.stores is not None, "Engine.open always opens the stores"
        store = await self.engine.stores.for_tenant(self.tenant, self.isolation.memory)
        return store

    async def _items(self, *, opened: bool) -> AsyncIterator[Any]:
        store = await self._store()
        # Deleting needs only namespaces and keys: read the raw rows, so nothing is decrypted for it.
        source = store if opened else getattr(store, "inner", store)
        offset = 0
        while True:
            page = await source.asearch(self._prefix, limit=_PAGE, offset=offset)
            for item in page:
                # A store may match namespace prefixes as text ("tenant.acme" would also match "tenant.acme2").
                if tuple(item.namespace)[:len(self._prefix)] == self._prefix:
                    yield item
            if len(page) < _PAGE:
                return
            offset += len(page)

    async def _knowledge(self) -> list[TenantKnowledge]:
        stores = self.engine.knowledge
        if stores is None:
            return []
        kinds = {self.isolation.rag, self.isolation.memory}
        return [await stores.for_tenant(self.tenant, isolation) for isolation in sorted(kinds)]

    def _owned_chunk(self, chunk: dict[str, Any]) -> bool:
        if self.user is None:
            return True
        scope = "/".join(self._prefix)
        found = str(chunk["scope"])
        return chunk["collection"] == "memory" and (found == scope or found.startswith(scope + "/"))

    async def _delete_threads(self) -> int:
        checkpointer = self.engine.checkpointer
        if checkpointer is None:
            return 0
        saver = checkpointer.inner
        if self.isolation.memory == "silo" and self.engine.stores is not None:
            saver = (await self.engine.stores.silo(self.tenant)).checkpointer
        prefix = f"{self.tenant}:" if self.user is None else f"{self.tenant}:{self.user}:"
        threads = {str(item.config["configurable"].get("thread_id", "")) async for item in saver.alist(None)}
        doomed = sorted(thread for thread in threads if thread.startswith(prefix))
        for thread in doomed:
            await saver.adelete_thread(thread)
        return len(doomed)

    async def _delete_keys(self) -> int:
        assert self.engine.stores is not None
        keyring = await self.engine.stores.keyring(self.tenant, self.isolation.memory)
        if keyring is None:
            return 0
        items = await keyring.store.asearch((KEYS_NAMESPACE, self.tenant), limit=1000)
        for item in items:
            await keyring.store.adelete(tuple(item.namespace), item.key)
        return len(items)
