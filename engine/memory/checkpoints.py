"""A checkpointer that keeps every run inside its own tenant's threads.

It wraps LangGraph's real checkpointer (SQLite, PostgreSQL, in-memory) and,
whenever LangGraph reads or writes a checkpoint during a run, checks that the
thread id (``tenant:user:session``) belongs to the run's tenant context. A run
pointed at another tenant's thread is refused before LangGraph loads that
thread's state or writes its own input into it. Calls outside a run (the
platform reading history) pass through.

Each call goes to the checkpointer of the thread's tenant: the shared one,
or, for a tenant whose memory is siloed, its own (see
:class:`engine.memory.backends.TenantStores`), opened on first use. Listing
checkpoints across threads (no thread id) lists the shared checkpointer's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)

from engine.context import TenantContext
from engine.errors import AuthError, TenantflowError
from engine.ids import require_id, thread_owner

if TYPE_CHECKING:
    from engine.memory.backends import TenantStores


def _check(config: RunnableConfig | None) -> None:
    configurable = (config or {}).get("configurable", {})
    runtime = configurable.get("__pregel_runtime")
    ctx = getattr(runtime, "context", None)
    thread = configurable.get("thread_id")
    if isinstance(ctx, TenantContext) and thread is not None and thread_owner(str(thread)) != ctx.tenant_id:
        raise AuthError(f"thread '{thread}' does not belong to tenant '{ctx.tenant_id}'")


class SiloNotOpen(TenantflowError):
    """A silo tenant's checkpointer was asked for synchronously before it was opened."""

    code = "stores"


@runtime_checkable
class ListsThreads(Protocol):
    """A checkpointer that lists a tenant's threads itself, as it cannot list checkpoints across threads
    (:class:`engine.memory.agentcore.AgentCoreCheckpointer`)."""

    async def athread_ids(self, tenant_id: str, user_id: str | None = None) -> list[str]: ...


def _thread_lister(saver: Any) -> ListsThreads | None:
    """The checkpointer under ``saver``'s wrappers (each keeps it as ``inner``) that lists threads, if any."""
    while saver is not None:
        if isinstance(saver, ListsThreads):
            return saver
        saver = getattr(saver, "inner", None)
    return None


def _thread(config: RunnableConfig | None) -> str | None:
    thread = (config or {}).get("configurable", {}).get("thread_id")
    return None if thread is None else str(thread)


class TenantCheckpointer(BaseCheckpointSaver[Any]):
    """Delegates to the checkpointer of the thread's tenant; refuses a run's access to another tenant's thread.

    ``silo(tenant_id)`` says whether a tenant's checkpoints live apart, in ``stores``.
    """

    def __init__(self, inner: BaseCheckpointSaver[Any], *, stores: TenantStores | None = None,
                 silo: Callable[[str], bool] | None = None):
        super().__init__(serde=inner.serde)
        self.inner = inner
        self._stores = stores
        self._silo = silo if stores is not None else None

    @property
    def config_specs(self) -> list[Any]:
        return list(self.inner.config_specs)

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.inner.get_next_version(current, channel)

    def _silo_owner(self, thread: str | None) -> str | None:
        """The tenant owning ``thread`` if its checkpoints live apart; None for the shared checkpointer."""
        if thread is None or self._silo is None:
            return None
        owner = thread_owner(thread)
        return owner if self._silo(owner) else None

    async def _for(self, thread: str | None) -> BaseCheckpointSaver[Any]:
        """The checkpointer holding ``thread``, its tenant's silo opened if need be."""
        owner = self._silo_owner(thread)
        if owner is None or self._stores is None:
            return self.inner
        return (await self._stores.silo(owner)).checkpointer

    def _for_sync(self, thread: str | None) -> BaseCheckpointSaver[Any]:
        owner = self._silo_owner(thread)
        if owner is None or self._stores is None:
            return self.inner
        opened = self._stores.opened(owner)
        if opened is None:
            raise SiloNotOpen(f"tenant '{owner}' keeps its checkpoints apart and they are not open yet: "
                              f"read them with the async API (aget_state, aget_tuple)")
        return opened.checkpointer

    # -- reads -----------------------------------------------------------------------------
    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        _check(config)
        return self._for_sync(_thread(config)).get_tuple(config)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        _check(config)
        return await (await self._for(_thread(config))).aget_tuple(config)

    def list(self, config: RunnableConfig | None, **kwargs: Any) -> Iterator[CheckpointTuple]:
        _check(config)
        return self._for_sync(_thread(config)).list(config, **kwargs)

    async def alist(self, config: RunnableConfig | None, **kwargs: Any) -> AsyncIterator[CheckpointTuple]:
        _check(config)
        async for item in (await self._for(_thread(config))).alist(config, **kwargs):
            yield item

    # -- writes ----------------------------------------------------------------------------
    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        _check(config)
        return self._for_sync(_thread(config)).put(config, checkpoint, metadata, new_versions)

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        _check(config)
        return await (await self._for(_thread(config))).aput(config, checkpoint, metadata, new_versions)

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                   task_path: str = "") -> None:
        _check(config)
        self._for_sync(_thread(config)).put_writes(config, writes, task_id, task_path)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        _check(config)
        await (await self._for(_thread(config))).aput_writes(config, writes, task_id, task_path)

    # -- one tenant's threads, outside a run -------------------------------------------------
    async def athreads(self, tenant_id: str, user_id: str | None = None) -> dict[str, str]:
        """The threads of ``tenant_id`` (of one user if given), each with the time of its newest checkpoint.

        Scoped by construction: the tenant (and user) are ids, checked, and only
        threads whose first segments are theirs are returned, from the checkpointer
        that holds the tenant's threads. LangGraph's checkpointers have no list of
        threads, so this reads every checkpoint's config there (linear in checkpoints); AgentCore Memory
        cannot list checkpoints across sessions, so there its actors and sessions are listed instead.
        """
        prefix = f"{require_id('tenant id', tenant_id)}:"
        if user_id is not None:
            prefix += f"{require_id('user id', user_id)}:"
        saver = self.inner
        if self._silo is not None and self._stores is not None and self._silo(tenant_id):
            saver = (await self._stores.silo(tenant_id)).checkpointer
        found: dict[str, str] = {}
        lister = _thread_lister(saver)
        if lister is not None:  # AgentCore Memory: its own listing, then each thread's newest checkpoint
            for thread in await lister.athread_ids(tenant_id, user_id):
                newest = await saver.aget_tuple({"configurable": {"thread_id": thread, "checkpoint_ns": ""}})
                if newest is not None:  # a session whose events were all deleted is no session
                    found[thread] = str(newest.checkpoint.get("ts", ""))
            return found
        sealed: set[str] = set()
        async for item in saver.alist(None):
            thread = str(item.config["configurable"].get("thread_id", ""))
            if thread.startswith(prefix) and thread.count(":") == 2:
                if item.checkpoint is None:  # encrypted: a listing across threads decrypts nothing
                    sealed.add(thread)
                else:
                    found[thread] = max(found.get(thread, ""), str(item.checkpoint.get("ts", "")))
        for thread in sealed:  # the newest checkpoint of each, read in its own thread's key scope
            newest = await saver.aget_tuple({"configurable": {"thread_id": thread, "checkpoint_ns": ""}})
            found[thread] = str(newest.checkpoint.get("ts", "")) if newest is not None else ""
        return found

    def delete_thread(self, thread_id: str) -> None:
        self._for_sync(thread_id).delete_thread(thread_id)

    async def adelete_thread(self, thread_id: str) -> None:
        await (await self._for(thread_id)).adelete_thread(thread_id)
