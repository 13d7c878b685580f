"""One compiled graph per structure: pooled tenants share it, yet each gets its own bindings."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from engine.compile.resolve import EffectiveWorkflow
from engine.engine import Engine
from engine.guardrails.config import GuardrailsConfig
from engine.ir import WorkflowIR
from engine.project import Loaded, Project, load_project
from engine.run.graphs import CompiledWorkflow, GraphCache
from engine.spec.source import Document
from engine.spec.tenant import TenantSpec
from engine.startup import gc_paused
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


def _with_generated_tenants(project: Project, count: int, overriding: int) -> Project:
    """``project`` with ``count`` more tenants, built in memory (no files: a few seconds for 10,000); the first
    ``overriding`` of them change the wording of ``hello``'s prompt, each its own way: a structure each."""
    tiers = ("basic", "standard", "premium")
    tenants = dict(project.tenants)
    for i in range(count):
        tenant_id = f"g{i:05d}"
        data: dict[str, Any] = {"apiVersion": "tenantflow/v1", "kind": "Tenant", "metadata": {"id": tenant_id},
                                "tier": tiers[i % 3]}
        if i < overriding:
            data["overrides"] = {"hello": {"steps": {"answer": {"llm": {"prompt": f"Say ({i}): {{{{ steps.first.text }}}}"}}}}}
        path = project.root / "tenants" / tenant_id / "tenant.yaml"
        tenants[tenant_id] = Loaded(TenantSpec.model_validate(data), Document(f"tenants/{tenant_id}/tenant.yaml",
                                                                              data, {}, {}), path)
    return replace(project, tenants=tenants)


def _alive(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is kind)


def test_ten_thousand_tenants_hold_objects_per_structure_not_per_tenant(make_project):
    """10,000 tenants, 3 structures of ``hello`` (pooled, and two tenants' own overrides): after compiling
    for every tenant, the live compiled graphs, their IR, and the resolved workflows are counted by
    structure, and so are the effective guardrail settings the tenants of a tier share."""
    kinds = (CompiledWorkflow, WorkflowIR, CompiledStateGraph, EffectiveWorkflow, GuardrailsConfig)
    before = {kind: _alive(kind) for kind in kinds}  # what earlier tests in this process may have left alive
    project = _with_generated_tenants(load_project(make_project(tenants={"alpha": tenant_yaml("alpha")})),
                                      10_000, overriding=2)
    engine = Engine(project)
    with gc_paused():  # as `tenantflow serve` does after load (gc.freeze): else full collections dominate
        for tenant in project.tenants:
            engine.compile("hello", tenant)
    structures = 3
    made = {kind: _alive(kind) - before[kind] for kind in kinds}
    assert engine.compile_count == engine.graph_count() == structures
    assert made[CompiledWorkflow] == structures
    assert made[WorkflowIR] <= 2 * structures  # the graph cache's and the check cache's, per structure
    assert made[CompiledStateGraph] == structures
    # Tenants without overrides share one resolution per load; an override's is not kept.
    assert sum(1 for key in project.derived if key[0] == "effective") == 1
    assert made[EffectiveWorkflow] <= 2 * structures
    # Settings: one object per tenant, but the guardrails inside them are one per tier.
    assert len({id(engine.settings(t).guardrails) for t in project.tenants}) == len(project.spec.tiers)
    assert made[GuardrailsConfig] < 50
    # Provenance is built for a tenant only when asked.
    assert engine.settings("g00007").provenance[("tier",)].file == "tenants/g00007/tenant.yaml"


def _structures(make_project, count: int) -> Engine:
    """``count`` tenants, each with its own wording of ``hello``'s prompt: ``count`` structures."""
    tenants = {f"s{i}": tenant_yaml(f"s{i}", "basic", f"""\
overrides:
  hello:
    steps:
      answer: {{llm: {{prompt: "Say ({i}): {{{{ steps.first.text }}}}"}}}}
""") for i in range(count)}
    return Engine(load_project(make_project(tenants=tenants)))


def test_the_graph_cache_counts_hits_misses_and_compile_time(make_project):
    engine = _structures(make_project, 3)
    for tenant in ("s0", "s1", "s0", "s2", "s1"):
        engine.compile("hello", tenant)
    stats = engine.graphs.stats
    assert (stats.hits, stats.misses, stats.compiles, stats.evictions) == (2, 3, 3, 0)
    assert stats.compile_seconds > 0
    assert stats.held_bytes == sum(g.weight for g in engine.graphs._graphs.values()) > 0


def test_the_graph_cache_is_bounded_by_memory(make_project):
    # A budget smaller than one graph keeps only the newest structure: each other one is compiled again.
    engine = _structures(make_project, 3)
    engine.graphs.max_bytes = 1
    for tenant in ("s0", "s1", "s2", "s0"):
        engine.compile("hello", tenant)
        assert engine.graph_count() == 1
    assert (engine.graphs.stats.misses, engine.graphs.stats.evictions) == (4, 3)
    # A budget that holds them all compiles each once, however often the tenants take turns.
    roomy = _structures(make_project, 3)
    for _ in range(3):
        for tenant in ("s0", "s1", "s2"):
            roomy.compile("hello", tenant)
    assert roomy.graph_count() == 3 and roomy.graphs.stats.compiles == 3 and roomy.graphs.stats.hits == 6


def test_the_graph_cache_reports_lookups_and_compile_time_as_metrics(make_project):
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    engine = _structures(make_project, 2)
    reader = InMemoryMetricReader()
    graphs = GraphCache(engine.project, engine.tenants, engine.graphs.kinds, checkpointer=None, store=None,
                        meter_provider=MeterProvider(metric_readers=[reader]))
    for tenant in ("s0", "s0", "s1", "s0"):
        graphs.get("hello", tenant)
    data = reader.get_metrics_data()
    assert data is not None
    found = {metric.name: metric.data.data_points for resource in data.resource_metrics
             for scope in resource.scope_metrics for metric in scope.metrics}
    lookups = {dict(p.attributes)["result"]: p.value for p in found["tenantflow.graph_cache.lookups"]}
    assert lookups == {"hit": 2, "miss": 2}
    [compile_time] = found["tenantflow.graph_cache.compile.duration"]
    assert compile_time.count == 2 and compile_time.sum > 0
