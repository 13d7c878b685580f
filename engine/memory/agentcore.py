"""The ``agentcore`` checkpointer: sessions kept in AgentCore Memory (langgraph-checkpoint-aws's AgentCoreMemorySaver).

AgentCore Memory keeps events per *actor* and *session* of a memory resource;
the saver writes each checkpoint, its channel values and pending writes as
blob events there. tenantflow's threads are ``tenant:user:session``; this
module maps them, reversibly, to

* actor ``tenant:user`` (the service's ``actorId`` allows ``:`` between
  segments; the engine's ids never contain one, so the first segment of an
  actor is its tenant and no crafted user or session id can name another
  tenant's actor), and
* session ``tf-<session>`` (``sessionId`` allows no ``:``; the prefix tells
  tenantflow's sessions from the SHA-256 session names the saver gives
  subgraph namespaces, which never contain ``-``).

Which tenant may touch which thread is decided above this layer, by
:class:`engine.memory.checkpoints.TenantCheckpointer`, before any AgentCore call.

AgentCore cannot list checkpoints across sessions: :meth:`AgentCoreCheckpointer.athread_ids`
lists a tenant's threads with ListActors and ListSessions instead.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from engine.errors import MissingExtra, TenantflowError, require_extra
from engine.ids import is_valid_id, require_id
from engine.spec.project import AgentCoreSpec

if TYPE_CHECKING:
    from langgraph_checkpoint_aws import AgentCoreMemorySaver

#: Prefix of tenantflow's session names in AgentCore (see the module docstring).
SESSION_PREFIX = "tf-"
#: The service model's limits: ``actorId`` at most 255 characters, ``sessionId`` at most 100.
MAX_ACTOR = 255
MAX_SESSION = 100


class AgentCoreError(TenantflowError):
    """A thread or call the AgentCore Memory checkpointer cannot serve (an id too long for the service, ...)."""

    code = "stores"


def agentcore_ids(thread: str) -> tuple[str, str]:
    """The AgentCore (actor id, session id) of the thread ``tenant:user:session``."""
    parts = thread.split(":")
    if len(parts) != 3 or not all(is_valid_id(part) for part in parts):
        raise AgentCoreError(f"thread {thread!r} is not tenant:user:session: the agentcore checkpointer keeps only "
                             "tenantflow's session threads")
    tenant, user, session = parts
    actor, session_id = f"{tenant}:{user}", SESSION_PREFIX + session
    if len(actor) > MAX_ACTOR:
        raise AgentCoreError(f"thread {thread!r}: tenant and user ids together longer than AgentCore's {MAX_ACTOR - 1} "
                             "characters for an actor; use shorter ids with the agentcore checkpointer")
    if len(session_id) > MAX_SESSION:
        raise AgentCoreError(f"thread {thread!r}: a session id longer than {MAX_SESSION - len(SESSION_PREFIX)} "
                             "characters does not fit AgentCore's session ids; use shorter session ids with the "
                             "agentcore checkpointer")
    return actor, session_id


def thread_of(actor: str, session_id: str) -> str | None:
    """The thread an AgentCore (actor, session) pair holds, or None if it is not one of tenantflow's sessions."""
    owner = actor.split(":")
    session = session_id.removeprefix(SESSION_PREFIX)
    if (len(owner) != 2 or not all(is_valid_id(part) for part in owner) or session == session_id
            or not is_valid_id(session)):
        return None
    return f"{actor}:{session}"


def open_saver(spec: AgentCoreSpec, memory_id: str) -> AgentCoreCheckpointer:
    """An AgentCore Memory checkpointer on ``memory_id``, in ``spec``'s region and endpoint (MissingExtra without
    the [agentcore] extra)."""
    require_extra("agentcore", "langgraph_checkpoint_aws", "stores: checkpointer: agentcore")
    try:
        from langgraph_checkpoint_aws import AgentCoreMemorySaver
    except ImportError as missing:  # installed but broken: still the extra to (re)install
        raise MissingExtra("agentcore", "stores: checkpointer: agentcore",
                           missing.name or "langgraph-checkpoint-aws") from None
    client: dict[str, Any] = {}
    if spec.region is not None:
        client["region_name"] = spec.region
    if spec.endpoint_url is not None:
        client["endpoint_url"] = spec.endpoint_url
    return AgentCoreCheckpointer(AgentCoreMemorySaver(memory_id, **client))


