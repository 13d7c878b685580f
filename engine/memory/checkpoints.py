"""A checkpointer that keeps every run inside its own tenant's threads.

It wraps LangGraph's real checkpointer (SQLite, PostgreSQL, in-memory) and,
whenever LangGraph reads or writes a checkpoint during a run, checks that the
thread id (``tenant:user:session``) belongs to the run's tenant context. A run
pointed at another tenant's thread is refused before LangGraph loads that
thread's state or writes its own input into it. Calls outside a run (the
platform reading history) pass through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)

from engine.context import TenantContext
from engine.errors import AuthError
from engine.ids import thread_owner


def _check(config: RunnableConfig | None) -> None:
    configurable = (config or {}).get("configurable", {})
    runtime = configurable.get("__pregel_runtime")
    ctx = getattr(runtime, "context", None)
    thread = configurable.get("thread_id")
    if isinstance(ctx, TenantContext) and thread is not None and thread_owner(str(thread)) != ctx.tenant_id:
        raise AuthError(f"thread '{thread}' does not belong to tenant '{ctx.tenant_id}'")


class TenantCheckpointer(BaseCheckpointSaver[Any]):
    """Delegates to ``inner``; refuses a run's access to another tenant's thread."""

    def __init__(self, inner: BaseCheckpointSaver[Any]):
        super().__init__(serde=inner.serde)
        self.inner = inner

    @property
    def config_specs(self) -> list[Any]:
        return list(self.inner.config_specs)

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.inner.get_next_version(current, channel)

    # -- reads -----------------------------------------------------------------------------
    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        _check(config)
        return self.inner.get_tuple(config)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        _check(config)
        return await self.inner.aget_tuple(config)

    def list(self, config: RunnableConfig | None, **kwargs: Any) -> Iterator[CheckpointTuple]:
        _check(config)
        return self.inner.list(config, **kwargs)

    async def alist(self, config: RunnableConfig | None, **kwargs: Any) -> AsyncIterator[CheckpointTuple]:
        _check(config)
        async for item in self.inner.alist(config, **kwargs):
            yield item

    # -- writes ----------------------------------------------------------------------------
    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        _check(config)
        return self.inner.put(config, checkpoint, metadata, new_versions)

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        _check(config)
        return await self.inner.aput(config, checkpoint, metadata, new_versions)

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                   task_path: str = "") -> None:
        _check(config)
        self.inner.put_writes(config, writes, task_id, task_path)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        _check(config)
        await self.inner.aput_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        self.inner.delete_thread(thread_id)

    async def adelete_thread(self, thread_id: str) -> None:
        await self.inner.adelete_thread(thread_id)
