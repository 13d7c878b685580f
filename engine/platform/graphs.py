"""The graph factories a LangGraph server calls: ``langgraph.json`` names, for each workflow, its factory in
the ``langgraph_graphs.py`` that ``tenantflow export langgraph`` writes (:func:`workflow_factory`).

A factory returns the compiled graph the caller's tenant runs for the workflow: the same
``CompiledStateGraph`` the engine runs (its nodes, state and context schema show in Studio),
as a :class:`PlatformGraph`, which gives each run what the engine's own runner gives it:

- the run context (:class:`engine.kinds.base.RunContext`), built from the server's authenticated user
  (:mod:`engine.platform.auth`), never from the request: a run without one is refused;
- the run's input, checked against the workflow's and handed to the input guard in that context, as
  :meth:`engine.engine.Engine.run_context` does; a run with no input goes on from the thread's last
  checkpoint; answering an ``ask`` step (``Command(resume=...)``) is refused: Engine.answer's checks
  (who may answer, the answer's fields) are not built here;
- the session: the server's thread id (a UUID, owned per tenant and user by the auth handler's metadata
  filters) is the session id, so the engine's tenant-scoped thread is ``tenant:user:<thread uuid>``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import AuthError
from engine.kinds.base import RunContext
from engine.platform.project import served_engine
from engine.spec.fields import object_schema
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

    def get_input_jsonschema(self, config: RunnableConfig | None = None) -> dict[str, Any]:
        """The workflow's input: what a run on the server is given (Studio's input form)."""
        return object_schema(self.engine.project.workflows[self.workflow].spec.input)

    def get_context_jsonschema(self) -> dict[str, Any] | None:
        """None: the run context is built from the server's user, a request gives none."""
        return None

    def _bind(self, input: Any, config: RunnableConfig | None, given: Any) -> tuple[Any, RunContext]:
        configurable = (config or {}).get("configurable") or {}
        ctx = tenant_context(configurable.get("langgraph_auth_user"), configurable.get("thread_id"),
                             str(configurable.get("run_id") or ""))
        if ctx.tenant_id not in tenants_running(self.engine, self.workflow):
            raise AuthError(f"tenant '{ctx.tenant_id}' does not run workflow '{self.workflow}'")
        if isinstance(input, Mapping):  # a new run: the input guard gets it through the run context
            return fresh_run(), self.engine.run_context(self.workflow, ctx, dict(input))
        if isinstance(input, Command):
            # Engine.answer checks who may answer (Cedar) and the answer's fields; a raw resume would skip both.
            raise AuthError("answering an ask step through LangGraph's server is not built: answer it through "
                            "tenantflow serve or Engine.answer")
        return input, RunContext(ctx, self.engine.services)  # None: go on from the thread's last checkpoint


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


def make_graph(workflow: str, config: RunnableConfig) -> PlatformGraph:
    """The graph of ``workflow`` for the caller's tenant (the server's user in ``config``), to run or to draw.

    Closed by default: without an authenticated user no graph is given (a tenant's graph shows its own
    steps), nor to a tenant that does not run the workflow.
    """
    engine = served_engine()
    user = (config.get("configurable") or {}).get("langgraph_auth_user")
    if user is None:
        raise AuthError("no authenticated user: serve this graph with engine.platform.auth:auth as the auth")
    tenant = str(_field(user, "tenant_id"))
    if tenant not in tenants_running(engine, workflow):
        raise AuthError(f"tenant '{tenant}' does not run workflow '{workflow}'")
    compiled = engine.compile(workflow, tenant).graph
    graph: Any = compiled.copy()
    graph.__class__ = _graph_class(engine, workflow)  # the server's own copy() keeps the class
    return cast(PlatformGraph, graph)


def workflow_factory(workflow: str) -> Callable[[RunnableConfig], PlatformGraph]:
    """The server's graph factory for ``workflow`` (``langgraph_graphs.py``, written by ``tenantflow export
    langgraph``, names one per workflow: the server tells a factory no graph id when it draws a graph)."""

    def factory(config: RunnableConfig) -> PlatformGraph:
        return make_graph(workflow, config)

    factory.__name__ = factory.__qualname__ = f"make_{workflow.replace('-', '_')}"
    return factory