class AgentCoreCheckpointer(BaseCheckpointSaver[str]):
    """AgentCoreMemorySaver addressed with tenantflow's thread ids: each call's thread becomes its actor and session,
    and the configs it returns carry the thread again."""

    def __init__(self, saver: AgentCoreMemorySaver):
        from langgraph_checkpoint_aws.checkpoint.agentcore.constants import AgentCoreMemoryError

        self.saver = saver
        self._saver_errors: tuple[type[Exception], ...] = (AgentCoreMemoryError,)
        super().__init__(serde=saver.serde)

    # The saver encodes its events with a serializer it built around its serde at construction: sealing
    # (engine.memory.sealed_checkpoints.seal_saver) replaces the serde, so the replacement must reach it too.
    @property
    def serde(self) -> SerializerProtocol:
        serde: SerializerProtocol = self.saver.serde
        return serde

    @serde.setter
    def serde(self, value: SerializerProtocol) -> None:
        self.saver.serde = value
        self.saver.serializer.serde = value

    def get_next_version(self, current: Any, channel: None) -> str:
        return str(self.saver.get_next_version(current, channel))

    # -- reads -----------------------------------------------------------------------------
    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread, inner = _inner(config)
        with self._aws("a read of " + thread):
            return _outer_tuple(self.saver.get_tuple(inner), thread)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread, inner = _inner(config)
        with self._aws("a read of " + thread):
            return _outer_tuple(await self.saver.aget_tuple(inner), thread)

    def list(self, config: RunnableConfig | None, **kwargs: Any) -> Iterator[CheckpointTuple]:
        thread, inner = _inner(config)
        with self._aws("a listing of " + thread):
            for item in self.saver.list(inner, **kwargs):
                yield _outer_item(item, thread)

    async def alist(self, config: RunnableConfig | None, **kwargs: Any) -> AsyncIterator[CheckpointTuple]:
        thread, inner = _inner(config)
        with self._aws("a listing of " + thread):
            async for item in self.saver.alist(inner, **kwargs):
                yield _outer_item(item, thread)

    # -- writes ----------------------------------------------------------------------------
    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        thread, inner = _inner(config)
        with self._aws("a checkpoint of " + thread):
            return _outer(self.saver.put(inner, checkpoint, metadata, new_versions), thread)

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        thread, inner = _inner(config)
        with self._aws("a checkpoint of " + thread):
            return _outer(await self.saver.aput(inner, checkpoint, metadata, new_versions), thread)

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                   task_path: str = "") -> None:
        thread, inner = _inner(config)
        with self._aws("the writes of " + thread):
            self.saver.put_writes(inner, writes, task_id, task_path)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        thread, inner = _inner(config)
        with self._aws("the writes of " + thread):
            await self.saver.aput_writes(inner, writes, task_id, task_path)

    # -- sessions --------------------------------------------------------------------------
    def delete_thread(self, thread_id: str) -> None:
        """Delete every event of the thread's session.

        Not the saver's ``delete_thread``: it deletes each page of ListEvents before asking for the next, and a
        service whose page token is a position then skips the events that moved up into the deleted ones' places
        (tests/memory/test_agentcore.py). Here every event id is listed first, then each is deleted.
        """
        actor, session = agentcore_ids(thread_id)
        client = self.saver.checkpoint_event_client.client
        with self._aws("deleting " + thread_id):
            ids = self._pages("list_events", "events",
                              {"actorId": actor, "sessionId": session, "includePayloads": False})
            for event_id in ids:
                client.delete_event(memoryId=self.saver.memory_id, actorId=actor, sessionId=session, eventId=event_id)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def athread_ids(self, tenant_id: str, user_id: str | None = None) -> builtins.list[str]:
        """The threads of ``tenant_id`` (of one user if given) that AgentCore holds sessions of.

        One ListSessions per user; without a user, ListActors first pages through every actor of the memory
        resource (all its tenants' users) and keeps those of ``tenant_id``.
        """
        with self._aws(f"listing the sessions of tenant '{require_id('tenant id', tenant_id)}'"):
            return await self._thread_ids(tenant_id, user_id)

    async def _thread_ids(self, tenant_id: str, user_id: str | None) -> builtins.list[str]:
        if user_id is not None:
            actors = [f"{tenant_id}:{require_id('user id', user_id)}"]
        else:
            actors = [actor for actor in await asyncio.to_thread(self._pages, "list_actors", "actorSummaries", {})
                      if actor.startswith(f"{tenant_id}:")]
        found: builtins.list[str] = []
        for actor in actors:
            for session in await asyncio.to_thread(self._pages, "list_sessions", "sessionSummaries",
                                                   {"actorId": actor}):
                thread = thread_of(actor, session)
                if thread is not None and thread.startswith(f"{tenant_id}:"):
                    found.append(thread)
        return found

    @contextmanager
    def _aws(self, what: str) -> Iterator[None]:
        """AWS's refusals and the saver's failures as one clear AgentCoreError (never a traceback to a user)."""
        where = f"AgentCore Memory '{self.saver.memory_id}'"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AgentCoreError(f"{where} refused {what}: {error.get('Code', '?')}: {error.get('Message', '')}") \
                from None
        except BotoCoreError as exc:
            raise AgentCoreError(f"{where}: {what} failed: {exc}") from None
        except self._saver_errors as exc:  # a session's events the saver cannot make a checkpoint of
            raise AgentCoreError(f"{where}: {what} failed: {exc}") from None

    def _pages(self, operation: str, key: str, params: dict[str, Any]) -> builtins.list[str]:
        """Every actor, session or event id an AgentCore list operation returns, page after page."""
        client = self.saver.checkpoint_event_client.client
        field = {"actorSummaries": "actorId", "sessionSummaries": "sessionId", "events": "eventId"}[key]
        found: builtins.list[str] = []
        request = {"memoryId": self.saver.memory_id, "maxResults": 100, **params}
        while True:
            response = getattr(client, operation)(**request)
            found += [str(summary[field]) for summary in response.get(key, [])]
            if not response.get("nextToken"):
                return found
            request["nextToken"] = response["nextToken"]


