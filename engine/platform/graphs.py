"""The graph factory a LangGraph server calls (``langgraph.json``: every workflow names
``engine.platform.graphs:make_graph``; the server's ``graph_id`` is the workflow's name).

The factory returns the compiled graph the caller's tenant runs for the workflow: the same
``CompiledStateGraph`` the engine runs (its nodes, state and context schema show in Studio),
as a :class:`PlatformGraph`, which gives each run what the engine's own runner gives it:

- the run context (:class:`engine.kinds.base.RunContext`), built from the server's authenticated user
  (:mod:`engine.platform.auth`), never from the request: a run without one is refused;
- the run's input, checked against the workflow's and handed to the input guard in that context, as
  :meth:`engine.engine.Engine.run_context` does; a run resumed or answered (``Command(resume=...)``) goes
  on with no new input;
- the session: the server's thread id (a UUID, owned per tenant and user by the auth handler's metadata
  filters) is the session id, so the engine's tenant-scoped thread is ``tenant:user:<thread uuid>``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import AuthError
from engine.kinds.base import RunContext
from engine.platform.project import served_engine
from engine.state import fresh_run


class PlatformGraph(CompiledStateGraph):  # type: ignore[type-arg]
    """A compiled workflow graph whose runs take their tenant context from the server's authenticated user."""

    #: Set on the subclass made per engine (:func:`_graph_class`): the class survives the server's ``copy()``.
    engine: Engine
    workflow: str

    def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        input, kwargs["context"] = self._bind(input, config, kwargs.get("context"))
        return super().astream(input, config, **kwargs)

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        input, kwargs["context"] = self._bind(input, config, kwargs.get("context"))
        return super().stream(input, config, **kwargs)

    def _bind(self, input: Any, config: RunnableConfig | None, given: Any) -> tuple[Any, RunContext]:
        if isinstance(given, RunContext):
            return input, given  # a call step's sub-run, inside a run this class already bound
        configurable = (config or {}).get("configurable") or {}
        ctx = tenant_context(configurable.get("langgraph_auth_user"), configurable.get("thread_id"),
                             str(configurable.get("run_id") or ""))
        if ctx.tenant_id not in tenants_running(self.engine, self.workflow):
            raise AuthError(f"tenant '{ctx.tenant_id}' does not run workflow '{self.workflow}'")
        if isinstance(input, Mapping):  # a new run: the input guard gets it through the run context
            return fresh_run(), self.engine.run_context(self.workflow, ctx, dict(input))
        return input, RunContext(ctx, self.engine.services)  # resumed or answered (Command): no new input


def tenant_context(user: Any, thread: Any, request_id: str = "") -> TenantContext:
    """The run's tenant context from the server's user (what :mod:`engine.platform.auth` returned) and thread.

    Closed by default: no user, or a thread that is not a server's UUID, is refused.
    """
    if user is None:
        raise AuthError("no authenticated user: run this graph on a server using engine.platform.auth:auth")
    fields = {name: _field(user, name) for name in ("tenant_id", "user_id", "tier", "issuer", "scopes")}
    try:
        session = str(uuid.UUID(str(thread)))
    except ValueError:
        raise AuthError(f"thread '{thread}' is not a server thread (a UUID): runs need a thread") from None
    return TenantContext(tenant_id=str(fields["tenant_id"]), tier=str(fields["tier"]), user_id=str(fields["user_id"]),
                         session_id=session, request_id=request_id, scopes=frozenset(fields["scopes"] or ()),
                         issuer=str(fields["issuer"]))


def _field(user: Any, name: str) -> Any:
    value = user.get(name) if isinstance(user, Mapping) else getattr(user, name, None)
    if value is None:
        raise AuthError(f"the server's user has no '{name}': use engine.platform.auth:auth as the server's auth")
    return value


def tenants_running(engine: Engine, workflow: str) -> list[str]:
    """The tenants whose files list ``workflow``, in id order."""
    if workflow not in engine.project.workflows:
        return []
    return sorted(t for t in engine.tenants if engine.settings(t).runs(workflow))


_classes: dict[tuple[int, str], type[PlatformGraph]] = {}


def _graph_class(engine: Engine, workflow: str) -> type[PlatformGraph]:
    key = (id(engine), workflow)
    found = _classes.get(key)
    if found is None:
        found = _classes[key] = type("PlatformGraph", (PlatformGraph,), {"engine": engine, "workflow": workflow})
    return found


def make_graph(config: RunnableConfig) -> PlatformGraph:
    """The graph for the server's ``graph_id`` (a workflow) and the caller's tenant.

    Without an authenticated user (the server reading a graph's shape for Studio), the graph of the
    first tenant running the workflow is given: its shape only, no run starts without a user.
    """
    engine = served_engine()
    configurable = config.get("configurable") or {}
    workflow = str(configurable.get("graph_id") or "")
    user = configurable.get("langgraph_auth_user")
    tenant = _field(user, "tenant_id") if user is not None else None
    running = tenants_running(engine, workflow)
    if not running:
        raise AuthError(f"no tenant runs workflow '{workflow}'")
    if tenant is not None and tenant not in running:
        raise AuthError(f"tenant '{tenant}' does not run workflow '{workflow}'")
    compiled = engine.compile(workflow, str(tenant) if tenant is not None else running[0]).graph
    graph: Any = compiled.copy()
    graph.__class__ = _graph_class(engine, workflow)  # the server's own copy() keeps the class
    return cast(PlatformGraph, graph)
