"""Memory expiry made real: ``sweep`` removes expired memory entries from the index and from the store.

A memory entry's time to live (``stores.knowledge.memory_ttl_minutes``) is
kept on its index row. Sweeping deletes the expired rows of every index (the
pool's and each memory-silo tenant's) and then the store items they name:
the row's scope is the item's namespace, its source ``<scope>#<key>``. The
tenant comes from the row and must be the namespace's own tenant, or the item
is left alone (fail closed). An item written again after its row expired is
newer than the expiry and is kept.

``tenantflow serve`` runs :func:`sweep_expired` every
``RuntimeConfig.memory_sweep_interval_s``; ``tenantflow memory sweep`` runs it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from engine.errors import AuthError
from engine.kinds.memory_index import COLLECTION
from engine.knowledge.index import Expired, IndexBackend

if TYPE_CHECKING:
    from engine.engine import Engine


@dataclass
class SweepCounts:
    index_rows: int = 0
    memory_items: int = 0
    #: Items written again after their index row expired: newer than the expiry, so kept.
    kept_newer: int = 0
    #: Rows whose namespace is not their tenant's, or whose tenant left the project: their items are not touched.
    refused: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


async def sweep_expired(engine: Engine, now: float | None = None) -> SweepCounts:
    """Delete what expired by ``now`` from every knowledge index of ``engine`` and the memory store."""
    counts = SweepCounts()
    if engine.knowledge is None:
        return counts
    now = time.time() if now is None else now
    for backend in await _backends(engine):
        expired = await backend.sweep(now)
        counts.index_rows += len(expired)
        for entry in expired:
            if entry.collection == COLLECTION:
                await _delete_item(engine, entry, counts)
    return counts


async def _backends(engine: Engine) -> list[IndexBackend]:
    """The pool index and the index of every tenant whose memory is siloed (where memory entries live)."""
    assert engine.knowledge is not None
    silos = sorted(tenant for tenant in engine.project.tenants
                   if engine.settings(tenant).isolation.memory == "silo")
    return [await engine.knowledge.backend(None)] + [await engine.knowledge.backend(tenant) for tenant in silos]


async def _delete_item(engine: Engine, entry: Expired, counts: SweepCounts) -> None:
    namespace = tuple(entry.scope.split("/"))
    marker = entry.scope + "#"
    if namespace[:2] != ("tenant", entry.tenant) or not entry.source.startswith(marker) or engine.stores is None:
        counts.refused += 1
        return
    try:
        isolation = engine.settings(entry.tenant).isolation.memory
    except AuthError:  # a tenant no longer in the project: its index row is gone, its store is not ours to guess
        counts.refused += 1
        return
    store = await engine.stores.for_tenant(entry.tenant, isolation)
    raw = getattr(store, "inner", store)  # namespaces, keys and times only: nothing is decrypted for it
    key = entry.source[len(marker):]
    item = await raw.aget(namespace, key)
    if item is None:
        return
    updated = item.updated_at
    if updated.tzinfo is None:  # SQLite's store keeps CURRENT_TIMESTAMP: UTC, to the second, without a zone
        updated = updated.replace(tzinfo=UTC)
    if updated.timestamp() > entry.expires_at:
        counts.kept_newer += 1
        return
    await raw.adelete(namespace, key)
    counts.memory_items += 1
