"""Every skill call goes through the shared bridge chain: auth, logging, errors.

The chain is the project's ``skills/bridge/*.py`` (copied from the repo by
``make_project``); these tests run workflows as a user would and check what
the chain decided, logged, traced and recorded.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from engine.engine import Engine
from engine.errors import AuthError, CompileError, RunError
from engine.project import load_project
from engine.skills.bridge import SkillCall, build_chain
from engine.telemetry.instruments import activate
from engine.telemetry.logs import LOGGER_NAME, JsonFormatter
from engine.telemetry.users import user_hash
from tests.conftest import tenant_yaml
from tests.telemetry.support import capture

# A skill module whose implementations leave traces a test can read back
# through the registry (``fn.__globals__``), to prove what ran and what did not.
PROBES = '''\
import asyncio

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill, tool

CALLS = []
FLAKY = {}


@tool("probe.record")
def record(*, text: str, ctx: SkillContext) -> dict:
    CALLS.append((ctx.tenant.tenant_id, "tool:" + text))
    return {"recorded": text}


@skill("guarded")
def guarded(*, text: str, ctx: SkillContext) -> dict:
    CALLS.append((ctx.tenant.tenant_id, text))
    return {"ran": True}


@skill("flaky")
def flaky(*, text: str, ctx: SkillContext) -> dict:
    tenant = ctx.tenant.tenant_id
    FLAKY[tenant] = FLAKY.get(tenant, 0) + 1
    if FLAKY[tenant] < 3:
        raise ConnectionError("upstream reset by peer")
    return {"attempt": FLAKY[tenant], "tenant": tenant}


@skill("slow")
async def slow(*, text: str, ctx: SkillContext) -> dict:
    await asyncio.sleep(5)
    return {"late": True}


@skill("broken")
def broken(*, text: str, ctx: SkillContext) -> dict:
    raise ValueError("cannot parse record 7")
'''

ALPHA_OWN = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

OWN_CALLS = []


@skill("echo")
def echo(*, text: str, ctx: SkillContext) -> dict:
    OWN_CALLS.append(ctx.tenant.tenant_id)
    return {"text": text, "impl": "alpha-own", "tenant": ctx.tenant.tenant_id}


@skill("alpha_only")
def alpha_only(*, text: str, ctx: SkillContext) -> dict:
    OWN_CALLS.append(ctx.tenant.tenant_id)
    return {"secret": "alpha's own data"}
'''


def _workflow(name: str, steps: str, output: str = "{}") -> str:
    return (f"apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {{name: {name}}}\n"
            f"input:\n  text: {{type: string}}\nsteps:\n{steps}  - return: {output}\n")


GUARDED = _workflow("guarded", """\
  - id: g
    skill: guarded
    with: {text: "{{ input.text }}"}
    on_error: continue
""", '{ran: "{{ steps.g.ran }}"}')

LOOKUP = _workflow("lookup", """\
  - id: look
    tool: notes.lookup
    with: {key: "{{ input.text }}"}
""", '{tenant: "{{ steps.look.tenant }}"}')

ALPHA_ONLY = _workflow("secret", """\
  - id: s
    skill: alpha_only
    with: {text: "{{ input.text }}"}
""", '{secret: "{{ steps.s.secret }}"}')

RETRIED = _workflow("retried", """\
  - id: f
    skill: flaky
    with: {text: "{{ input.text }}"}
    retry: {attempts: 3, backoff_s: 0}
""", '{attempt: "{{ steps.f.attempt }}"}')

GIVES_UP = _workflow("gives_up", """\
  - id: f
    skill: flaky
    with: {text: "{{ input.text }}"}
    retry: {attempts: 2, backoff_s: 0}
""")

NOT_RETRIED = _workflow("not_retried", """\
  - id: b
    skill: broken
    with: {text: "{{ input.text }}"}
    retry: {attempts: 3, backoff_s: 0}
""")

TIMES_OUT = _workflow("times_out", """\
  - id: s
    skill: slow
    with: {text: "{{ input.text }}"}
    timeout_s: 0.05
    on_error: fallback
  - id: after_slow
    skill: guarded
    with: {text: "not on the error path"}
  - id: fallback
    set: {reply: fell back}
""", '{reply: "{{ steps.fallback.reply }}"}')

FAILS = _workflow("fails", """\
  - id: b
    skill: broken
    with: {text: "{{ input.text }}"}
  - id: after
    skill: guarded
    with: {text: "after the failure"}
