"""Memory entries in the tenant's knowledge index, so that ``recall`` with a query finds them by meaning.

``remember`` indexes what it writes (the string leaves of the value, and its
key) under the namespace of its level; ``recall`` with a query searches that
namespace only and reads the hits back from the memory store, through the
principal's :class:`~engine.memory.scoped.ScopedStore` (so sealed values are
opened as usual and every namespace check still applies).
"""

from __future__ import annotations

from typing import Any

from engine.context import TenantContext
from engine.knowledge.index import TenantKnowledge
from engine.memory.namespaces import Level, namespace_for
from engine.memory.scoped import MemoryItem, ScopedStore

COLLECTION = "memory"
#: Levels a tenant writes, so the only ones its index holds.
INDEXED: frozenset[str] = frozenset({"tenant", "user", "session"})


def memory_scope(level: Level, ctx: TenantContext) -> str:
    return "/".join(namespace_for(level, ctx))


def text_of(key: str, value: Any) -> str:
    """The words of a memory value: its key and every string (and number) in it."""
    parts = [key]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
        elif isinstance(node, (str, int, float)) and not isinstance(node, bool):
            parts.append(str(node))

    walk(value)
    return " ".join(parts)


async def index_memory(knowledge: TenantKnowledge, ctx: TenantContext, level: Level, key: str,
                       value: dict[str, Any]) -> None:
    if level not in INDEXED:
        return
    scope = memory_scope(level, ctx)
    minutes = knowledge.memory_ttl_minutes.get(level)
    source = f"{scope}#{key}"
    await knowledge.put_source(COLLECTION, source, [(source, text_of(key, value), {"key": key, "level": level})],
                               "", scope=scope, ttl_s=None if minutes is None else minutes * 60)


async def recall_by_query(knowledge: TenantKnowledge, store: ScopedStore, level: Level, query: str,
                          limit: int) -> list[MemoryItem]:
    """The ``limit`` memory items at ``level`` best matching ``query``, read back through the scoped store."""
    store.check_namespace(namespace_for(level, store.ctx, store.strategy), write=False)
    hits = await knowledge.search(COLLECTION, query, k=limit, scope=memory_scope(level, store.ctx))
    found: list[MemoryItem] = []
    for hit in hits:
        item = await store.get(level, str(hit.metadata.get("key", "")))
        if item is not None:
            found.append(item)
    return found
