"""The Engine's parts: the tenant directory, the one compile pipeline, and graphs that build with no engine."""

from __future__ import annotations

import pytest

from engine.compile.pipeline import Checked, compile_workflow
from engine.compile.render import describe
from engine.compile.resolve import resolve_tenant
from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import AuthError, CompileError
from engine.kinds.base import RunContext
from engine.project import load_project
from engine.review.pairs import compile_pairs
from engine.state import fresh_run
from tests.conftest import tenant_yaml

# A premium tier makes hipaa's rules mandatory; beta tries to switch back to the default profile.
HIPAA_TIER = ("premium: {model: large, allowed_models: [medium, small]}",
              "premium: {model: large, allowed_models: [medium, small], guardrails: {profile: hipaa}}")


def _project(make_project):  # type: ignore[no-untyped-def]
    project_yaml = make_project().joinpath("tenantflow.yaml").read_text().replace(*HIPAA_TIER)
    return load_project(make_project({"tenantflow.yaml": project_yaml}, tenants={
        "alpha": tenant_yaml("alpha", "basic"),
        "beta": tenant_yaml("beta", "premium", "guardrails: {profile: default}\n"),
    }))


async def test_the_directory_resolves_every_tenant_when_the_engine_is_built(make_project) -> None:
    project = _project(make_project)
    engine = Engine(project)
    # Resolved at construction, not per request: alpha's settings are there before anything ran.
    assert engine.tenants.settings("alpha").tier == "basic"
    assert sorted(engine.tenants) == ["alpha"] and list(engine.tenants.failed) == ["beta"]
    # A tenant whose settings do not resolve fails alone, with its problems; its neighbour runs.
    with pytest.raises(CompileError) as caught:
        await engine.run("hello", TenantContext(tenant_id="beta", tier="premium", user_id="u1", session_id="s1"),
                         {"text": "hi"})
    assert "mandatory rule pii.phone is 'block'" in str(caught.value)
    result = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert result.output == {"reply": "[small-v1] answer"}
    # A tenant the project does not have is refused by name.
    with pytest.raises(AuthError, match="unknown tenant 'gamma'"):
        engine.tenants.settings("gamma")


def test_engine_and_review_tools_compile_through_one_pipeline(make_project) -> None:
    project = load_project(make_project())
    engine = Engine(project)
    reviewed = compile_pairs(project)
    for tenant in ("alpha", "beta"):
        graph = engine.compile("hello", tenant)
        pair = reviewed.pairs[("hello", tenant)]
        assert graph.digest == pair.effective.digest
        assert describe(graph.ir, engine.settings(tenant), project.registry, graph.digest) == pair.description


async def test_a_graph_builds_with_no_engine_and_runs_with_the_services_in_its_context(make_project) -> None:
    project = load_project(make_project())
    checked = Checked()
    alpha = compile_workflow(project, "hello", resolve_tenant(project, "alpha"), checked=checked)
    beta = compile_workflow(project, "hello", resolve_tenant(project, "beta"), checked=checked)
    # One structure: lowered and checked once, its templates compiled once, for both tenants.
    assert alpha.ir is beta.ir and len(checked.entries) == 1
    graph = alpha.emit().compile()  # no Engine, no authorizer, no token verifier in reach
    engine = Engine(project)
    for tenant, model in (("alpha", "small-v1"), ("beta", "large-v1")):
        state = await graph.ainvoke(fresh_run({"text": "hi"}),
                                    context=RunContext(engine.dev_context(tenant, "u1", "s1"), engine.services))
        assert state["output"] == {"reply": f"[{model}] answer"}
        assert state["steps"]["first"]["tenant"] == tenant
