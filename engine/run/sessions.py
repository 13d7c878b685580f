"""Out-of-run operations on sessions (threads ``tenant:user:session``), always through one tenant's handle.

Listing, reading and deleting conversations happen outside any run, so the
checkpointer's run-tenant check does not apply: the scope comes from the
handle instead. :meth:`SessionDirectory.of` refuses a handle without a known
tenant (there is no unscoped list or delete), every operation of a handle
names the tenant's own threads only, and every refusal is an audit event
(``sessions.refused`` in the JSON log).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from langchain_core.runnables import RunnableConfig

from engine.errors import AuthError
from engine.ids import require_id, thread_id
from engine.memory.checkpoints import TenantCheckpointer
from engine.run.tenants import TenantDirectory
from engine.telemetry.logs import event


@dataclass(frozen=True)
class RunInfo:
    """The latest run of a session: ``waiting`` (for an answer), ``unfinished`` (resumable) or ``done``."""

    tenant_id: str
    user_id: str
    session_id: str
    workflow: str
    status: str
    updated: str
    #: What a waiting run asks: the step, question, answer schema, who asked, until when.
    pending: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"tenant": self.tenant_id, "user": self.user_id, "session": self.session_id,
               "workflow": self.workflow, "status": self.status, "updated": self.updated}
        return out | ({"pending": self.pending} if self.pending is not None else {})


#: Reads a thread's state with its workflow's graph: (workflow, tenant, config) -> whether it has steps to run.
Unfinished = Callable[[str, str, RunnableConfig], Awaitable[bool]]


@dataclass(frozen=True)
class SessionInfo:
    """One session of a tenant: whose it is, and when its newest checkpoint was written."""

    tenant_id: str
    user_id: str
    session_id: str
    updated: str

    def to_json(self) -> dict[str, Any]:
        return {"tenant": self.tenant_id, "user": self.user_id, "session": self.session_id, "updated": self.updated}


class SessionDirectory:
    """Hands out :class:`Sessions` handles, one tenant each."""

    def __init__(self, tenants: TenantDirectory, checkpointer: TenantCheckpointer | None,
                 unfinished: Unfinished):
        self.tenants, self.checkpointer, self.unfinished = tenants, checkpointer, unfinished

    def of(self, tenant_id: str | None) -> Sessions:
        """The sessions of ``tenant_id``; AuthError (and an audit event) for no tenant or an unknown one."""
        if not tenant_id:
            _refused("", "no tenant: listing or deleting sessions is scoped to one tenant")
        assert tenant_id is not None
        _checked_id(tenant_id, "tenant id", tenant_id)
        try:
            self.tenants.settings(tenant_id)
        except AuthError as exc:
            _refused(tenant_id, str(exc))
        if self.checkpointer is None:
            raise AuthError("this engine keeps no sessions: it was built without a checkpointer")
        return Sessions(tenant_id, self.checkpointer, self.unfinished)


class Sessions:
    """One tenant's sessions: list them and their runs, read a conversation, delete one."""

    def __init__(self, tenant_id: str, checkpointer: TenantCheckpointer, unfinished: Unfinished):
        self.tenant_id, self._checkpointer, self._unfinished = tenant_id, checkpointer, unfinished

    async def runs(self, user_id: str | None = None, *, pending: bool = False) -> builtins.list[RunInfo]:
        """The latest run of each session of the tenant (one user's if given), newest first; with
        ``pending``, only the runs waiting for an answer."""
        found = []
        for info in await self.list(user_id):
            config = self._config(info.user_id, info.session_id)
            saved = await self._checkpointer.aget_tuple(config)
            if saved is None:
                continue
            workflow = str(saved.metadata.get("workflow", ""))
            asked = [i.value for _, channel, value in saved.pending_writes or () if channel == "__interrupt__"
                     for i in value]
            if asked:
                status = "waiting"
            elif pending:
                continue
            else:
                status = "unfinished" if workflow and await self._unfinished(workflow, self.tenant_id, config) \
                    else "done"
            found.append(RunInfo(self.tenant_id, info.user_id, info.session_id, workflow, status, info.updated,
                                 dict(asked[0]) if asked else None))
        return found

    async def list(self, user_id: str | None = None) -> builtins.list[SessionInfo]:
        """The tenant's sessions (one user's if given), newest first."""
        if user_id is not None:
            _checked_id(self.tenant_id, "user id", user_id)
        threads = await self._checkpointer.athreads(self.tenant_id, user_id)
        found = []
        for thread, ts in threads.items():
            _, user, session = thread.split(":")
            found.append(SessionInfo(self.tenant_id, user, session, ts))
        return sorted(found, key=lambda s: (s.updated, s.user_id, s.session_id), reverse=True)

    async def messages(self, user_id: str, session_id: str) -> builtins.list[dict[str, str]]:
        """The conversation a session keeps: role (``user`` or ``assistant``) and text, oldest first."""
        saved = await self._checkpointer.aget_tuple(self._config(user_id, session_id))
        kept = saved.checkpoint["channel_values"].get("messages", []) if saved is not None else []
        return [{"role": "user" if m.type == "human" else "assistant", "text": str(m.content)} for m in kept]

    async def delete(self, user_id: str, session_id: str) -> bool:
        """Delete a session of this tenant (its checkpoints and conversation); False if it had none."""
        config = self._config(user_id, session_id)
        existed = await self._checkpointer.aget_tuple(config) is not None
        await self._checkpointer.adelete_thread(config["configurable"]["thread_id"])
        return existed

    async def purge(self, user_id: str) -> builtins.list[str]:
        """Delete every session of one user of this tenant (a user who leaves); the session ids deleted."""
        sessions = await self.list(user_id)
        for info in sessions:
            await self.delete(info.user_id, info.session_id)
        return sorted(info.session_id for info in sessions)

    def _config(self, user_id: str, session_id: str) -> RunnableConfig:
        try:
            thread = thread_id(self.tenant_id, user_id, session_id)
        except ValueError as exc:
            _refused(self.tenant_id, str(exc))
        return {"configurable": {"thread_id": thread}}


def _checked_id(tenant_id: str, kind: str, value: str) -> str:
    try:
        return require_id(kind, value)
    except ValueError as exc:
        _refused(tenant_id, str(exc))


def _refused(tenant_id: str, why: str) -> NoReturn:
    event("sessions.refused", logging.WARNING, tenant=tenant_id, reason=why)
    raise AuthError(f"session operation refused: {why}")
