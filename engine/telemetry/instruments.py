"""The engine's spans and metrics, in the OpenTelemetry GenAI conventions, tagged with the tenant.

One :class:`Telemetry` holds the tracer and every instrument; :func:`active`
returns it while telemetry is on and None while it is off, so an
instrumented place costs one call and a comparison when nothing is
exported (docs/benchmarks.md, "Telemetry"). The places are few: the run
(:mod:`engine.run.runner`), each step (the node wrapper of
:mod:`engine.compile.emit`), each model call (:mod:`engine.kinds.llm`) and
each skill or tool call (:mod:`engine.run.dispatch`).

Every span carries ``tenant.id``, ``tenant.tier`` and ``user.hash`` (a keyed
hash of tenant and user id: the raw user id, a token or an input never goes
on a span). Prompt and completion text only for a tenant that opted in
(:mod:`engine.telemetry.content`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode

from engine.context import TenantContext
from engine.telemetry.labels import TenantLabels
from engine.telemetry.metrics import GuardMetrics, use_guard_metrics
from engine.telemetry.users import current_key, user_hash

TRACER_NAME = METER_NAME = "tenantflow"

#: Provider names of the conventions (gen_ai.provider.name) for the engine's providers; others keep their own.
PROVIDER_NAMES = {"bedrock": "aws.bedrock", "scripted": "tenantflow.scripted"}

#: Cached attribute sets past this many are dropped (one entry per tenant, user and session seen).
CACHE_LIMIT = 4096

# Bucket boundaries the GenAI conventions advise for the two histograms.
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


@dataclass
class ChatCall:
    """One model call being observed: its span and when it started."""

    span: Span
    attributes: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)


class Telemetry:
    """The tracer and instruments of one tracer provider and one meter provider."""

    def __init__(self, tracer_provider: trace.TracerProvider, meter_provider: metrics.MeterProvider, *,
                 labels: TenantLabels | None = None):
        self.tracer = tracer_provider.get_tracer(TRACER_NAME)
        # Metrics on, traces off: no span is started at all (a no-op span still costs its context switches).
        self.tracing = not isinstance(tracer_provider, trace.NoOpTracerProvider)
        self.labels = labels or TenantLabels()
        # What every span and metric of one tenant context carries, built once: attribute dicts are copied by
        # the SDK anyway, and hashing the user, merging dicts and bounding labels per span added up
        # (docs/benchmarks.md, "Telemetry: off and on").
        self._span_base: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._metric_base: dict[tuple[str, str], dict[str, Any]] = {}
        meter = meter_provider.get_meter(METER_NAME)
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Tokens used per model call, by token type",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="Duration of model calls",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        self.cost = meter.create_counter("tenantflow.cost", unit="USD",
                                         description="Model cost from the catalog's prices, by tenant and model")
        self.runs = meter.create_counter("tenantflow.runs", unit="{run}", description="Runs, by outcome")
        self.tool_calls = meter.create_counter("tenantflow.tool.calls", unit="{call}", description="Tool calls")
        self.policy_denials = meter.create_counter("tenantflow.policy.denials", unit="{decision}",
                                                   description="Calls policy denied (or would deny, log_only)")
        self.quota_refusals = meter.create_counter("tenantflow.quota.refusals", unit="{request}",
                                                   description="Requests and model calls refused for a limit")
        self.budget_warnings = meter.create_counter("tenantflow.budget.warnings", unit="{warning}",
                                                    description="Tenants passing their budget's warning line")
        self.guard = GuardMetrics(meter_provider, self.labels)

    # -- attributes ---------------------------------------------------------------------------------
    def tenant_attributes(self, ctx: TenantContext) -> dict[str, Any]:
        """What every span carries: the tenant, its tier, the hashed user and the conversation (session).

        The same dict for the same context: callers merge it into a new one, never change it.
        """
        key = (current_key(), ctx.tenant_id, ctx.tier, ctx.user_id, ctx.session_id)
        found = self._span_base.get(key)
        if found is None:
            if len(self._span_base) >= CACHE_LIMIT:
                self._span_base.clear()
            found = self._span_base[key] = {
                "tenant.id": ctx.tenant_id, "tenant.tier": ctx.tier, "user.hash": user_hash(ctx.tenant_id, ctx.user_id),
                "gen_ai.conversation.id": ctx.session_id}
        return found

    def metric_attributes(self, ctx: TenantContext, **more: Any) -> dict[str, Any]:
        key = (ctx.tenant_id, ctx.tier)
        base = self._metric_base.get(key)
        if base is None:
            if len(self._metric_base) >= CACHE_LIMIT:
                self._metric_base.clear()
            base = self._metric_base[key] = {"tenant.id": self.labels.label(ctx.tenant_id), "tenant.tier": ctx.tier}
        return {**base, **more} if more else base

    # -- runs and steps -----------------------------------------------------------------------------
    def start_run(self, ctx: TenantContext, workflow: str, run_id: str, mode: str, parent: Any = None) -> Span:
        """``invoke_agent {workflow}``: one part of a run, under ``parent`` (a caller's trace) or the current span."""
        if not self.tracing:
            return INVALID_SPAN
        attributes = {**self.tenant_attributes(ctx), "gen_ai.operation.name": "invoke_agent",
                      "gen_ai.agent.name": workflow, "gen_ai.workflow.name": workflow,
                      "tenantflow.run.id": run_id, "tenantflow.run.mode": mode}
        return self.tracer.start_span(f"invoke_agent {workflow}", context=parent, kind=SpanKind.INTERNAL,
                                      attributes=attributes)

    def run_ended(self, span: Span, ctx: TenantContext, workflow: str, outcome: str,
                  usage: list[Mapping[str, Any]]) -> None:
        """The part's totals on its span (the model calls it made), and one count of its outcome."""
        span.set_attributes({
            "tenantflow.outcome": outcome,
            "gen_ai.usage.input_tokens": sum(int(u["input_tokens"]) for u in usage),
            "gen_ai.usage.output_tokens": sum(int(u["output_tokens"]) for u in usage),
            "tenantflow.cost_usd": round(sum(float(u["cost_usd"]) for u in usage), 8)})
        span.end()
        self.runs.add(1, self.metric_attributes(ctx, **{"gen_ai.workflow.name": workflow,
                                                        "tenantflow.outcome": outcome}))

    def run_failed(self, span: Span, ctx: TenantContext, workflow: str, outcome: str, exc: BaseException) -> None:
        _failed(span, exc)
        span.set_attribute("tenantflow.outcome", outcome)
        span.end()
        self.runs.add(1, self.metric_attributes(ctx, **{"gen_ai.workflow.name": workflow,
                                                        "tenantflow.outcome": outcome}))

    def step_span(self, ctx: TenantContext, step: str, kind: str) -> AbstractContextManager[Span]:
        if not self.tracing:
            return nullcontext(INVALID_SPAN)
        return _CurrentSpan(self.tracer, f"step {step}",
                            {**self.tenant_attributes(ctx), "tenantflow.step": step, "tenantflow.step.kind": kind})

    # -- model calls --------------------------------------------------------------------------------
    def chat_started(self, ctx: TenantContext, provider: str, model: str, alias: str) -> ChatCall:
        """``chat {model}``: started before the call (retries included), ended by :meth:`chat_ended`."""
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider_name(provider),
                      "gen_ai.request.model": model}
        span = self.tracer.start_span(f"chat {model}", kind=SpanKind.CLIENT, attributes={
            **self.tenant_attributes(ctx), **attributes, "tenantflow.model.alias": alias}) if self.tracing \
            else INVALID_SPAN
        return ChatCall(span, attributes)

    def chat_ended(self, call: ChatCall, ctx: TenantContext, record: Mapping[str, Any],
                   content: tuple[str, str] | None = None) -> None:
        """Usage and cost on the span and the metrics; ``content`` (prompt, completion) only if allowed."""
        span, seconds = call.span, time.perf_counter() - call.started
        span.set_attributes({"gen_ai.response.model": record["model"],
                             "gen_ai.usage.input_tokens": int(record["input_tokens"]),
                             "gen_ai.usage.output_tokens": int(record["output_tokens"]),
                             "tenantflow.cost_usd": float(record["cost_usd"])})
        if content is not None:
            prompt, completion = content
            span.set_attribute("gen_ai.input.messages", json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]))
            span.set_attribute("gen_ai.output.messages", json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": completion}]}]))
        span.end()
        base = self.metric_attributes(ctx, **call.attributes, **{"gen_ai.response.model": record["model"]})
        self.token_usage.record(int(record["input_tokens"]), {**base, "gen_ai.token.type": "input"})
        self.token_usage.record(int(record["output_tokens"]), {**base, "gen_ai.token.type": "output"})
        self.duration.record(seconds, base)
        self.cost.add(float(record["cost_usd"]), base)

    def chat_failed(self, call: ChatCall, ctx: TenantContext, exc: BaseException) -> None:
        _failed(call.span, exc)
        call.span.end()
        self.duration.record(time.perf_counter() - call.started,
                             self.metric_attributes(ctx, **call.attributes, **{"error.type": exc.__class__.__name__}))

    # -- embeddings ---------------------------------------------------------------------------------
    def embeddings_span(self, tenant_id: str, provider: str, model: str, inputs: int) -> AbstractContextManager[Span]:
        """``embeddings {model}`` around one embedding call of a tenant's knowledge index (a search or an ingest).

        It runs inside a step (``retrieve``, ``recall``, ``remember``), whose span carries the tier, the user
        hash and the conversation: those are copied onto it; an ingest from the command line has no user.
        """
        if not self.tracing:
            return nullcontext(INVALID_SPAN)
        parent = getattr(trace.get_current_span(), "attributes", None) or {}
        attributes = {key: parent[key] for key in ("tenant.tier", "user.hash", "gen_ai.conversation.id")
                      if key in parent}
        attributes |= {"tenant.id": tenant_id, "gen_ai.operation.name": "embeddings",
                       "gen_ai.provider.name": provider_name(provider), "gen_ai.request.model": model,
                       "tenantflow.embeddings.inputs": inputs}
        return _CurrentSpan(self.tracer, f"embeddings {model}", attributes)

    # -- skill and tool calls -----------------------------------------------------------------------
    def tool_span(self, ctx: TenantContext, kind: str, name: str, workflow: str, step: str,
                  extra: Mapping[str, Any]) -> AbstractContextManager[Span]:
        """``execute_tool {tool}`` (``skill {name}`` for a skill), counted per tenant for tools."""
        if kind == "tool":
            self.tool_calls.add(1, self.metric_attributes(ctx, **{"gen_ai.tool.name": name}))
        if not self.tracing:
            return nullcontext(INVALID_SPAN)
        attributes = {**self.tenant_attributes(ctx), "gen_ai.workflow.name": workflow, "tenantflow.step": step,
                      "tenantflow.kind": kind, "tenantflow.skill": name, **extra}
        if kind == "tool":
            attributes |= {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                           "gen_ai.tool.type": "function"}
        return _CurrentSpan(self.tracer, f"{'execute_tool' if kind == 'tool' else 'skill'} {name}", attributes)

    # -- refusals -----------------------------------------------------------------------------------
    def policy_denied(self, ctx: TenantContext, mode: str, kind: str) -> None:
        self.policy_denials.add(1, self.metric_attributes(ctx, **{"policy.mode": mode, "tenantflow.kind": kind}))

    def quota_refused(self, ctx: TenantContext, reason: str) -> None:
        self.quota_refusals.add(1, self.metric_attributes(ctx, **{"tenantflow.limit": reason}))

    def budget_warned(self, ctx: TenantContext) -> None:
        """The month's spend passed the budget's warning line: a counter, and an event on the current span."""
        self.budget_warnings.add(1, self.metric_attributes(ctx))
        trace.get_current_span().add_event("tenantflow.budget.warning", {"tenant.id": ctx.tenant_id})


class _CurrentSpan:
    """A span current while the block runs, marked failed (with the error's type only) if the block raises.

    What ``start_as_current_span`` does, as one small object: the SDK's version goes through two
    generator-based context managers per span, a measurable part of a step span's cost.
    """

    __slots__ = ("tracer", "name", "attributes", "span", "token")

    def __init__(self, tracer: trace.Tracer, name: str, attributes: dict[str, Any]):
        self.tracer, self.name, self.attributes = tracer, name, attributes

    def __enter__(self) -> Span:
        self.span = span = self.tracer.start_span(self.name, attributes=self.attributes)
        self.token = otel_context.attach(trace.set_span_in_context(span))
        return span

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        otel_context.detach(self.token)
        if exc is not None:
            _failed(self.span, exc)
        self.span.end()


def _failed(span: Span, exc: BaseException) -> None:
    """Mark ``span`` failed with the error's type: never its message, which may quote data."""
    span.set_status(Status(StatusCode.ERROR, exc.__class__.__name__))
    span.set_attribute("error.type", exc.__class__.__name__)


_active: Telemetry | None = None


def active() -> Telemetry | None:
    """The engine's telemetry while it is on, else None (instrumented places then do nothing)."""
    return _active


def activate(telemetry: Telemetry | None) -> None:
    """Record into ``telemetry`` from now on (None: telemetry off); the guardrail counters follow it."""
    global _active
    _active = telemetry
    use_guard_metrics(telemetry.guard if telemetry is not None else None)