def _inner(config: RunnableConfig | None) -> tuple[str, RunnableConfig]:
    """The thread of ``config`` and ``config`` with the AgentCore actor and session in its place."""
    configurable = dict((config or {}).get("configurable", {}))
    thread = configurable.get("thread_id")
    if thread is None:
        raise AgentCoreError("AgentCore Memory keeps checkpoints per actor and session and cannot list them across "
                             "sessions: read one thread at a time (tenantflow sessions lists a tenant's threads "
                             "with ListActors and ListSessions)")
    actor, session = agentcore_ids(str(thread))
    configurable.update(thread_id=session, actor_id=actor)
    return str(thread), {**(config or {}), "configurable": configurable}


def _outer(config: RunnableConfig | None, thread: str) -> RunnableConfig:
    """``config`` as the saver returned it, addressed with tenantflow's ``thread`` again."""
    configurable = {k: v for k, v in (config or {}).get("configurable", {}).items() if k != "actor_id"}
    configurable["thread_id"] = thread
    return {**(config or {}), "configurable": configurable}


def _outer_item(item: CheckpointTuple, thread: str) -> CheckpointTuple:
    return item._replace(config=_outer(item.config, thread),
                         parent_config=None if item.parent_config is None else _outer(item.parent_config, thread))


def _outer_tuple(item: CheckpointTuple | None, thread: str) -> CheckpointTuple | None:
    return None if item is None else _outer_item(item, thread)