""")

CONTINUES = _workflow("continues", """\
  - id: b
    skill: broken
    with: {text: "{{ input.text }}"}
    on_error: continue
  - id: after
    skill: guarded
    with: {text: "after the failure"}
""", '{ran: "{{ steps.after.ran }}"}')

AGENT = _workflow("agent", """\
  - id: agent
    llm:
      prompt: "Record {{ input.text }}"
      tools: [probe.record]
""", '{reply: "{{ steps.agent.text }}"}')

# The scripted model asks for the tool on its first turn and answers after the tool result.
FIXTURES = """\
responses:
  - step: agent
    after_tool: false
    tool_calls: [{name: probe.record, input: {text: from-the-model}}]
  - step: agent
    after_tool: true
    text: "[{model}] recorded"
  - step: answer
    text: "[{model}] answer"
default: "[{model}] default"
"""

WORKFLOWS = {"agent": AGENT, "guarded": GUARDED, "lookup": LOOKUP, "secret": ALPHA_ONLY, "retried": RETRIED,
             "gives_up": GIVES_UP, "not_retried": NOT_RETRIED, "times_out": TIMES_OUT, "fails": FAILS,
             "continues": CONTINUES}

TENANTS = {
    "alpha": tenant_yaml("alpha", "basic"),
    "beta": tenant_yaml("beta", "premium", "entitlements: {tools: ['notes.*', 'probe.*']}\n"),
    "gamma": tenant_yaml("gamma", "basic", "entitlements: {skills: ['other*']}\n"),
}


@pytest.fixture
def project(make_project) -> Path:
    files = {"skills/probes.py": PROBES, "tenants/alpha/skills/own.py": ALPHA_OWN, "fixtures/scripted.yaml": FIXTURES}
    files.update({f"workflows/{name}.yaml": text for name, text in WORKFLOWS.items()})
    return make_project(files, tenants=TENANTS)


@pytest.fixture
def engine(project: Path) -> Engine:
    return Engine(load_project(project))


def _globals(engine: Engine, skill: str, tenant: str) -> dict[str, Any]:
    definition = engine.project.registry.resolve("skill", skill, tenant)
    assert definition is not None and definition.fn is not None
    return definition.fn.__globals__


# -- auth -------------------------------------------------------------------------------------

async def test_a_tenant_not_entitled_to_a_skill_is_refused_before_anything_runs(engine: Engine) -> None:
    calls = _globals(engine, "guarded", "gamma")["CALLS"]
    # Refused when the tenant's graph is bound, so before the run starts; on_error cannot route around it.
    with pytest.raises(CompileError) as caught:
        await engine.run("guarded", engine.dev_context("gamma", "u1", "s1"), {"text": "gamma tries"})
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.col) == ("workflows/guarded.yaml", 8, 12)
    assert problem.message == "tenant 'gamma' is not entitled to skill 'guarded'"
    assert calls == []
    # The same workflow runs the skill for an entitled tenant.
    result = await engine.run("guarded", engine.dev_context("alpha", "u1", "s1"), {"text": "alpha asks"})
    assert result.output == {"ran": True}
    assert calls == [("alpha", "alpha asks")]


async def test_auth_bridge_refuses_a_tool_the_model_asks_for_before_it_runs(engine: Engine) -> None:
    """The model can name any tool: the auth bridge decides at run time, closed by default."""
    calls = _globals(engine, "guarded", "alpha")["CALLS"]
    beta = await engine.run("agent", engine.dev_context("beta", "u1", "s1"), {"text": "x"})
    assert beta.output == {"reply": "[large-v1] recorded"}
    assert calls == [("beta", "tool:from-the-model")]
    # alpha has no tool entitlements: same graph, refused by the bridge, the tool never runs.
    with pytest.raises(AuthError) as caught:
        await engine.run("agent", engine.dev_context("alpha", "u1", "s1"), {"text": "x"})
    assert str(caught.value) == "tenant 'alpha' is not entitled to tool 'probe.record'"
    assert calls == [("beta", "tool:from-the-model")]
    assert engine.graph_count() == 1


async def test_tool_steps_are_closed_unless_the_tenant_is_entitled(engine: Engine) -> None:
    beta = await engine.run("lookup", engine.dev_context("beta", "u1", "s1"), {"text": "k1"})
    assert beta.output == {"tenant": "beta"}
    with pytest.raises(CompileError) as caught:
        await engine.run("lookup", engine.dev_context("alpha", "u1", "s1"), {"text": "k1"})
    [problem] = caught.value.problems
    assert problem.message == "tenant 'alpha' is not entitled to tool 'notes.lookup'"


async def test_a_tenants_own_implementation_serves_only_that_tenant_on_a_shared_graph(engine: Engine) -> None:
    own_calls = _globals(engine, "echo", "alpha")["OWN_CALLS"]
    alpha = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    beta = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "hi"})
    assert alpha.steps["first"] == {"text": "hi", "impl": "alpha-own", "tenant": "alpha"}
    assert beta.steps["first"] == {"text": "hi", "impl": "shared", "tenant": "beta"}
    assert (alpha.output, beta.output) == ({"reply": "[small-v1] answer"}, {"reply": "[large-v1] answer"})
    assert engine.compile("hello", "alpha").graph is engine.compile("hello", "beta").graph
    assert engine.graph_count() == 1
    assert own_calls == ["alpha"]


async def test_beta_cannot_reach_alphas_own_implementation(engine: Engine) -> None:
    own_calls = _globals(engine, "alpha_only", "alpha")["OWN_CALLS"]
    alpha = await engine.run("secret", engine.dev_context("alpha", "u1", "s1"), {"text": "x"})
    assert alpha.output == {"secret": "alpha's own data"}
    # The graph alpha compiled is shared by structure, but beta's bindings are checked on its own.
    with pytest.raises(CompileError) as caught:
        await engine.run("secret", engine.dev_context("beta", "u1", "s1"), {"text": "x"})
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("workflows/secret.yaml", 8)
    assert problem.message == "unknown skill 'alpha_only' for tenant 'beta'"
    assert own_calls == ["alpha"]


async def test_auth_bridge_never_runs_another_tenants_implementation(engine: Engine) -> None:
    """Defense in depth: even a call that arrives resolved to alpha's code is refused for beta."""
    alpha_impl = engine.project.registry.resolve("skill", "echo", "alpha")
    assert alpha_impl is not None and alpha_impl.scope == "alpha"
    reached: list[SkillCall] = []

    async def innermost(call: SkillCall) -> Any:
        reached.append(call)
        return {"ran": True}

    chain = build_chain(engine.project.bridges, innermost)
    call = SkillCall(kind="skill", name="echo", step="first", workflow="hello",
                     ctx=engine.dev_context("beta", "u1", "s1"), inputs={"text": "x"},
                     entitled=lambda ctx, kind, name: True, implementation=alpha_impl)
    with pytest.raises(AuthError) as caught:
        await chain(call)
    assert str(caught.value) == "skill 'echo' resolved outside tenant 'beta'"
    own = SkillCall(kind="skill", name="echo", step="first", workflow="hello",
                    ctx=engine.dev_context("alpha", "u1", "s1"), inputs={"text": "x"},
                    entitled=lambda ctx, kind, name: True, implementation=alpha_impl)
    assert await chain(own) == {"ran": True}
    assert [c.ctx.tenant_id for c in reached if c.ctx] == ["alpha"]


