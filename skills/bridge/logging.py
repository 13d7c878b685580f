"""Bridge: logging. A structured log line and an OpenTelemetry span per call.

Both carry tenant id, tier, workflow and step, and the implementation that
served the call (shared or the tenant's own); never inputs or outputs.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from opentelemetry.trace import Status, StatusCode

from engine.skills.bridge import Handler, SkillCall
from engine.telemetry import logs
from engine.telemetry.tracing import tracer

#: A proxy until the application installs a provider, then that provider's tracer.
TRACER = tracer()


async def bridge(call: SkillCall, call_next: Handler) -> Any:
    # Runs before auth, so refused calls are logged and traced too.
    impl = call.implementation
    attributes = {
        "tenant.id": call.ctx.tenant_id if call.ctx else "",
        "tenant.tier": call.ctx.tier if call.ctx else "",
        "gen_ai.workflow.name": call.workflow,
        "tenantflow.step": call.step,
        "tenantflow.kind": call.kind,
        "tenantflow.skill": call.name,
        "tenantflow.skill.version": impl.version if impl else "",
        "tenantflow.skill.scope": impl.scope if impl else "",
        "request.id": call.ctx.request_id if call.ctx else "",
    }
    span_name = f"execute_tool {call.name}" if call.kind == "tool" else f"skill {call.name}"
    started = time.perf_counter()
    with TRACER.start_as_current_span(span_name, attributes=attributes) as span:
        try:
            result = await call_next(call)
        except Exception as exc:
            span.set_status(Status(StatusCode.ERROR, exc.__class__.__name__))
            logs.event("skill.failed", logging.WARNING, **attributes, error=exc.__class__.__name__,
                       attempts=call.attempts, duration_ms=round((time.perf_counter() - started) * 1000, 3))
            raise
        span.set_attribute("tenantflow.attempts", call.attempts)
        logs.event("skill.called", **attributes, attempts=call.attempts,
                   duration_ms=round((time.perf_counter() - started) * 1000, 3))
        return result
