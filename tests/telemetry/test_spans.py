"""Spans and metrics in the OpenTelemetry GenAI conventions, for two tenants on different tiers, into memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.errors import PolicyDenied
from engine.project import load_project
from engine.telemetry.content import WITHHELD
from engine.telemetry.instruments import activate
from engine.telemetry.labels import TenantLabels
from engine.telemetry.users import user_hash
from tests.conftest import tenant_yaml
from tests.telemetry import project
from tests.telemetry.support import Captured, capture, captured

__all__ = ["captured"]

EMAIL, SSN = "jane.roe@example.org", "123-45-6789"
TEXT = f"Refund for {EMAIL}, SSN {SSN}, please"


@pytest.fixture
def engine(make_project) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(load_project(project.make(make_project)))


async def _both(engine: Engine) -> None:
    await engine.run("obs", engine.dev_context("alpha", "alice", "s-a"), {"text": TEXT})
    await engine.run("obs", engine.dev_context("beta", "bob", "s-b"), {"text": TEXT})


def _attrs(span) -> dict:  # type: ignore[no-untyped-def]
    return dict(span.attributes or {})


async def test_every_span_of_a_run_for_two_tenants_on_two_tiers(engine: Engine, captured: Captured) -> None:
    await _both(engine)
    for tenant, tier, user, session, model in (("alpha", "basic", "alice", "s-a", "small-v1"),
                                                ("beta", "premium", "bob", "s-b", "large-v1")):
        spans = [s for s in captured.spans() if _attrs(s)["tenant.id"] == tenant]
        names = [s.name for s in spans]
        assert names.count("invoke_agent obs") == 1
        assert {"step first", "step look", "step answer", "step check", "skill echo",
                "execute_tool notes.lookup", f"chat {model}", "chat small-v1"} <= set(names)
        # Every span: the tenant, its tier, the hashed user and the conversation; never the raw user id.
        for span in spans:
            attrs = _attrs(span)
            assert (attrs["tenant.id"], attrs["tenant.tier"], attrs["user.hash"], attrs["gen_ai.conversation.id"]) \
                == (tenant, tier, user_hash(tenant, user), session), span.name
            assert user not in repr(attrs)
        [run] = [s for s in spans if s.name == "invoke_agent obs"]
        assert {k: _attrs(run)[k] for k in ("gen_ai.operation.name", "gen_ai.agent.name", "tenantflow.outcome")} \
            == {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "obs", "tenantflow.outcome": "completed"}
        chat = next(s for s in spans if s.name == f"chat {model}")
        attrs = _attrs(chat)
        assert attrs["gen_ai.operation.name"] == "chat"
        assert attrs["gen_ai.provider.name"] == "tenantflow.scripted"
        assert attrs["gen_ai.request.model"] == attrs["gen_ai.response.model"] == model
        assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
        tool = next(s for s in spans if s.name == "execute_tool notes.lookup")
        assert (_attrs(tool)["gen_ai.operation.name"], _attrs(tool)["gen_ai.tool.name"]) == (
            "execute_tool", "notes.lookup")
        # Parenthood: steps under the run, the model call and the tool call under their steps.
        by_id = {s.context.span_id: s for s in spans}
        step_answer = next(s for s in spans if s.name == "step answer")
        assert by_id[step_answer.parent.span_id] is run
        assert by_id[chat.parent.span_id].name == "step answer"
        assert by_id[tool.parent.span_id].name == "step look"
        assert len({s.context.trace_id for s in spans}) == 1


async def test_the_genai_metrics_and_counters_by_tenant_and_tier(engine: Engine, captured: Captured) -> None:
    await _both(engine)
    tokens = captured.points("gen_ai.client.token.usage")
    keys = {(a["tenant.id"], a["tenant.tier"], a["gen_ai.request.model"], a["gen_ai.token.type"],
             a["gen_ai.operation.name"], a["gen_ai.provider.name"]) for a, _ in tokens}
    assert keys == {(t, tier, m, kind, "chat", "tenantflow.scripted")
                    for t, tier, models in (("alpha", "basic", ("small-v1",)),
                                            ("beta", "premium", ("large-v1", "small-v1")))
                    for m in models for kind in ("input", "output")}
    durations = captured.points("gen_ai.client.operation.duration")
    assert sum(p.count for _, p in durations) == 4  # four model calls
    runs = {(a["tenant.id"], a["tenant.tier"], a["tenantflow.outcome"]): p.value
            for a, p in captured.points("tenantflow.runs")}
    assert runs == {("alpha", "basic", "completed"): 1, ("beta", "premium", "completed"): 1}
    tools = {(a["tenant.id"], a["gen_ai.tool.name"]): p.value for a, p in captured.points("tenantflow.tool.calls")}
    assert tools == {("alpha", "notes.lookup"): 1, ("beta", "notes.lookup"): 1}
    # The guardrail counters follow the active telemetry, tenant-labelled the same way.
    checks = {(a["tenant"], a["stage"]) for a, _ in captured.points("tenantflow.guardrail.checks")}
    assert checks == {(t, s) for t in ("alpha", "beta") for s in ("input", "output")}


async def test_a_policy_denial_is_counted_for_the_tenant_that_tried(engine: Engine, captured: Captured) -> None:
    with pytest.raises(PolicyDenied):
        await engine.run("secret", engine.dev_context("alpha", "alice", "s-a"), {"text": "k"})
    await engine.run("secret", engine.dev_context("beta", "bob", "s-b"), {"text": "k"})
    denials = {(a["tenant.id"], a["policy.mode"]): p.value for a, p in captured.points("tenantflow.policy.denials")}
    assert denials == {("alpha", "enforce"): 1}
    [run] = [s for s in captured.spans("invoke_agent") if _attrs(s)["tenant.id"] == "alpha"]
    assert _attrs(run)["tenantflow.outcome"] == "failed" and _attrs(run)["error.type"] == "AccessDenied"


async def test_no_prompt_or_completion_text_without_opting_in(engine: Engine, captured: Captured) -> None:
    await _both(engine)
    dump = repr([(s.name, _attrs(s), [e.attributes for e in s.events]) for s in captured.spans()])
    assert "gen_ai.input.messages" not in dump and "gen_ai.output.messages" not in dump
    for text in ("Answer:", "Check:", "write to", "Refund", "[redacted"):
        assert text not in dump


async def test_a_tenant_that_opts_in_gets_its_texts_through_its_output_rules(make_project, captured: Captured) -> None:
    opted = "telemetry: {capture_content: true}\n"
    tenants = {"alpha": tenant_yaml("alpha", "basic", project.TOOLS + opted),
               # Opted in, but its profile forbids texts in traces: none for it.
               "beta": tenant_yaml("beta", "premium", project.TOOLS + opted + "guardrails: {profile: hipaa}\n")}
    engine = Engine(load_project(project.make(make_project, tenants)))
    assert engine.settings("alpha").capture_content and not engine.settings("beta").capture_content
    await engine.run("obs", engine.dev_context("alpha", "alice", "s-a"), {"text": TEXT})
    await engine.run("obs", engine.dev_context("beta", "bob", "s-b"), {"text": "where is my refund"})
    [chat] = [s for s in captured.spans("chat small-v1") if _attrs(s)["tenant.id"] == "alpha"
              and "Answer:" in _attrs(s).get("gen_ai.input.messages", "")]
    prompt = json.loads(_attrs(chat)["gen_ai.input.messages"])[0]["parts"][0]["content"]
    completion = json.loads(_attrs(chat)["gen_ai.output.messages"])[0]["parts"][0]["content"]
    assert prompt.startswith("Answer: Refund for ") and EMAIL not in prompt and SSN not in prompt
    assert completion.startswith("[small-v1] write to ") and "ops.desk@example.com" not in completion
    beta = [s for s in captured.spans("chat") if _attrs(s)["tenant.id"] == "beta"]
    assert beta and not any("gen_ai.input.messages" in _attrs(s) for s in beta)


async def test_a_blocked_text_is_withheld_from_the_span(make_project, captured: Captured) -> None:
    fixtures = project.FIXTURES.replace("write to ops.desk@example.com", "key AKIAIOSFODNN7EXAMPLE")
    tenants = {"alpha": tenant_yaml("alpha", "basic", project.TOOLS + "telemetry: {capture_content: true}\n")}
    engine = Engine(load_project(project.make(make_project, tenants, {"fixtures/scripted.yaml": fixtures})))
    await engine.run("obs", engine.dev_context("alpha", "alice", "s-a"), {"text": "hi"})
    outputs = [json.loads(_attrs(s)["gen_ai.output.messages"])[0]["parts"][0]["content"]
               for s in captured.spans("chat")]
    assert WITHHELD in outputs and not any("AKIA" in o for o in outputs)


async def test_no_token_or_raw_pii_anywhere_in_spans(make_project, captured: Captured) -> None:
    """A scan of every span's name, attributes and events after runs whose inputs carry PII and a credential,
    for a tenant that opted in to texts and one that did not."""
    jwt = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFscGhhIn0."
           "c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1ub3QtcmVhbA")
    tenants = {"alpha": tenant_yaml("alpha", "basic", project.TOOLS + "telemetry: {capture_content: true}\n"),
               "beta": tenant_yaml("beta", "premium", project.TOOLS)}
    engine = Engine(load_project(project.make(make_project, tenants)))
    for tenant, user in (("alpha", "alice_smith_77"), ("beta", "bob_jones_88")):
        ctx = engine.dev_context(tenant, user, "s1")
        await engine.run("obs", ctx, {"text": f"{TEXT} token {jwt} card 4111 1111 1111 1111"})
        await engine.run("obs", ctx, {"text": f"call me at +1 415 555 0100, {EMAIL}"})
    dump = repr([(s.name, _attrs(s), [(e.name, dict(e.attributes or {})) for e in s.events], dict(s.resource.attributes))
                 for s in captured.spans()])
    assert "invoke_agent obs" in dump and "gen_ai.input.messages" in dump  # the scan looked at real spans
    for raw in (EMAIL, SSN, "4111 1111 1111 1111", "415 555 0100", jwt, jwt.split(".")[2], "alice_smith_77",
                "bob_jones_88", "ops.desk@example.com"):
        assert raw not in dump, raw


async def test_tenant_labels_are_bounded_and_tiers_stay_exact(make_project) -> None:
    tenants = {f"t{i}": tenant_yaml(f"t{i}", "basic", project.TOOLS) for i in range(5)}
    engine = Engine(load_project(project.make(make_project, tenants)))
    found = capture(TenantLabels(always=["t4"], max_distinct=2))
    try:
        for i in range(5):
            await engine.run("obs", engine.dev_context(f"t{i}", "u", "s"), {"text": "hi"})
    finally:
        activate(None)
    runs = {(a["tenant.id"], a["tenant.tier"]): p.value for a, p in found.points("tenantflow.runs")}
    assert runs == {("t0", "basic"): 1, ("t1", "basic"): 1, ("_other", "basic"): 2, ("t4", "basic"): 1}
    # Spans keep the real tenant: the bound is for metrics only.
    assert sorted(_attrs(s)["tenant.id"] for s in found.spans("invoke_agent")) == [f"t{i}" for i in range(5)]


def test_telemetry_off_creates_nothing(tmp_path: Path) -> None:
    from engine.spec.project import TelemetrySpec
    from engine.telemetry.exporters import install
    from engine.telemetry.instruments import active

    assert install(TelemetrySpec(), {}) is None and active() is None


async def test_a_streamed_run_has_the_same_spans_under_its_callers_span(engine: Engine, captured: Captured) -> None:
    from opentelemetry import trace

    with captured.telemetry.tracer.start_as_current_span("client request") as client:
        events = engine.stream("obs", engine.dev_context("beta", "bob", "s-b"), {"text": "hi"})
    async for _ in events:  # iterated after the caller's span ended, as a server streams a response
        pass
    [run] = captured.spans("invoke_agent obs")
    assert _attrs(run)["tenantflow.run.mode"] == "stream" and _attrs(run)["tenantflow.outcome"] == "completed"
    assert run.parent is not None and run.parent.span_id == client.get_span_context().span_id
    assert trace.get_current_span() is trace.INVALID_SPAN
    steps = [s for s in captured.spans("step ") if s.parent is not None and s.parent.span_id == run.context.span_id]
    assert {s.name for s in steps} >= {"step first", "step look", "step answer", "step check"}


async def test_metrics_without_traces_count_the_same_and_start_no_span(engine: Engine) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.trace import NoOpTracerProvider

    from engine.telemetry.instruments import Telemetry

    reader = InMemoryMetricReader()
    telemetry = Telemetry(NoOpTracerProvider(), MeterProvider(metric_readers=[reader]))
    activate(telemetry)
    try:
        await _both(engine)
    finally:
        activate(None)
    assert not telemetry.tracing
    found = Captured(None, reader, telemetry)  # type: ignore[arg-type]  (no span exporter: no spans)
    tools = {(a["tenant.id"], a["gen_ai.tool.name"]): p.value for a, p in found.points("tenantflow.tool.calls")}
    assert tools == {("alpha", "notes.lookup"): 1, ("beta", "notes.lookup"): 1}
    runs = {(a["tenant.id"], a["tenant.tier"]): p.value for a, p in found.points("tenantflow.runs")}
    assert runs == {("alpha", "basic"): 1, ("beta", "premium"): 1}
    assert sum(p.count for _, p in found.points("gen_ai.client.operation.duration")) == 4