# -- logging ----------------------------------------------------------------------------------

@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    captured = capture()
    try:
        yield captured.exporter
    finally:
        activate(None)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    log = logging.getLogger(LOGGER_NAME)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield stream
    log.removeHandler(handler)
    log.setLevel(level)


def _skill_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith(("skill ", "execute_tool "))]


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_one_span_per_skill_call_tagged_with_tenant_workflow_and_step(
        engine: Engine, spans: InMemorySpanExporter) -> None:
    await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "alpha private words"})
    await engine.run("hello", engine.dev_context("beta", "u2", "s2"), {"text": "beta private words"})
    found = _skill_spans(spans)
    assert [s.name for s in found] == ["skill echo", "skill echo"]
    common = {"gen_ai.workflow.name": "hello", "tenantflow.step": "first", "tenantflow.kind": "skill",
              "tenantflow.skill": "echo", "tenantflow.skill.version": "1", "tenantflow.attempts": 1}
    assert dict(found[0].attributes or {}) == {**common, "tenant.id": "alpha", "tenant.tier": "basic",
                                                "tenantflow.skill.scope": "alpha", "gen_ai.conversation.id": "s1",
                                                "user.hash": user_hash("alpha", "u1")}
    assert dict(found[1].attributes or {}) == {**common, "tenant.id": "beta", "tenant.tier": "premium",
                                                "tenantflow.skill.scope": "shared", "gen_ai.conversation.id": "s2",
                                                "user.hash": user_hash("beta", "u2")}
    assert "private words" not in repr([dict(s.attributes or {}) for s in found])


