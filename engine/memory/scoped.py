"""Memory as one principal sees it: addressed by level, fenced by namespace.

A :class:`ScopedStore` wraps any LangGraph ``BaseStore`` for one principal
(a :class:`~engine.context.TenantContext` and, optionally, the workflow's
strategy). Callers name a *level*, never a namespace: the namespace is
computed from the principal, so no caller can spell another tenant's. Every
operation then passes :meth:`ScopedStore.check_namespace` as a second line
of defence, and every item read back passes it again before it is returned.

The platform (not a tenant) writes the shared levels with :func:`seed_global`
and :func:`seed_strategy`.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

from langgraph.store.base import BaseStore, Item

from engine.context import TenantContext
from engine.errors import MemoryAccessDenied, MemoryValueRefused
from engine.ids import require_id
from engine.memory.namespaces import LEVELS, SHARED_LEVELS, Level, namespace_for, require_level

#: Items fetched per store round trip while scanning a level.
_PAGE_SIZE = 100

#: Default cap on the items :meth:`ScopedStore.load` reads per level.
DEFAULT_LOAD_LIMIT = 50


class MemoryItem(TypedDict):
    """One memory item as a principal sees it: its level, never a raw namespace."""

    key: str
    value: dict[str, Any]
    namespace_level: Level
    updated_at: str


class ScopedStore:
    """A store fenced to one principal's namespaces and declared levels.

    ``global`` and ``strategy`` are read-only to tenants; asking to write them
    raises :class:`~engine.errors.MemoryAccessDenied` when the store is built.

    Example::

        memory = ScopedStore(store, ctx, read_levels=["tenant", "user"], write_levels=["user"])
        await memory.put("user", "prefs", {"tone": "formal"})
        await memory.get("user", "prefs")
        # {"key": "prefs", "value": {"tone": "formal"}, "namespace_level": "user", "updated_at": "..."}
    """

    def __init__(
        self,
        store: BaseStore,
        ctx: TenantContext,
        *,
        strategy: str | None = None,
        read_levels: Iterable[str] = (),
        write_levels: Iterable[str] = (),
    ) -> None:
        self._store = store
        self.ctx = ctx
        self.strategy = None if strategy is None else require_id("strategy name", strategy)
        self.read_levels = _declared(read_levels)
        self.write_levels = _declared(write_levels)
        for level in self.write_levels:
            if level in SHARED_LEVELS:
                raise MemoryAccessDenied(_read_only_message(level))
        # Computed once: later operations cannot be steered by anything but
        # the principal this store was built for.
        self._own: dict[tuple[str, ...], Level] = {
            namespace_for(level, ctx, self.strategy): level
            for level in LEVELS
            if level != "strategy" or self.strategy is not None
        }
        if "strategy" in self.read_levels and self.strategy is None:
            raise ValueError("memory level 'strategy' is declared but no strategy name was given")
        self._readable = {ns: level for ns, level in self._own.items() if level in self.read_levels}
        self._writable = {ns: level for ns, level in self._own.items() if level in self.write_levels}

    def check_namespace(self, namespace: Sequence[str], write: bool) -> Level:
        """Return the level ``namespace`` is for this principal, or refuse it.

        A namespace passes only if it is exactly one of this principal's own
        level namespaces and that level is declared for the operation. Any
        shorter prefix (``("tenant",)``) would span tenants and any longer one
        would reach into another user's or session's memory, so both are refused.
        """
        ns = tuple(namespace)
        level = (self._writable if write else self._readable).get(ns)
        if level is not None:
            return level
        own = self._own.get(ns)
        if own is None:
            raise MemoryAccessDenied(
                f"memory namespace {ns!r} is outside the memory of tenant {self.ctx.tenant_id!r} "
                f"(user {self.ctx.user_id!r}, session {self.ctx.session_id!r}); "
                "address memory by level, not by namespace"
            )
        raise MemoryAccessDenied(self._undeclared_message(own, write))

    async def get(self, level: Level, key: str) -> MemoryItem | None:
        """The item ``key`` at ``level``, or None."""
        ns = self._namespace(level, write=False)
        item = await self._store.aget(ns, _require_key(key))
        return None if item is None else self._view(item)

    async def put(self, level: Level, key: str, value: dict[str, Any]) -> None:
        """Create or replace ``key`` at ``level`` with a JSON-serialisable dict."""
        ns = self._namespace(level, write=True)
        key, value = _require_key(key), _require_value(value)
        if holds_nul(key) or holds_nul(value):
            # Neither the key nor the value is quoted: either may carry the caller's data.
            raise MemoryValueRefused(f"the {'key' if holds_nul(key) else 'value'} of a memory item at level "
                                     f"'{level}' holds a NUL character (U+0000), which memory cannot store")
        await self._store.aput(ns, key, value)

    async def delete(self, level: Level, key: str) -> None:
        """Delete ``key`` at ``level``; deleting a missing key is not an error."""
        ns = self._namespace(level, write=True)
        await self._store.adelete(ns, _require_key(key))

    async def search(
        self,
        level: Level,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
    ) -> list[MemoryItem]:
        """Items at ``level`` matching ``filter`` (and ``query`` if the store has an index).

        Items are in the store's order: by relevance when a query is given
        to an indexed store, else as the store lists them.
        """
        ns = self._namespace(level, write=False)
        found: list[MemoryItem] = []
        if _require_limit(limit):
            async for item in self._scan(ns, query=query, filter=filter):
                found.append(self._view(item))
                if len(found) == limit:
                    break
        return found

    async def list_keys(self, level: Level) -> list[str]:
        """All keys at ``level``, sorted."""
        ns = self._namespace(level, write=False)
        return sorted([item.key async for item in self._scan(ns)])

    async def load(
        self, levels: Iterable[str] | None = None, *, limit: int = DEFAULT_LOAD_LIMIT
    ) -> dict[Level, list[MemoryItem]]:
        """Read ``levels`` (default: every readable level) for graph state.

        At most ``limit`` items per level, newest first. Every level asked
        for must be declared readable.
        """
        _require_limit(limit)
        wanted = self.read_levels if levels is None else _declared(levels)
        loaded: dict[Level, list[MemoryItem]] = {}
        for level in wanted:
            ns = self._namespace(level, write=False)
            items = [item async for item in self._scan(ns)]
            items.sort(key=lambda item: (_utc(item.updated_at), item.key), reverse=True)
            loaded[level] = [self._view(item) for item in items[:limit]]
        return loaded

    def _namespace(self, level: str, write: bool) -> tuple[str, ...]:
        checked = require_level(level)
        if checked not in (self.write_levels if write else self.read_levels):
            raise MemoryAccessDenied(self._undeclared_message(checked, write))
        ns = next(ns for ns, own in self._own.items() if own == checked)
        self.check_namespace(ns, write)
        return ns

    async def _scan(
        self, ns: tuple[str, ...], *, query: str | None = None, filter: dict[str, Any] | None = None
    ) -> AsyncIterator[Item]:
        # A store search matches a namespace *and its descendants*, so the
        # tenant level would also return every user's and session's items.
        # Keep only items that live exactly at ``ns``.
        offset = 0
        while True:
            page = await self._store.asearch(ns, query=query, filter=filter, limit=_PAGE_SIZE, offset=offset)
            for item in page:
                if tuple(item.namespace) == ns:
                    yield item
            if len(page) < _PAGE_SIZE:
                return
            offset += len(page)

    def _view(self, item: Item) -> MemoryItem:
        level = self.check_namespace(item.namespace, write=False)
        return MemoryItem(
            key=item.key,
            # A copy: mutating a returned value must not change the stored one
            # behind the store's back (InMemoryStore hands out its own dicts).
            value=copy.deepcopy(item.value),
            namespace_level=level,
            updated_at=_utc(item.updated_at).isoformat(),
        )

    def _undeclared_message(self, level: Level, write: bool) -> str:
        if write and level in SHARED_LEVELS:
            return _read_only_message(level)
        declared = self.write_levels if write else self.read_levels
        verb = "write" if write else "read"
        return (
            f"memory level {level!r} is not declared for {verb}: declared {verb} levels are "
            f"{', '.join(declared) or 'none'} (add it to the workflow's memory.{verb})"
        )


async def seed_global(store: BaseStore, key: str, value: dict[str, Any]) -> None:
    """Platform-side: write ``key`` into global memory, shared by every tenant."""
    await store.aput(("global",), _require_key(key), _require_value(value))


async def seed_strategy(store: BaseStore, strategy: str, key: str, value: dict[str, Any]) -> None:
    """Platform-side: write ``key`` into the memory shared by every run of ``strategy``."""
    await store.aput(("strategy", require_id("strategy name", strategy)), _require_key(key), _require_value(value))


def _declared(levels: Iterable[str]) -> tuple[Level, ...]:
    if isinstance(levels, str):
        # A lone "user" would otherwise be read as the levels u, s, e, r.
        levels = (levels,)
    wanted = {require_level(level) for level in levels}
    return tuple(level for level in LEVELS if level in wanted)


def _read_only_message(level: Level) -> str:
    return f"memory level {level!r} is read-only to tenants; the platform writes it with seed_{level}()"


def _require_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"memory key must be a non-empty string, got {key!r}")
    return key


def holds_nul(node: Any) -> bool:
    """Whether a NUL character (U+0000) is in ``node``: a string, or any key or string of a dict or list in it."""
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in node.items())
    if isinstance(node, (list, tuple)):
        return any(holds_nul(item) for item in node)
    return False


def _require_value(value: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"memory value must be a dict, got {type(value).__name__}")
    return value


def _require_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
    return limit


def _utc(moment: datetime) -> datetime:
    # SQLite stores naive UTC timestamps; InMemoryStore aware ones.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

