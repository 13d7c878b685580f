"""One compiled graph per structure: pooled tenants share it, yet each gets its own bindings."""

from __future__ import annotations

from pathlib import Path

from engine.engine import Engine
from engine.project import load_project
from tests.conftest import tenant_yaml

OWN_ECHO = '''\
from engine.skills.decorators import skill
from engine.skills.bridge import SkillContext


@skill("echo", version="2")
def echo(*, text: str, ctx: SkillContext) -> dict:
    return {"text": text.upper(), "impl": "own", "tenant": ctx.tenant.tenant_id}
'''


def _many_tenants(make_project, count: int) -> Path:
    tiers = ("basic", "standard", "premium")
    tenants = {f"t{i:04d}": tenant_yaml(f"t{i:04d}", tiers[i % 3]) for i in range(count)}
    return make_project({"tenants/t0001/skills/echo.py": OWN_ECHO}, tenants=tenants)


async def test_a_thousand_pooled_tenants_share_one_compiled_graph(make_project):
    engine = Engine(load_project(_many_tenants(make_project, 1000)))
    graphs = {id(engine.compile("hello", tenant).graph) for tenant in engine.project.tenants}
    assert len(graphs) == 1
    assert engine.compile_count == 1
    assert engine.graph_count() == 1


async def test_tenants_sharing_a_graph_get_their_own_skill_and_model(make_project):
    engine = Engine(load_project(_many_tenants(make_project, 3)))
    shared = engine.compile("hello", "t0000")
    assert engine.compile("hello", "t0001") is shared

    basic = await engine.run("hello", engine.dev_context("t0000", "u1", "s1"), {"text": "hi"})
    standard_own = await engine.run("hello", engine.dev_context("t0001", "u1", "s1"), {"text": "hi"})
    premium = await engine.run("hello", engine.dev_context("t0002", "u1", "s1"), {"text": "hi"})

    assert basic.steps["first"] == {"text": "hi", "impl": "shared", "tenant": "t0000"}
    assert standard_own.steps["first"] == {"text": "HI", "impl": "own", "tenant": "t0001"}
    assert premium.steps["first"] == {"text": "hi", "impl": "shared", "tenant": "t0002"}
    assert [u["model"] for u in (basic.usage + standard_own.usage + premium.usage)] == [
        "small-v1", "medium-v1", "large-v1"]
    assert engine.compile_count == 1


async def test_a_tenant_cannot_reach_another_tenants_own_skill(make_project):
    engine = Engine(load_project(_many_tenants(make_project, 3)))
    # t0002 names the version only t0001 implements: resolution never looks in t0001's scope.
    assert engine.project.registry.resolve("skill", "echo", "t0002", "2") is None
    assert engine.project.registry.resolve("skill", "echo", "t0001", "2").scope == "t0001"


async def test_an_override_changes_the_structure_and_gets_its_own_graph(make_project):
    override = tenant_yaml("beta", "premium", """\
overrides:
  hello:
    steps:
      answer: {llm: {prompt: "Reply briefly: {{ steps.first.text }}"}}
""")
    engine = Engine(load_project(make_project(tenants={"alpha": tenant_yaml("alpha"), "beta": override,
                                                       "gamma": tenant_yaml("gamma", "premium")})))
    alpha, beta, gamma = (engine.compile("hello", t) for t in ("alpha", "beta", "gamma"))
    assert alpha is gamma
    assert beta is not alpha
    assert engine.graph_count() == 2