async def test_one_json_log_line_per_skill_call_without_inputs(engine: Engine, log_lines: io.StringIO) -> None:
    await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "alpha private words"})
    await engine.run("hello", engine.dev_context("beta", "u2", "s2"), {"text": "beta private words"})
    assert "private words" not in log_lines.getvalue()
    records = [r for r in _records(log_lines) if r["event"].startswith("skill.")]
    assert [(r["event"], r["tenant_id"], r["tenant_tier"], r["gen_ai_workflow_name"], r["tenantflow_step"],
             r["tenantflow_skill"], r["tenantflow_skill_scope"], r["attempts"], r["level"]) for r in records] == [
        ("skill.called", "alpha", "basic", "hello", "first", "echo", "alpha", 1, "info"),
        ("skill.called", "beta", "premium", "hello", "first", "echo", "shared", 1, "info"),
    ]
    assert all(r["logger"] == "tenantflow" and isinstance(r["duration_ms"], float) for r in records)


# -- errors -----------------------------------------------------------------------------------

async def test_transient_failures_are_retried_until_success(
        engine: Engine, spans: InMemorySpanExporter, log_lines: io.StringIO) -> None:
    for tenant in ("alpha", "beta"):
        result = await engine.run("retried", engine.dev_context(tenant, "u1", "s1"), {"text": "x"})
        assert result.output == {"attempt": 3}
        assert result.steps["f"] == {"attempt": 3, "tenant": tenant}
        assert result.errors == []
    assert [dict(s.attributes or {})["tenantflow.attempts"] for s in _skill_spans(spans)] == [3, 3]
    assert [(r["event"], r["tenant_id"], r["attempts"]) for r in _records(log_lines)] == [
        ("skill.called", "alpha", 3), ("skill.called", "beta", 3)]


async def test_retry_gives_up_after_its_attempts(engine: Engine) -> None:
    with pytest.raises(RunError) as caught:
        await engine.run("gives_up", engine.dev_context("alpha", "u1", "s1"), {"text": "x"})
    failure = caught.value.failure
    assert (failure.step, failure.kind, failure.message, failure.details) == (
        "f", "ConnectionError", "ConnectionError: upstream reset by peer (at skills/probes.py:27 in flaky)",
        {"attempts": 2})


async def test_mistakes_are_not_retried(engine: Engine) -> None:
    with pytest.raises(RunError) as caught:
        await engine.run("not_retried", engine.dev_context("alpha", "u1", "s1"), {"text": "x"})
    assert caught.value.failure.details == {"attempts": 1}
    assert caught.value.failure.kind == "ValueError"


async def test_a_timeout_takes_the_on_error_path_with_a_clean_record(engine: Engine) -> None:
    calls = _globals(engine, "guarded", "alpha")["CALLS"]
    for tenant in ("alpha", "beta"):
        result = await engine.run("times_out", engine.dev_context(tenant, "u1", "s1"), {"text": "x"})
        assert result.output == {"reply": "fell back"}
        assert "after_slow" not in result.steps
        assert result.steps["s"] == {"error": "timed out after 0.05 s"}
        [record] = result.errors
        duration = record.pop("duration_ms")
        assert record == {"step": "s", "kind": "skill", "error": "TimeoutError",
                          "message": "timed out after 0.05 s", "attempts": 1}
        assert 50 <= duration < 2000
        assert "Traceback" not in json.dumps(result.errors) and "File \"" not in json.dumps(result.errors)
    assert calls == []


async def test_a_failing_step_without_on_error_fails_the_run_naming_the_step(engine: Engine) -> None:
    calls = _globals(engine, "guarded", "alpha")["CALLS"]
    with pytest.raises(RunError) as caught:
        await engine.run("fails", engine.dev_context("alpha", "u1", "s1"), {"text": "x"})
    assert caught.value.failure.step == "b"
    assert caught.value.failure.kind == "ValueError"
    # The skill's own file and line, from the project's skills/ folder on.
    assert str(caught.value) == "step 'b' failed: ValueError: cannot parse record 7 (at skills/probes.py:39 in broken)"
    assert "Traceback" not in str(caught.value)
    assert calls == []


async def test_on_error_continue_goes_on_to_the_next_step(engine: Engine) -> None:
    calls = _globals(engine, "guarded", "alpha")["CALLS"]
    result = await engine.run("continues", engine.dev_context("beta", "u1", "s1"), {"text": "x"})
    assert result.output == {"ran": True}
    assert result.steps["b"] == {"error": "ValueError: cannot parse record 7 (at skills/probes.py:39 in broken)"}
    assert [(e["step"], e["error"], e["attempts"]) for e in result.errors] == [("b", "ValueError", 1)]
    assert calls == [("beta", "after the failure")]
