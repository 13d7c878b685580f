"""The graph factory without a server: the run's tenant context comes from the server's user, never the request."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from engine.errors import AuthError
from engine.platform.graphs import make_graph, tenant_context
from engine.platform.project import PROJECT_ENV, forget_engines
from tests.conftest import REPO

pytest.importorskip("langgraph_sdk")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures", "policies"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    monkeypatch.setenv(PROJECT_ENV, str(tmp_path))
    forget_engines()
    yield tmp_path
    forget_engines()


def _user(tenant: str, user: str = "u1", tier: str = "basic") -> dict[str, Any]:
    return {"identity": f"{tenant}:{user}", "tenant_id": tenant, "user_id": user, "tier": tier, "issuer": "test",
            "scopes": []}


def _config(workflow: str, user: dict[str, Any] | None, thread: str) -> dict[str, Any]:
    configurable: dict[str, Any] = {"graph_id": workflow, "thread_id": thread}
    if user is not None:
        configurable["langgraph_auth_user"] = user
    return {"configurable": configurable}


def _served(config: dict[str, Any]) -> Any:
    """The factory's graph with a checkpointer and store of the server's, as the server copies it."""
    return make_graph(config["configurable"]["graph_id"], config).copy(update={"checkpointer": InMemorySaver(), "store": InMemoryStore()})


async def test_a_run_takes_its_tenant_from_the_user_and_its_session_from_the_thread(project: Path) -> None:
    thread = str(uuid.uuid4())
    config = _config("support-triage", _user("globex"), thread)
    graph = _served(config)
    state = await graph.ainvoke({"ticket": "Site down since 9am", "customer_id": "cus_1001"}, config)
    assert state["output"]["reply"].startswith("[amazon.nova-micro-v1:0]")
    assert [u["tenant"] for u in state["usage"]] == ["globex"]
    ctx = tenant_context(_user("globex"), thread)
    assert ctx.thread_id == f"globex:u1:{thread}"


async def test_closed_without_a_user_with_a_bad_thread_or_with_bad_input(project: Path) -> None:
    thread = str(uuid.uuid4())
    with pytest.raises(AuthError, match="no authenticated user"):  # not even the graph's shape
        make_graph("support-triage", _config("support-triage", None, thread))
    shape = make_graph("support-triage", _config("support-triage", _user("globex"), thread))
    with pytest.raises(AuthError, match="no authenticated user"):  # a run whose config lost the user
        await shape.ainvoke({"ticket": "x", "customer_id": "c"}, _config("support-triage", None, thread))
    graph = _served(_config("support-triage", _user("globex"), thread))
    with pytest.raises(AuthError, match="is not a server thread"):
        await graph.ainvoke({"ticket": "x", "customer_id": "c"}, _config("support-triage", _user("globex"), "s1"))
    # A thread id shaped as another tenant's thread is no UUID: refused before anything runs.
    with pytest.raises(AuthError, match="is not a server thread"):
        await graph.ainvoke({"ticket": "x", "customer_id": "c"},
                            _config("support-triage", _user("globex"), "acme:u1:s1"))
    with pytest.raises(Exception, match="customer_id"):
        await graph.ainvoke({"ticket": "x"}, _config("support-triage", _user("globex"), thread))
    with pytest.raises(AuthError, match="tenant 'globex' does not run workflow 'security-alert'"):
        make_graph("security-alert", _config("security-alert", _user("globex"), thread))


def test_the_factories_one_per_workflow_and_the_input_schema_is_the_workflows(project: Path) -> None:
    from engine.platform.graphs import workflow_factory

    factory = workflow_factory("support-triage")
    # Drawing a graph: the server names no graph id, only the user; each tenant sees its own graph.
    graph = factory({"configurable": {"langgraph_auth_user": _user("globex")}})
    acme = factory({"configurable": {"langgraph_auth_user": _user("acme", tier="premium")}})
    assert {"guard.input", "classify", "draft", "guard.output"} <= set(graph.nodes)
    assert "compliance_note" in acme.nodes and "compliance_note" not in graph.nodes  # Acme's own step
    schema = graph.get_input_jsonschema()
    assert schema["required"] == ["ticket", "customer_id"] and schema["additionalProperties"] is False
    assert graph.get_context_jsonschema() is None


async def test_a_context_given_in_the_request_is_ignored_for_the_users(project: Path) -> None:
    thread = str(uuid.uuid4())
    config = _config("support-triage", _user("globex"), thread)
    graph = _served(config)
    # A request's own `context` (a dict naming another tenant) never becomes the run's tenant context.
    state = await graph.ainvoke({"ticket": "Site down", "customer_id": "cus_1001"}, config,
                                context={"tenant": {"tenant_id": "acme"}})
    assert [u["tenant"] for u in state["usage"]] == ["globex"]


async def test_the_input_guard_takes_a_uuid_thread_only_as_the_runs_own_session(project: Path) -> None:
    from engine.platform.project import served_engine
    from engine.state import fresh_run

    engine = served_engine()
    compiled = engine.compile("support-triage", "globex").graph.copy(update={"store": InMemoryStore()})
    payload = {"ticket": "Site down", "customer_id": "cus_1001"}
    thread, other = str(uuid.uuid4()), str(uuid.uuid4())
    owner = engine.dev_context("globex", "u1", thread)
    state = await compiled.ainvoke(fresh_run(), {"configurable": {"thread_id": thread}},
                                   context=engine.run_context("support-triage", owner, payload))
    assert state["output"]["reply"]
    for ctx in (engine.dev_context("globex", "u1", other), engine.dev_context("globex", "u1", "s1")):
        with pytest.raises(AuthError, match=f"thread '{thread}' does not belong to tenant 'globex'"):
            await compiled.ainvoke(fresh_run(), {"configurable": {"thread_id": thread}},
                                   context=engine.run_context("support-triage", ctx, payload))
